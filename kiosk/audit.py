"""The audit trail: who (role, token or station), did what, to whom, when."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from . import clock
from .db import Store, may_skip


@dataclass(frozen=True)
class Actor:
    """Who is acting: a role plus a label (``token:7``, ``pin``, ``station:door-1``, ``cli``)."""

    role: str
    label: str
    at_station: str = ""

    @property
    def station(self) -> str:
        """Where the action happened: the station the caller named, else who they are."""
        return self.at_station or self.label

    @property
    def shown(self) -> str:
        """Who did it, as the volunteers' feed says it (see ``shown``)."""
        return shown(self.role, self.label, self.at_station)


def shown(role: str, label: str, station: str = "") -> str:
    """Who acted, in words a volunteer reads in the feed: the station they named ("desk"), else
    "volunteer (PIN)", "volunteer token 2" or "the command line". The feed said "by token:2" and
    "by pin:volunteer", the audit trail's own labels."""
    if station:
        return station
    kind, _, rest = label.partition(":")
    if kind == "pin":
        return f"{role} (PIN)"
    if kind == "token" and rest:
        return f"{role} token {rest}"
    return "the command line" if label == "cli" else label


CLI = Actor("organizer", "cli")


def record(db: sqlite_utils.Database, actor: Actor, action: str, event_id: int | None = None,
           attendee_id: int | None = None, **details: Any) -> str:
    """Append one audit line inside the caller's transaction, so it commits with the change.
    Returns its time: the live feed tells the change at that time, as a console's catch-up
    (read from this trail) does, so a console given both lists it once."""
    at = clock.now_iso()
    db["audit"].insert({
        "event_id": event_id, "at": at, "role": actor.role, "actor": actor.label,
        "action": action, "attendee_id": attendee_id,
        # The actor's station last: a detail named `station` (the undone check-in's) used to hide it.
        "details": json.dumps({**details, **({"station": actor.at_station} if actor.at_station else {})},
                              ensure_ascii=False, default=str),
    })
    return at


def evening_of_import(db: sqlite_utils.Database, sha256: str, event_id: int) -> str | None:
    """Another evening the very same file was imported into, as "Name (YYYY-MM-DD)", if any.

    Last month's list imported again into this month's evening is an easy slip (the same
    folder, the same file name); the import says so rather than quietly adding last month's people.
    """
    row = db.execute(
        "SELECT e.name, e.starts_at FROM audit AS a JOIN events AS e ON e.id = a.event_id "
        "WHERE a.action = 'import' AND a.event_id != ? AND json_extract(a.details, '$.sha256') = ? "
        "ORDER BY a.id DESC LIMIT 1", [event_id, sha256]).fetchone()
    return f"{row[0]} ({row[1][:10]})" if row else None


def entries(db: sqlite_utils.Database, event_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Newest first: this event's lines plus those of no event (forget, tokens), or all when None."""
    where, params = ("WHERE event_id = ? OR event_id IS NULL", [event_id]) if event_id is not None else ("", [])
    rows = db.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


def record_if_writable(store: Store, actor: Actor, action: str, event_id: int | None = None,
                       **details: Any) -> sqlite3.OperationalError | None:
    """One audit line in a transaction of its own, or the error of a disk that cannot take it
    (full, read-only), for the caller to say: an export's line must not cost the organiser of a
    laptop that filled up during the evening the report itself (``kiosk export`` and
    ``GET /api/export``), nor another process holding the write lock past the wait for it (a large
    `kiosk import`; a reading store does not wait at all: see ``Store``): the server answered the
    organiser's download 503 for the whole import. Any other error is raised."""
    try:
        with store.write() as db:
            record(db, actor, action, event_id, **details)
    except sqlite3.OperationalError as exc:
        if not may_skip(exc, locked_too=True):
            raise
        return exc
    return None
