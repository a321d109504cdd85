"""The WAL must not grow without end while the door's commits never pause.

A PASSIVE checkpoint never holds a writer up, and under writes that never pause it never catches
up: the WAL starts afresh only when a commit finds every frame copied. A review's 8-station rush
grew it to 26 MB for a 3.6 MB database, and on a laptop with 13 MB free the disk filled and the
door answered 503 for the rest of the evening. The store now empties a WAL grown past
``checkpoints.GROWN_BYTES`` after a commit (kiosk/db.py, ``Store._empty_a_grown_wal``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from kiosk import checkpoints
from kiosk.db import Store

WRITTEN = 4 * checkpoints.GROWN_BYTES  # committed in all: without the fix, the WAL would hold it all
SECONDS = 60.0  # at most
PAGES_PER_COMMIT = 4
COMMIT_EVERY = 0.002  # 500 commits a second, twice the busiest door measured


def test_the_wal_stays_bounded_while_commits_never_pause(tmp_path: Path) -> None:
    store = Store(tmp_path / "door.db", background_sync=True)
    wal = Path(f"{tmp_path / 'door.db'}-wal")
    with store.write() as db:
        db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB)")
    stop, peak = threading.Event(), [0]

    def watch() -> None:
        while not stop.is_set():
            if wal.exists():
                peak[0] = max(peak[0], wal.stat().st_size)
            time.sleep(0.01)

    def read() -> None:
        """The screens and the print process read beside the scans, one indexed row at a time. (A
        reader that scans the whole growing table keeps an old snapshot nearly all the time: that
        case is the next test's. Here it made CI's busy machine miss the bound now and then.)"""
        while not stop.is_set():
            with store.read() as db:
                db.execute("SELECT max(id) FROM filler").fetchone()
            time.sleep(0.005)

    helpers = [threading.Thread(target=watch), threading.Thread(target=read)]
    for helper in helpers:
        helper.start()
    written, deadline = 0, time.monotonic() + SECONDS
    try:
        while written < WRITTEN and time.monotonic() < deadline:
            with store.write() as db:
                for _ in range(PAGES_PER_COMMIT):
                    db.execute("INSERT INTO filler (blob) VALUES (randomblob(3000))")
            written += PAGES_PER_COMMIT * 4096
            time.sleep(COMMIT_EVERY)
    finally:
        stop.set()
        for helper in helpers:
            helper.join()
        store.close()
    print(f"\n{written / 1e6:.1f} MB of pages committed, the WAL at most {peak[0] / 1e6:.1f} MB")
    assert written >= WRITTEN, "too few commits to show anything"
    assert peak[0] < 2 * checkpoints.GROWN_BYTES


def test_a_reader_holding_old_pages_does_not_hold_the_commits_up(tmp_path: Path) -> None:
    """While someone reads an old snapshot (a report, an sqlite3 shell left open), the WAL cannot be
    emptied: each try may hold the writer TRUNCATE_WAIT_MS, never the 5 s a busy database gets."""
    store = Store(tmp_path / "door.db", background_sync=True)
    with store.write() as db:
        db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB)")
    reader = sqlite3.connect(tmp_path / "door.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM filler").fetchone()  # its snapshot stays until the ROLLBACK
    slowest, written, deadline = 0.0, 0, time.monotonic() + SECONDS
    try:
        while written < 2 * checkpoints.GROWN_BYTES and time.monotonic() < deadline:
            started = time.monotonic()
            with store.write() as db:
                for _ in range(PAGES_PER_COMMIT):
                    db.execute("INSERT INTO filler (blob) VALUES (randomblob(3000))")
            slowest = max(slowest, time.monotonic() - started)
            written += PAGES_PER_COMMIT * 4096
            time.sleep(COMMIT_EVERY)
    finally:
        reader.rollback()
        reader.close()
        store.close()
    print(f"\n{written / 1e6:.1f} MB committed beside an open snapshot; the slowest commit {slowest:.3f} s")
    assert written >= 2 * checkpoints.GROWN_BYTES
    assert slowest < 1.0
    # and the door kept its pace: a try every TRUNCATE_RETRY_SECONDS, not after every commit
