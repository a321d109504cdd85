"""The door's rush: scans arriving together share a commit, and nothing waits on the disk on the hub."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from kiosk.db import Store
from kiosk.group_commit import GroupCommit


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = Store(tmp_path / "rush.db")
    with s.write() as db:
        db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
    yield s
    s.close()


def count_commits(store: Store) -> list[int]:
    """Wrap store.write to count transactions."""
    commits: list[int] = []
    original = store.write

    def counting() -> Any:
        commits.append(1)
        return original()

    store.write = counting  # type: ignore[method-assign]
    return commits


def test_forty_threads_at_once_share_commits_and_each_gets_its_own_answer(store):
    group, commits = GroupCommit(store), count_commits(store)
    start, answers = threading.Barrier(40), {}

    def arrive(n: int) -> None:
        start.wait()
        answers[n] = group.run(lambda db: db.execute("INSERT INTO arrivals VALUES (?)", [n]).lastrowid)

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(1, 41)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert answers == {n: n for n in range(1, 41)}
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM arrivals").fetchone()[0] == 40
    assert len(commits) < 40  # some scans waited for a commit in flight and went in together


def test_one_failing_scan_undoes_only_itself(store):
    group = GroupCommit(store)
    release, results, errors = threading.Event(), {}, {}

    def slow_first(db: Any) -> int:  # holds the first batch open while the others queue behind it
        release.wait(5)
        return db.execute("INSERT INTO arrivals VALUES (100)").lastrowid

    def work(n: int) -> Any:
        def run(db: Any) -> int:
            db.execute("INSERT INTO arrivals VALUES (?)", [n])
            if n == 3:
                raise ValueError("a bug in one scan")
            return n
        return run

    def call(n: int, fn: Any) -> None:
        try:
            results[n] = group.run(fn)
        except ValueError as exc:
            errors[n] = str(exc)

    first = threading.Thread(target=call, args=(100, slow_first))
    first.start()
    others = [threading.Thread(target=call, args=(n, work(n))) for n in range(1, 6)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(10)
    assert errors == {3: "a bug in one scan"}
    assert results == {100: 100, 1: 1, 2: 2, 4: 4, 5: 5}
    with store.read() as db:
        assert [r[0] for r in db.execute("SELECT n FROM arrivals ORDER BY n")] == [1, 2, 4, 5, 100]


def test_after_commit_steps_run_in_commit_order(store):
    group, told = GroupCommit(store), []
    threads = [threading.Thread(target=lambda n=n: group.run(
        lambda db: db.execute("INSERT INTO arrivals VALUES (?)", [n]).lastrowid, told.append)) for n in range(1, 31)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    with store.read() as db:
        committed = [r[0] for r in db.execute("SELECT n FROM arrivals ORDER BY rowid")]
    assert told == committed and len(told) == 30


LOCKED_BY_ANOTHER_PROCESS = """
from gevent import monkey; monkey.patch_all()
import gevent, sqlite3, subprocess, sys, time
from kiosk.db import Store
path = sys.argv[1]
store = Store(path)
holder = subprocess.Popen([sys.executable, "-c", '''
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True); time.sleep(0.6); c.execute("COMMIT")
''', path], stdout=subprocess.PIPE, text=True)
assert holder.stdout.readline().strip() == "locked"
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(1) or gevent.sleep(0.02) for _ in range(1000)])
gevent.sleep(0)
t = time.monotonic()
with store.write() as db:
    db.execute("CREATE TABLE IF NOT EXISTS x (a)")
waited = time.monotonic() - t
ticker.kill()
holder.wait()
print(len(ticks), round(waited, 2))
"""


def test_waiting_for_another_process_lock_does_not_freeze_the_server(tmp_path):
    """`kiosk import` or the print process holds the write lock: other greenlets go on meanwhile."""
    done = subprocess.run([sys.executable, "-c", LOCKED_BY_ANOTHER_PROCESS, str(tmp_path / "locked.db")],
                          capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert done.returncode == 0, done.stderr
    ticks, waited = done.stdout.split()
    assert float(waited) >= 0.3          # it did wait for the other process
    assert int(ticks) >= 10              # and the hub ticked all along (about every 20 ms)


KILLED_WHILE_COMMITTING = """
from gevent import monkey; monkey.patch_all()
import gevent, time
from printers.offload import off_hub, real_sleep
finished = []
def commit():
    real_sleep(0.3)
    finished.append(1)
waiter = gevent.spawn(lambda: off_hub(commit))
gevent.sleep(0.05)
waiter.kill()
print(len(finished), waiter.dead)
"""


def test_a_killed_greenlet_lets_its_commit_finish_before_unwinding():
    """The writer connection is never left to a thread still committing while another greenlet takes it."""
    done = subprocess.run([sys.executable, "-c", KILLED_WHILE_COMMITTING], capture_output=True, text=True, cwd=ROOT,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]


def test_a_lone_failing_scan_writes_nothing_and_the_next_one_goes_through(store):
    group = GroupCommit(store)

    def failing(db: Any) -> None:
        db.execute("INSERT INTO arrivals VALUES (1)")
        raise ValueError("a bug in this scan")

    with pytest.raises(ValueError, match="a bug"):
        group.run(failing)
    assert group.run(lambda db: db.execute("INSERT INTO arrivals VALUES (2)").lastrowid) == 2
    with store.read() as db:
        assert [r[0] for r in db.execute("SELECT n FROM arrivals")] == [2]


def test_savepoints_are_used_only_after_a_scan_fails(store):
    """The usual batch pays no SAVEPOINT per scan; one that raises gets the batch re-run with them."""
    group, statements = GroupCommit(store), []
    store._writer.set_trace_callback(statements.append)
    group.run(lambda db: db.execute("INSERT INTO arrivals VALUES (1)").lastrowid)
    assert not [s for s in statements if s.startswith("SAVEPOINT")]
    assert "COMMIT" in statements
