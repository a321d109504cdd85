"""The server's commits go to the WAL without an fsync; a thread of their own puts them on disk
and into the database file every tenth of a second (kiosk/checkpoints.py)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from kiosk import checkpoints, db as kiosk_db
from kiosk.db import Store


def file_only(path: Path) -> sqlite3.Connection:
    """A view of the database file alone, WAL ignored: what a checkpoint has copied, and only that."""
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def in_file(path: Path, sql: str) -> int:
    conn = file_only(path)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.DatabaseError:  # not checkpointed yet, or caught halfway through a copy
        return -1
    finally:
        conn.close()


def eventually(check, seconds: float = 10) -> bool:
    """Poll `check` until it holds (a loaded CI machine may run the thread late)."""
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(check())


def threads() -> set[int]:
    return {int(task) for task in os.listdir("/proc/self/task")}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "door.db"


def test_the_server_store_commits_into_the_wal_and_leaves_checkpoints_to_its_thread(path):
    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: no fsync in COMMIT
            assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # no 4 MB copy inside a scan
    finally:
        store.close()
    other = Store(path)  # the CLI, an import, the print process: every commit fsynced
    try:
        with other.write() as db:
            assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
    finally:
        other.close()


def test_a_commit_reaches_the_database_file_within_a_fraction_of_a_second(path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_FRAMES", 1)  # copy every page at once
    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        for n in range(1, 4):
            with store.write() as db:
                db.execute("INSERT INTO arrivals VALUES (?)", [n])
            assert eventually(lambda: in_file(path, "SELECT count(*) FROM arrivals") == n)  # copied into the file
    finally:
        store.close()


def test_without_the_thread_the_commit_stays_in_the_wal(path, monkeypatch):
    """The check above can fail: with no checkpoint thread nothing is copied into the file."""
    monkeypatch.setattr(checkpoints, "start_real_thread", lambda run: None)
    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
            db.execute("INSERT INTO arrivals VALUES (1)")
        time.sleep(3 * checkpoints.INTERVAL)
        assert in_file(path, "SELECT count(*) FROM arrivals") == -1
    finally:
        store._checkpointer = None  # never started: nothing to stop
        store.close()


def test_closing_the_store_ends_its_thread(path):
    """Tests start hundreds of servers in one process: each one's thread must end with it."""
    stores = [Store(path, background_sync=True) for _ in range(5)]
    assert eventually(lambda: all(s._checkpointer.thread_id for s in stores))
    ids = {s._checkpointer.thread_id for s in stores}
    assert len(ids) == 5 and ids <= threads()
    for store in stores:
        store.close()
    assert eventually(lambda: not ids & threads())  # the OS thread exits just after it says it ended


def test_a_failing_checkpoint_is_logged_once_and_retried(path, caplog):
    calls = []

    class Failing:
        def execute(self, sql: str) -> None:
            calls.append(sql)
            raise sqlite3.OperationalError("disk I/O error")

    keeper = checkpoints.Checkpointer.__new__(checkpoints.Checkpointer)
    keeper._failing = False
    with caplog.at_level("WARNING", logger="kiosk.checkpoints"):
        for _ in range(3):
            keeper._checkpoint(Failing())  # type: ignore[arg-type]
        assert [r.getMessage() for r in caplog.records] == ["cannot checkpoint the database's log: disk I/O error"]
        keeper._checkpoint(sqlite3.connect(path))
    assert len(calls) == 3
    assert caplog.records[-1].getMessage() == "the database's log is checkpointed again"


def wal_syncs(monkeypatch) -> list[str]:
    """Record which files the checkpoint thread fsyncs itself."""
    synced, real = [], checkpoints._flush

    def recording(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(checkpoints, "_flush", recording)
    return synced


def test_the_wal_is_fsynced_every_tick_even_while_a_reader_keeps_the_checkpoint_from_copying(path, monkeypatch):
    """SQLite's PASSIVE checkpoint skips its fsync when a reader's snapshot leaves it nothing to
    copy (an sqlite3 shell left open, a long export): the thread fsyncs the WAL itself."""
    synced = wal_syncs(monkeypatch)
    store = Store(path, background_sync=True)
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM arrivals").fetchone()  # holds this snapshot
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (1)")
        synced.clear()
        assert eventually(lambda: len([f for f in synced if f.endswith("door.db-wal")]) >= 2)
    finally:
        reader.close()
        store.close()


def test_the_commit_that_starts_the_wal_afresh_leaves_the_hub(path, monkeypatch):
    """After a complete checkpoint the next COMMIT rewrites the WAL's header and SQLite fsyncs it:
    that one runs in a real thread (off_hub), the others in place."""
    moved: list[int] = []
    real_off_hub = kiosk_db.off_hub
    monkeypatch.setattr(kiosk_db, "off_hub", lambda call: (moved.append(n), real_off_hub(call))[1])
    monkeypatch.setattr(checkpoints, "CHECKPOINT_FRAMES", 1)
    store = Store(path, background_sync=True)
    try:
        n = 0
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        assert eventually(store._wal_index.restarts_on_commit)  # checkpointed whole: the next commit restarts it
        moved.clear()
        for n in range(1, 4):
            with store.write() as db:
                db.execute("INSERT INTO arrivals VALUES (?)", [n])
        assert moved[:1] == [1]  # the first write after the checkpoint
        assert len(moved) < 3  # not every write (a tick may fall between two of them)
    finally:
        store.close()


def test_a_failed_fsync_makes_every_commit_wait_for_the_disk_again(path, monkeypatch, caplog):
    real = checkpoints._flush

    def failing(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
            raise OSError(5, "Input/output error")
        real(fd)

    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        monkeypatch.setattr(checkpoints, "_flush", failing)
        assert eventually(lambda: store._checkpointer.disk_error is not None)
        monkeypatch.setattr(checkpoints, "_flush", real)
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (1)")
        with store.write() as db:
            assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the COMMIT's own fsync
            assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # and SQLite's checkpoints
        assert "cannot write the database's log to disk" in caplog.text
    finally:
        store.close()


def test_closing_twice_returns_at_once(path):
    store = Store(path, background_sync=True)
    store.close()
    started = time.monotonic()
    store._checkpointer.stop()
    assert time.monotonic() - started < 1


def test_compacting_beside_a_running_server_waits_until_the_log_can_be_emptied(path):
    """`kiosk forget` empties the WAL after deleting people: SQLite answers busy at once while a
    reader (or the server's checkpoint thread) is in the way, and the log must not keep them."""
    server = Store(path, background_sync=True)
    cli = Store(path)
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        with server.write() as db:
            db.execute("CREATE TABLE people (name TEXT)")
            db.execute("INSERT INTO people VALUES ('Ada Lovelace')")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM people").fetchone()
        with cli.write() as db:
            db.execute("DELETE FROM people")
        threading.Timer(0.5, reader.rollback).start()
        cli.compact()
        assert os.path.getsize(f"{path}-wal") == 0
        with open(path, "rb") as f:
            assert b"Ada Lovelace" not in f.read()
    finally:
        reader.close()
        cli.close()
        server.close()


class BusyAtFirst:
    """The writer connection, but its first `times` TRUNCATE checkpoints answer "busy", as SQLite
    does at once (no busy handler) while another connection's checkpoint is running."""

    def __init__(self, conn: sqlite3.Connection, times: int) -> None:
        self.conn, self.times = conn, times

    def execute(self, sql: str, *args: object) -> object:
        if sql == "PRAGMA wal_checkpoint(TRUNCATE)" and self.times:
            self.times -= 1
            return self.conn.execute("SELECT 1, -1, -1")
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def test_compacting_retries_while_another_checkpoint_runs(path, monkeypatch):
    monkeypatch.setattr(kiosk_db, "BUSY_TIMEOUT_MS", 300)  # how long it keeps trying
    cli = Store(path)
    try:
        with cli.write() as db:
            db.execute("CREATE TABLE people (name TEXT)")
            db.execute("INSERT INTO people VALUES ('Ada Lovelace')")
            db.execute("DELETE FROM people")
        busy = BusyAtFirst(cli._writer, times=3)
        cli._writer = busy  # type: ignore[assignment]
        cli.compact()
        assert busy.times == 0 and os.path.getsize(f"{path}-wal") == 0
        busy.times = 10**6  # never free: a clear error, not a silent success
        with pytest.raises(sqlite3.OperationalError, match="could not be emptied"):
            cli.compact()
    finally:
        cli._writer = busy.conn  # type: ignore[assignment]
        cli.close()


def test_after_another_connection_empties_the_log_the_next_commit_also_leaves_the_hub(path, monkeypatch):
    """`kiosk forget`, `kiosk import`'s own checkpoint or an sqlite3 shell may checkpoint too: the
    WAL-index says whether this commit restarts the WAL, whoever did."""
    moved: list[int] = []
    real_off_hub = kiosk_db.off_hub
    monkeypatch.setattr(kiosk_db, "off_hub", lambda call: (moved.append(1), real_off_hub(call))[1])
    store = Store(path, background_sync=True)
    store._checkpointer.stop()  # only the other connection checkpoints here
    other = sqlite3.connect(path, isolation_level=None)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (1)")
        moved.clear()
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (2)")
        assert moved == []  # frames follow frames: no new header, no fsync
        assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (3)")
        assert moved == [1]
    finally:
        other.close()
        store.close()


def test_a_short_wal_is_fsynced_but_not_copied_so_commits_seldom_start_it_afresh(path, monkeypatch):
    """Each complete checkpoint costs the next commit an fsync of a new WAL header (in a thread,
    off the hub): checkpoints wait for CHECKPOINT_FRAMES pages, as SQLite's own would."""
    synced = wal_syncs(monkeypatch)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_FRAMES", 200)  # the new schema alone is about 50 pages
    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY, note TEXT)")
        with store.write() as db:
            db.execute("INSERT INTO arrivals VALUES (1, 'short')")
        assert eventually(lambda: len(synced) >= 3)
        assert in_file(path, "SELECT count(*) FROM arrivals") == -1  # still only in the (fsynced) WAL
        for n in range(2, 251):
            with store.write() as db:
                db.execute("INSERT INTO arrivals VALUES (?, ?)", [n, "x" * 3000])
        assert eventually(lambda: in_file(path, "SELECT count(*) FROM arrivals") == 250)  # long: copied
    finally:
        store.close()
