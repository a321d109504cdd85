"""Browser sessions signed out: refused from then on, by every request and socket, across restarts.

Why: a session is a signed cookie the browser keeps. Clearing it at sign-out does not stop a copy
of it (a shared laptop, the cookie store read off a lent phone) from reading names and making
changes for the rest of its 16 hours. Each sign-in has its own CSRF token, which names it; the
signed-out ones are kept here, in memory for the check on every request, and in SQLite (as their
SHA-256: they are credentials) so that a restart remembers them, for as long as a session lives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3

from . import clock
from .db import Store

log = logging.getLogger("kiosk.signouts")


class SignedOut:
    """The sessions (named by their CSRF token) that signed out within a session's lifetime."""

    def __init__(self, store: Store, lifetime: dt.timedelta) -> None:
        self.store, self.lifetime = store, lifetime
        with store.read() as db:
            rows = db.execute("SELECT csrf_sha256 FROM signed_out WHERE at > ?", [self._oldest()]).fetchall()
        self._ended = {row[0] for row in rows}

    def __contains__(self, csrf: object) -> bool:
        return isinstance(csrf, str) and session_digest(csrf) in self._ended

    def ended(self, digest: str) -> bool:
        """Whether the session of this `session_digest` signed out (a pairing link made in it ends)."""
        return digest in self._ended

    def add(self, csrf: str) -> None:
        """Refuse this session from now on; the entries older than a session's lifetime go. A disk
        that cannot take the row (full, read-only) must not stop the sign-out: it then holds until
        the server restarts, and the warning says so."""
        digest = session_digest(csrf)
        self._ended.add(digest)
        try:
            with self.store.write() as db:
                db.execute("INSERT OR IGNORE INTO signed_out (csrf_sha256, at) VALUES (?, ?)", [digest, clock.now_iso()])
                db.execute("DELETE FROM signed_out WHERE at <= ?", [self._oldest()])
        except sqlite3.Error as exc:
            log.warning("a sign-out is kept in memory only, until the server restarts: %s", exc)

    def _oldest(self) -> str:
        return (clock.now() - self.lifetime).isoformat(timespec="milliseconds")


def session_digest(csrf: str) -> str:
    """What names a browser session here and in the database: its CSRF token is a credential."""
    return hashlib.sha256(csrf.encode("utf-8", "surrogatepass")).hexdigest()
