"""Reading the WAL-index must never cost this process its SQLite locks.

SQLite's WAL locks are POSIX locks on the database's -shm file, and closing any descriptor of a
file releases every lock the process holds on it. kiosk.wal_index opened and closed the file to
read its header: a crash-testing review (session 14) then saw a second process commit while the
server held the write lock (one commit's rows lost), and the server die of SIGBUS when a restarted
print process rebuilt the WAL-index it no longer seemed to use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.db import Store
from kiosk.wal_index import WalIndex

OTHER_WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
try:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (99)")
    conn.execute("COMMIT")
    print("committed")
except sqlite3.OperationalError as exc:
    print(exc)
"""


def locks_held(path: Path, pid: int) -> list[str]:
    """This process's POSIX locks on `path`, as /proc/locks lists them."""
    inode = os.stat(path).st_ino
    held = []
    with open("/proc/locks") as locks:
        for line in locks:
            fields = line.split()
            if "->" not in fields and fields[1] == "POSIX" and int(fields[4]) == pid \
                    and int(fields[5].rsplit(":", 1)[1]) == inode:
                held.append(line.strip())
    return held


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "door.db", background_sync=True)
    with store.write() as db:
        db.execute("CREATE TABLE t (x)")  # its COMMIT reads the WAL-index
    time.sleep(0.3)  # the checkpoint thread's ticks read it too
    yield store
    store.close()


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="Linux lists its locks in /proc/locks")
def test_the_server_keeps_its_lock_on_the_wal_index_after_reading_it(store):
    assert locks_held(Path(f"{store.path}-shm"), os.getpid())


def test_no_other_process_writes_while_the_server_holds_the_write_lock(store):
    with store.write() as db:
        db.execute("INSERT INTO t VALUES (1)")
        another = WalIndex(store.path)  # another reader of this process comes and goes meanwhile
        another.unchecked_frames()
        another.close()
        other = subprocess.run([sys.executable, "-c", OTHER_WRITER, str(store.path)],
                               capture_output=True, text=True, timeout=30)
        assert other.stdout.strip() == "database is locked", other.stdout + other.stderr
    with store.read() as db:
        assert [row[0] for row in db.execute("SELECT x FROM t")] == [1]
