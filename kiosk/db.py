"""The SQLite store: the schema, pooled read connections and one serialised writer.

Why this shape: under WAL any number of readers run beside one writer, but a
deferred transaction that reads and then writes fails at once with "database is
locked" when another connection writes first. So every write goes through
``Store.write()``: an in-process lock (one writer at a time, no busy spinning)
around ``BEGIN IMMEDIATE`` (which also serialises against other processes, such
as ``kiosk import`` run beside the server, with a busy timeout).

Durability: a server's writer commits with ``synchronous=NORMAL`` and a thread of its
own fsyncs its WAL every 0.1 s and checkpoints it (``kiosk.checkpoints``, which says
why): an acknowledged arrival survives kill -9 at once, and a power cut or an OS
crash takes back at most about that last tenth of a second. Every other connection
(the CLI, `kiosk import`, the print process) commits with ``synchronous=FULL``.
Under `kiosk serve` every request is a greenlet on one OS thread, so the store
never waits on the disk or on another process's lock there: a commit that waits for
the disk, and BEGIN when another process (the print process, `kiosk import`) holds
the lock, run in a real thread while the other greenlets go on
(``printers.offload``). Scans read together share a transaction (``kiosk.group_commit``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from printers.offload import off_hub, real_sleep

from .checkpoints import Checkpointer
from .textnorm import search_text
from .wal_index import WalIndex

log = logging.getLogger("kiosk.db")
BUSY_TIMEOUT_MS = 5000
TRUNCATE_WAIT_MS = 100  # emptying a grown WAL waits this long at most for readers of older frames...
TRUNCATE_RETRY_SECONDS = 1.0  # ...and, when they stay, is tried again only this much later
BUSY_RETRY_SECONDS = 0.0002  # another process holds the write lock for one commit: well under a millisecond
SCHEMA_VERSION = 3  # 2: search_text also holds names with umlauts written out; 3: and without apostrophes


class DatabaseGone(sqlite3.OperationalError):
    """The database file was deleted, or another file moved in its place, while this process had
    it open. Its primary code is SQLITE_IOERR, so it is disk trouble (``is_busy``): a scan is
    answered 503 and kept by the kiosk page, never acknowledged into a file nobody will read."""

    sqlite_errorcode = sqlite3.SQLITE_IOERR


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, or None when there is none: which file a name means."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """A connection to `path`; `create=False` opens only an existing file (SQLite would make an
    empty database of a missing one, and the next start would find no attendees in it)."""
    target = str(path) if create else f"file:{_uri_path(path)}?mode=rw"
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000,
                           uri=not create)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _uri_path(path: Path) -> str:
    """`path` as the path of an SQLite ``file:`` URI (absolute, with ?, # and % escaped)."""
    return urllib.parse.quote(str(path.absolute()), safe="/")


class Store:
    """One SQLite file. Readers borrow pooled connections; writers queue for one.

    `background_sync`: the server's store; see the module docstring.

    `reading`: the store of a command that only reads (`kiosk attendees`, `export`, `tickets`,
    `events`). Under WAL a read never waits for a writer, but opening the store and the small
    writes such a command makes on its way (the schema's recount, the evening's refresh, an
    export's audit line) do: beside a large `kiosk import` these commands waited 5 s and then
    said "the database is busy" without reading a row. Here those writes do not wait for another
    process's write lock, and are left out when it is held (``may_skip``), as on a full disk."""

    def __init__(self, path: str | Path, pool_size: int = 8, background_sync: bool = False,
                 reading: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.reading = reading
        self._write_lock = threading.RLock()
        self._writer = _connect(self.path)
        if reading:
            self._writer.execute("PRAGMA busy_timeout = 0")
        self._writer.execute("PRAGMA journal_mode = WAL")
        create_schema(sqlite_utils.Database(self._writer), skip_when_locked=reading)
        self._identity = file_identity(self.path)  # the file every commit must still be (_still_our_file)
        self._gone_logged = False
        self._writer.execute("PRAGMA busy_timeout = 0")  # waiting for the lock is done off the hub: _begin()
        self._checkpointer: Checkpointer | None = None
        self._background = background_sync  # commits leave the fsync to the checkpoint thread
        self._truncate_after = float("-inf")  # when a grown WAL may be emptied again (_empty_a_grown_wal)
        if background_sync:
            self._writer.execute("PRAGMA synchronous = NORMAL")
            self._writer.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = Checkpointer(self.path)
        self._wal_index = WalIndex(self.path)
        self._writer_db = sqlite_utils.Database(self._writer)
        # Database objects, not bare connections: sqlite_utils.Database() runs a PRAGMA each time it is made.
        self._pool: queue.LifoQueue[sqlite_utils.Database] = queue.LifoQueue()
        self._pool_size = pool_size
        self._opened = 0
        self._opened_lock = threading.Lock()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A connection for reads; never holds a write lock."""
        db = self._borrow()
        try:
            yield db
        finally:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            self._pool.put(db)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite_utils.Database]:
        """A read connection inside one read transaction, so every SELECT sees the same moment: a
        report and the counts printed beside it must not differ by the scans committed in between."""
        with self.read() as db:
            db.execute("BEGIN")
            yield db

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One IMMEDIATE transaction at a time; commits on success, rolls back on error."""
        with self._write_lock:
            conn = self._writer
            self._follow_the_disk()
            self._begin()
            try:
                yield self._writer_db
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                self._commit()
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._empty_a_grown_wal()

    def _empty_a_grown_wal(self) -> None:
        """Copy the rest of a WAL that has grown too long into the database and empty the file
        (``Checkpointer.grown`` says why), here where no other write of this process can come
        between. In a real thread: it waits for the disk, and for the readers of older frames to
        finish (at most TRUNCATE_WAIT_MS; while one stays, again TRUNCATE_RETRY_SECONDS later)."""
        if not (self._background and self._checkpointer is not None and self._checkpointer.grown):
            return
        self._checkpointer.grown = False  # the thread looks at the file again at its next tick
        if time.monotonic() < self._truncate_after:
            return
        try:
            off_hub(lambda: self._truncate_wal(TRUNCATE_WAIT_MS))
        except sqlite3.Error as exc:  # a reader still needs the old frames (an sqlite3 shell left open)
            log.debug("could not empty the database's log yet: %s", exc)
            self._truncate_after = time.monotonic() + TRUNCATE_RETRY_SECONDS

    def _commit(self) -> None:
        """COMMIT; one that may wait for the disk runs in a real thread while the other greenlets go on."""
        self._still_our_file()
        if self._background and not self._wal_index.restarts_on_commit():
            self._writer.execute("COMMIT")  # into the WAL, no fsync: kiosk.checkpoints
        else:
            off_hub(lambda: self._writer.execute("COMMIT"))

    def _still_our_file(self) -> None:
        """Raise DatabaseGone when the database's name no longer means the file this store has
        open: it was deleted (a clean-up of the data folder, `rm data/*`) or another file was moved
        over it. SQLite goes on writing into the open file all the same, and answered every scan
        201 into a file that the next start never sees: the whole evening lost at a restart, and
        the print process, opening the name afresh, found no badges to print. A stat per commit
        (a few microseconds) is cheap beside losing an acknowledged arrival."""
        if self._identity is None or file_identity(self.path) == self._identity:
            return
        if not self._gone_logged:
            self._gone_logged = True
            log.error("the database %s was deleted or replaced while the kiosk ran: no change is written any more "
                      "(each is answered 503); put the file back, or restart the kiosk", self.path)
        raise DatabaseGone(f"the database file {self.path} was deleted or replaced while the kiosk ran")

    def _follow_the_disk(self) -> None:
        """Once the checkpoint thread's fsync failed (or the thread stopped), every commit waits for
        the disk again and checkpoints as SQLite does by default, so a failing disk's error reaches
        the scan instead of a greeting, and the WAL does not grow without end."""
        if self._background and self._checkpointer.disk_error is not None:  # type: ignore[union-attr]
            self._writer.execute("PRAGMA synchronous = FULL")
            self._writer.execute("PRAGMA wal_autocheckpoint = 1000")
            self._background = False

    def _begin(self) -> None:
        """BEGIN IMMEDIATE at once when no other process writes (the usual case); otherwise wait
        for the lock in a real thread, so the greenlets of this process are not frozen meanwhile
        (a reading store does not wait: see the class docstring)."""
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or self.reading:
                raise
            off_hub(self._begin_when_free)

    def may_skip(self, exc: BaseException) -> bool:
        """Whether a write that failed with `exc` may be left out, the data read as it is: the disk
        cannot take it (full, read-only), or this is a reading store and another process holds the
        write lock."""
        return may_skip(exc, locked_too=self.reading)

    def _begin_when_free(self) -> None:
        """BEGIN IMMEDIATE, retried every 0.2 ms for up to BUSY_TIMEOUT_MS (in a real thread).

        SQLite's own busy handler sleeps 1, 2, 5, 10 ms... between tries; the print process
        holds the lock for well under a millisecond, so that would make a scan wait needlessly."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            real_sleep(BUSY_RETRY_SECONDS)

    def _with_busy_timeout(self, *statements: str) -> None:
        """Run `statements` on the writer, waiting up to BUSY_TIMEOUT_MS for other processes."""
        self._writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            for sql in statements:
                self._writer.execute(sql)
        finally:
            self._writer.execute("PRAGMA busy_timeout = 0")

    def serialised(self) -> threading.RLock:
        """Hold the writer across a transaction and what follows it (telling the screens), so
        two changes reach the feed in the order they were committed."""
        return self._write_lock

    def data_version(self) -> int:
        """Changes only when another process commits (read on the writer's own connection):
        how the server notices `kiosk import` run beside it."""
        with self._write_lock:
            return self._writer.execute("PRAGMA data_version").fetchone()[0]

    def compact(self) -> None:
        """Rewrite the file without free pages: forgotten personal data must not linger on disk."""
        with self._write_lock:
            self._truncate_wal()
            self._with_busy_timeout("VACUUM")
            self._truncate_wal()

    def _truncate_wal(self, within_ms: int = BUSY_TIMEOUT_MS) -> None:
        """Checkpoint the whole WAL and empty it, retried while a server's checkpoint thread or a
        reader is in the way (SQLite then answers "busy" in the result), for at most `within_ms`."""
        deadline = time.monotonic() + within_ms / 1000
        self._writer.execute(f"PRAGMA busy_timeout = {within_ms}")
        try:
            while self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError("database is locked: its log could not be emptied")
                real_sleep(0.01)
        finally:
            self._writer.execute("PRAGMA busy_timeout = 0")

    def _borrow(self) -> sqlite_utils.Database:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._opened_lock:
            if self._opened < self._pool_size:
                self._opened += 1
                return sqlite_utils.Database(_connect(self.path, create=False))
        return self._pool.get()

    def close(self) -> None:
        """Close every connection (tests and the CLI call this; the server lives until exit)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        while True:
            try:
                self._pool.get_nowait().conn.close()
            except queue.Empty:
                break
        self._writer.close()
        self._wal_index.close()  # last: closing the -shm file releases this process's SQLite locks (wal_index)


_DISK_TROUBLE = (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY)


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying it cannot take this write for now: another connection holds
    the lock (past our wait for it), the disk is full, or the disk cannot be written (an I/O
    error, a file made read-only or immutable under the server).

    Each passes without the request changing (the import ends; a volunteer frees some space or
    fixes the disk), so a scan is answered 503 with Retry-After, which the kiosk page keeps and
    sends again, not a 500 it gives up on after six; and the print process waits to settle a job
    rather than leaving it "printing" (printed again at the next start)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    return (_primary_code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_FULL, *_DISK_TROUBLE)
            or "locked" in str(exc))


def is_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite finding another process's write lock held (past any wait for it):
    one of the ``is_busy`` cases, the one that passes by itself when that process commits."""
    return is_busy(exc) and not (is_disk_full(exc) or is_disk_trouble(exc))


def may_skip(exc: BaseException, locked_too: bool) -> bool:
    """Whether `exc` is a write the disk cannot take (full, read-only), or, with `locked_too`,
    one another process's write lock keeps out: cases where data can still be read as it is."""
    return is_disk_full(exc) or is_disk_trouble(exc) or (locked_too and is_locked(exc))


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is SQLite finding no room on the disk (one of the ``is_busy`` cases, with its own words)."""
    return _primary_code(exc) == sqlite3.SQLITE_FULL


def is_disk_trouble(exc: BaseException) -> bool:
    """Whether `exc` is SQLite unable to write the disk at all (one of the ``is_busy`` cases)."""
    return _primary_code(exc) in _DISK_TROUBLE


def is_damaged(exc: BaseException) -> bool:
    """Whether `exc` is SQLite finding the file's own structure broken ("database disk image is malformed")."""
    return _primary_code(exc) == sqlite3.SQLITE_CORRUPT


def _primary_code(exc: BaseException) -> int:
    """SQLite's primary result code of an error (0 for anything else): the low byte of an extended one."""
    if not isinstance(exc, sqlite3.Error):
        return 0
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def create_schema(db: sqlite_utils.Database, skip_when_locked: bool = False) -> None:
    """Create tables, indexes and triggers if missing, and recount the headcounts once.

    A database already of this version whose disk cannot take a write (full, read-only) is used as
    it is: every command opens the store, and `kiosk attendees` or `kiosk export` on a laptop whose
    disk filled up during the evening failed before reading a row, while the writes here change
    nothing such a database needs (the triggers kept its counts). So is one another process is
    writing, with `skip_when_locked` (a reading store: ``Store``)."""
    try:
        _create_schema(db)
    except sqlite3.OperationalError as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if not may_skip(exc, locked_too=skip_when_locked) or db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise
        if not is_locked(exc):  # a lock held is said once, by whoever reads on (``door._as_stored``)
            log.warning("the database cannot be written (%s): opened as it is", exc)


def _create_schema(db: sqlite_utils.Database) -> None:
    db.executescript(SCHEMA)
    token_columns = {column[1] for column in db.execute("PRAGMA table_info(tokens)")}
    if "expires_at" not in token_columns:
        db.execute("ALTER TABLE tokens ADD COLUMN expires_at TEXT")  # databases from before pairing expiry
    if "made_by" not in token_columns:
        db.execute("ALTER TABLE tokens ADD COLUMN made_by TEXT")  # databases from before session 15
    if "made_in" not in token_columns:
        db.execute("ALTER TABLE tokens ADD COLUMN made_in TEXT")  # databases from before session 23
    db.executescript(RECOUNT)
    if db.execute("PRAGMA user_version").fetchone()[0] < 3:
        _refresh_search_text(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _refresh_search_text(db: sqlite_utils.Database) -> None:
    """Rebuild what search matches for people stored by an older version (forgotten people stay blank)."""
    rows = db.execute("SELECT id, name, email, company FROM attendees WHERE search_text != ''").fetchall()
    db.conn.executemany("UPDATE attendees SET search_text = ? WHERE id = ?",
                        [(search_text(name, email, company), row_id) for row_id, name, email, company in rows])


SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    doors_open TEXT NOT NULL DEFAULT '',
    ends_at TEXT NOT NULL DEFAULT '',
    venue TEXT NOT NULL DEFAULT '',
    capacity INTEGER NOT NULL DEFAULT 0,
    schedule TEXT NOT NULL DEFAULT '[]',
    sponsors TEXT NOT NULL DEFAULT '[]',
    is_current INTEGER NOT NULL DEFAULT 0,
    forgotten_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attendees (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    external_id TEXT NOT NULL,
    ticket_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    email TEXT,
    company TEXT,
    role TEXT NOT NULL DEFAULT 'attendee',
    ticket_type TEXT,
    attending INTEGER NOT NULL DEFAULT 1,
    platform_status TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    guests INTEGER NOT NULL DEFAULT 0,
    is_walk_in INTEGER NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    checked_in_at TEXT,
    checked_in_station TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (event_id, external_id)
);
-- Only arrivals are indexed: a check-in then adds an entry at the index's end, where the scans
-- before it wrote too, instead of also taking one out of the middle of everyone not yet in (one more
-- page written per scan). Databases from before indexed everyone.
DROP INDEX IF EXISTS attendees_event_checked;
CREATE INDEX IF NOT EXISTS attendees_arrived ON attendees(event_id, checked_in_at) WHERE checked_in_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS door_codes (
    event_id INTEGER NOT NULL REFERENCES events(id),
    code TEXT NOT NULL,
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, code)
);
-- A person's listings: each platform's list they are on (a meetup cross-posted on Eventbrite and
-- Luma lists someone once on each). The attendee row holds what the door reads (its `attending`,
-- `platform_status` and `guests` are derived from these by kiosk.attendees), so a check-in still
-- reads one row; the listing whose key is the attendee's own `external_id` is the one they were
-- first imported from. An attendee inserted anywhere gets its own listing by the trigger below.
CREATE TABLE IF NOT EXISTS listings (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    attending INTEGER NOT NULL DEFAULT 1,
    platform_status TEXT NOT NULL DEFAULT '',
    guests INTEGER NOT NULL DEFAULT 0,
    UNIQUE (event_id, external_id)
);
CREATE INDEX IF NOT EXISTS listings_attendee ON listings(attendee_id);
CREATE TRIGGER IF NOT EXISTS attendees_own_listing AFTER INSERT ON attendees BEGIN
    INSERT INTO listings (event_id, attendee_id, source, external_id, attending, platform_status, guests)
    VALUES (NEW.event_id, NEW.id, NEW.source, NEW.external_id, NEW.attending, NEW.platform_status, NEW.guests);
END;
-- Databases from before listings: each attendee becomes one listing (a no-op once they all have one).
INSERT OR IGNORE INTO listings (event_id, attendee_id, source, external_id, attending, platform_status, guests)
SELECT a.event_id, a.id, a.source, a.external_id, a.attending, a.platform_status, a.guests FROM attendees a
WHERE NOT EXISTS (SELECT 1 FROM listings l WHERE l.attendee_id = a.id);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    station TEXT NOT NULL,
    code TEXT NOT NULL,
    nonce TEXT,
    result TEXT NOT NULL,
    ok INTEGER NOT NULL,
    attendee_id INTEGER,
    http_status INTEGER NOT NULL,
    response TEXT NOT NULL,
    client TEXT NOT NULL DEFAULT ''
);
-- A retry is the same nonce with the same code from the same station (checkin._replay); databases
-- from before keyed the nonce alone, then the nonce and the code.
DROP INDEX IF EXISTS scans_nonce;
DROP INDEX IF EXISTS scans_nonce_code;
CREATE UNIQUE INDEX IF NOT EXISTS scans_retry ON scans(event_id, nonce, code, station) WHERE nonce IS NOT NULL;
-- Partial indexes: only refused scans are counted for code guessing, and they are few.
CREATE INDEX IF NOT EXISTS scans_failed_station ON scans(station, at) WHERE ok = 0;
CREATE INDEX IF NOT EXISTS scans_failed_client ON scans(client, at) WHERE ok = 0;
-- The door-wide count (checkin.Limits): guesses only, not the 429s a guesser piles up meanwhile.
CREATE INDEX IF NOT EXISTS scans_guesses ON scans(at) WHERE ok = 0 AND result IN ('unknown_code', 'invalid_code');
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    event_id INTEGER,
    at TEXT NOT NULL,
    role TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    attendee_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}'
);
-- The undos of a person, looked up before each badge goes out (printers/queue.py: _UNDONE_SINCE_ASKED).
CREATE INDEX IF NOT EXISTS audit_undo ON audit(attendee_id, at) WHERE action = 'undo';
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    expires_at TEXT,
    made_by TEXT,  -- a pairing's: the token ("token:11") or PIN ("pin:ROLE:FINGERPRINT") it was made with
    made_in TEXT   -- a pairing's made in a browser: its session (signouts.session_digest); the link ends with it
);
CREATE TABLE IF NOT EXISTS print_jobs (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    attendee_id INTEGER,
    printer TEXT,
    station TEXT,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    printed_at TEXT
);
-- The queue in its order: a printer takes the oldest queued job of the evening by walking this index,
-- where the index by (status, next_attempt_at) it replaces made every claim sort the whole queue (7.5 ms
-- for 18,000 waiting badges, inside the print process's write transaction, while the door waited).
DROP INDEX IF EXISTS print_jobs_pending;
CREATE INDEX IF NOT EXISTS print_jobs_queue ON print_jobs(status, event_id, id, station, next_attempt_at, printer);
-- What each printer shows (online, paper, last error...), written by whichever process runs the
-- print workers, so the web process answers GET /api/printers from here in every mode.
CREATE TABLE IF NOT EXISTS printer_states (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,            -- JSON of printers.service.PrinterState
    updated_at TEXT NOT NULL
);
-- Headcounts kept by triggers: O(1) per check-in however large the list, always in the same
-- transaction as the change (a count read on every scan from 6,000 rows cost 2-5 ms).
CREATE TABLE IF NOT EXISTS event_counts (
    event_id INTEGER PRIMARY KEY,
    checked_in INTEGER NOT NULL DEFAULT 0,
    expected INTEGER NOT NULL DEFAULT 0,
    walk_ins INTEGER NOT NULL DEFAULT 0,
    arrived_expected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Browser sessions signed out (kiosk.signouts): their cookie is refused even where a copy survives.
CREATE TABLE IF NOT EXISTS signed_out (
    csrf_sha256 TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
"""


# What each headcount counts, as SQL over one attendee row ({r} is NEW, OLD, or nothing for a
# plain SELECT). The triggers and the start-up recount are both made from these, so they agree.
# Counts are of people: an RSVP with guests (Meetup's "Guests", a +1 column) is a party of
# 1 + guests, expected together and counted in together when the host's code is scanned.
PARTY = "(1 + {r}guests)"
COUNTED = {
    "checked_in": f"({{r}}checked_in_at IS NOT NULL) * {PARTY}",
    "expected": f"({{r}}attending = 1 AND {{r}}is_walk_in = 0) * {PARTY}",
    "walk_ins": f"({{r}}is_walk_in = 1 AND {{r}}checked_in_at IS NOT NULL) * {PARTY}",
    "arrived_expected": f"({{r}}attending = 1 AND {{r}}is_walk_in = 0 AND {{r}}checked_in_at IS NOT NULL) * {PARTY}",
}


def _count(row: str, sign: str) -> Iterator[str]:
    """Add (+) or take away (-) one attendee row's part of its event's counts."""
    prefix = f"{row}."
    if sign == "+":
        yield f"INSERT OR IGNORE INTO event_counts (event_id) VALUES ({prefix}event_id);"
    sets = ", ".join(f"{name} = {name} {sign} ({rule.format(r=prefix)})" for name, rule in COUNTED.items())
    yield f"UPDATE event_counts SET {sets} WHERE event_id = {prefix}event_id;"


def _recount_in_place() -> Iterator[str]:
    """An attendee changed within its event (every check-in): one UPDATE, old part out, new part in."""
    sets = ", ".join(f"{name} = {name} - ({rule.format(r='OLD.')}) + ({rule.format(r='NEW.')})"
                     for name, rule in COUNTED.items())
    yield f"UPDATE event_counts SET {sets} WHERE event_id = NEW.event_id;"


def _steps(*steps: tuple[str, str]) -> Iterator[str]:
    return (line for row, sign in steps for line in _count(row, sign))


def _trigger(name: str, when: str, lines: Iterable[str], condition: str = "TRUE") -> str:
    body = "\n    ".join(lines)
    return f"CREATE TRIGGER IF NOT EXISTS {name} {when} ON attendees WHEN {condition} BEGIN\n    {body}\nEND;\n"


_COUNTED_UPDATE = "AFTER UPDATE OF checked_in_at, attending, is_walk_in, guests, event_id"
_TRIGGERS = {
    "attendees_count_insert": ("AFTER INSERT", _steps(("NEW", "+")), "TRUE"),
    "attendees_count_delete": ("AFTER DELETE", _steps(("OLD", "-")), "TRUE"),
    "attendees_count_change": (_COUNTED_UPDATE, _recount_in_place(), "OLD.event_id = NEW.event_id"),
    "attendees_count_move": (_COUNTED_UPDATE, _steps(("OLD", "-"), ("NEW", "+")), "OLD.event_id IS NOT NEW.event_id"),
}
# Triggers made by an older version count differently (before guests, or before the split of
# the update trigger), so they are made afresh at every start, with the recount, in one transaction.
COUNT_TRIGGERS = "DROP TRIGGER IF EXISTS attendees_count_update;\n" + "".join(
    f"DROP TRIGGER IF EXISTS {name};\n" + _trigger(name, when, lines, condition)
    for name, (when, lines, condition) in _TRIGGERS.items())

RECOUNT = f"""
BEGIN IMMEDIATE;
{COUNT_TRIGGERS}
DELETE FROM event_counts;
INSERT INTO event_counts (event_id, {", ".join(COUNTED)})
SELECT event_id, {", ".join(f"sum({rule.format(r='')})" for rule in COUNTED.values())}
FROM attendees GROUP BY event_id;
COMMIT;
"""
