"""The server's commits go to the WAL without an fsync; a thread of their own puts them on disk
and into the database file every tenth of a second (kiosk/checkpoints.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from kiosk import checkpoints
from kiosk.db import Store


def file_only(path: Path) -> sqlite3.Connection:
    """A view of the database file alone, WAL ignored: what a checkpoint has copied, and only that."""
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def in_file(path: Path, sql: str) -> int:
    conn = file_only(path)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the table itself is not checkpointed yet
        return -1
    finally:
        conn.close()


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


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


def test_a_commit_reaches_the_database_file_within_a_fraction_of_a_second(path):
    store = Store(path, background_sync=True)
    try:
        with store.write() as db:
            db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
        for n in range(1, 4):
            with store.write() as db:
                db.execute("INSERT INTO arrivals VALUES (?)", [n])
            deadline = time.monotonic() + 2
            while in_file(path, "SELECT count(*) FROM arrivals") < n and time.monotonic() < deadline:
                time.sleep(0.02)
            assert in_file(path, "SELECT count(*) FROM arrivals") == n  # fsynced WAL, copied into the file
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
    before = threads()
    stores = [Store(path, background_sync=True) for _ in range(5)]
    assert threads() == before + 5
    for store in stores:
        store.close()
    assert threads() == before


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
        assert [r.getMessage() for r in caplog.records] == ["cannot write the database's log to disk: disk I/O error"]
        keeper._checkpoint(sqlite3.connect(path))
    assert len(calls) == 3
    assert caplog.records[-1].getMessage() == "the database's log reaches the disk again"
