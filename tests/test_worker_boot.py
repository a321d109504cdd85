"""A worker that cannot write the database while it starts waits for it instead of failing to boot.

Found by a crash-testing review (session 14): with the disk full, a restarted gunicorn worker failed
in the store's start-up writes, gunicorn stopped the whole server ("Worker failed to boot"), and
the door stayed down after a volunteer had freed the space."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from kiosk.server import built_once_the_database_writes


def _full_until(path: Path, attempts: list[int], full_for: int):
    """A build that writes a row, on a database that is full (SQLite's own SQLITE_FULL) the first times."""
    def build() -> str:
        attempts.append(1)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            if len(attempts) <= full_for:
                pages = conn.execute("PRAGMA page_count").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count = {pages}")
            conn.execute("INSERT INTO t VALUES (randomblob(100000))")
        finally:
            conn.close()
        return "app"
    return build


def test_a_full_disk_is_waited_for_and_the_worker_starts_once_it_has_room(tmp_path: Path, caplog) -> None:
    path = tmp_path / "door.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    attempts: list[int] = []
    with caplog.at_level(logging.ERROR, logger="kiosk.server"):
        assert built_once_the_database_writes(_full_until(path, attempts, full_for=2), wait=0.01) == "app"
    assert len(attempts) == 3
    assert caplog.text.count("cannot write the database (database or disk is full)") == 2


def test_any_other_database_error_still_stops_the_start(tmp_path: Path) -> None:
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        raise sqlite3.OperationalError("no such table: attendees")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        built_once_the_database_writes(build, wait=0.01)
    assert attempts == [1]
