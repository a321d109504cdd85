"""The door's rush: scans arriving together share a commit, and nothing waits on the disk on the hub."""

from __future__ import annotations

import json
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


# Under `kiosk serve` (gevent) the leader keeps its transaction open until the hub has run every
# greenlet that was ready: scans read meanwhile join it (kiosk.group_commit, kiosk.hub_idle).
UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import gevent, json, sys, time
from kiosk.db import Store
from kiosk.group_commit import GroupCommit
scenario, path = sys.argv[1], sys.argv[2]
store = Store(path, background_sync=True)
with store.write() as db:
    db.execute("CREATE TABLE arrivals (n INTEGER PRIMARY KEY)")
commits = []
store._writer.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
group = GroupCommit(store, max_batch=5 if scenario == "small batches" else 64,
                    linger=5.0 if scenario in ("lone", "killed") else 0.004)

events = []

def arrive(n, after=None):
    def work(db):
        if scenario == "interrupted" and n == 4:  # SQLite then rolls back the whole transaction itself
            db.conn.set_progress_handler(lambda: 1, 1)
        try:
            db.execute("INSERT INTO arrivals VALUES (?)", [n])
        finally:
            db.conn.set_progress_handler(None, 1)
        if scenario == "one raises" and n == 7:
            raise ValueError("a bug in scan 7")
        return n
    try:
        answer = group.run(work, after)
        events.append(f"answer {n}")
        return answer
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

def many_displays(_):  # the feed waking 300 door displays, each a callback of the hub
    for _ in range(300):
        gevent.get_hub().loop.run_callback(events.append, "display")

def busy_work():  # a volunteer's search: CPU without giving way
    end = time.perf_counter() + 0.03
    while time.perf_counter() < end:
        pass

arrive(0)  # a scan just before: the door is busy, so a leader tries lingering (GroupCommit._lingering_pays)
commits.clear()
events.clear()
start = time.monotonic()
if scenario == "killed":  # the leader is killed while it lingers, with a scan joined to its batch
    leader = gevent.spawn(arrive, 1)
    joiner = gevent.spawn(arrive, 2)
    killer = gevent.spawn(lambda: leader.kill())  # runs while both wait: the hub is not idle yet
    gevent.joinall([leader, joiner, killer], timeout=5)
    jobs = [leader, joiner, gevent.spawn(arrive, 3)]
elif scenario == "fan-out":  # two scans read together, the first one's feed change wakes the displays
    jobs = [gevent.spawn(arrive, 1, many_displays), gevent.spawn(arrive, 2)]
elif scenario == "beside busy work":  # a lone station's scan, each read together with a search
    waits = []
    for n in range(1, 11):
        began = time.monotonic()
        scan = gevent.spawn(lambda n=n: (arrive(n), waits.append(time.monotonic() - began)))
        gevent.joinall([scan, gevent.spawn(busy_work)])
    jobs = []
    events = waits
else:
    jobs = [gevent.spawn(arrive, n) for n in range(1, 2 if scenario == "lone" else 21)]
gevent.joinall(jobs, timeout=20)
seconds = time.monotonic() - start
with store.read() as db:
    rows = [r[0] for r in db.execute("SELECT n FROM arrivals WHERE n > 0 ORDER BY n")]
shown = lambda value: value if value is None or isinstance(value, (int, str)) else type(value).__name__
print(json.dumps({"answers": [shown(job.value) for job in jobs], "commits": len(commits), "rows": rows, "seconds": seconds,
                  "events": events}))
"""


def under_gevent(tmp_path: Path, scenario: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", UNDER_GEVENT, scenario, str(tmp_path / "gevent.db")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_under_gevent_scans_read_together_share_a_commit_and_each_gets_its_own_answer(tmp_path):
    result = under_gevent(tmp_path, "together")
    assert result["answers"] == list(range(1, 21))
    assert result["rows"] == list(range(1, 21))
    assert 1 <= result["commits"] <= 3  # twenty greenlets ready at once: one or two batches, not twenty


def test_under_gevent_a_batch_never_grows_past_its_limit(tmp_path):
    result = under_gevent(tmp_path, "small batches")
    assert result["answers"] == list(range(1, 21)) and result["rows"] == list(range(1, 21))
    assert result["commits"] >= 4  # twenty scans, at most five a batch


def test_under_gevent_a_joined_scan_that_raises_undoes_only_itself(tmp_path):
    result = under_gevent(tmp_path, "one raises")
    assert result["answers"][6] == "ValueError: a bug in scan 7"
    assert result["answers"][:6] + result["answers"][7:] == [n for n in range(1, 21) if n != 7]
    assert result["rows"] == [n for n in range(1, 21) if n != 7]


def test_under_gevent_a_scan_whose_error_ends_the_whole_transaction_fails_alone(tmp_path):
    """An interrupt (or some I/O and full-disk errors) makes SQLite roll back the whole transaction,
    savepoints and all: the scans that shared it must not get that scan's error."""
    result = under_gevent(tmp_path, "interrupted")
    assert result["answers"][3] == "OperationalError: interrupted"
    assert result["answers"][:3] + result["answers"][4:] == [n for n in range(1, 21) if n != 4]
    assert result["rows"] == [n for n in range(1, 21) if n != 4]


def test_under_gevent_every_scan_of_a_batch_is_answered_before_the_displays_are_woken(tmp_path):
    result = under_gevent(tmp_path, "fan-out")
    assert result["answers"] == [1, 2] and result["rows"] == [1, 2]
    events = result["events"]
    assert events.count("display") == 300
    assert events.index("answer 2") < events.index("display")  # not after 300 displays


def test_under_gevent_a_lone_station_does_not_linger_behind_other_work(tmp_path):
    """Lingering beside a search waits for the whole search (a greenlet runs until it gives way):
    a station alone at the door commits at once."""
    result = under_gevent(tmp_path, "beside busy work")
    assert result["rows"] == list(range(1, 11))
    waited_for_the_search = [w for w in result["events"] if w >= 0.03]
    # the first scan comes right after another (the door looks busy: one try); then 30 ms apart, none
    assert len(waited_for_the_search) <= 1, result["events"]


def test_under_gevent_a_lone_scan_commits_at_once_without_waiting_for_the_linger_cap(tmp_path):
    result = under_gevent(tmp_path, "lone")  # the cap is 5 s here: only the idle hub can end the wait early
    assert result["answers"] == [1] and result["rows"] == [1] and result["commits"] == 1
    assert result["seconds"] < 1.0


def test_under_gevent_a_leader_killed_while_lingering_writes_nothing_and_tells_its_batch(tmp_path):
    result = under_gevent(tmp_path, "killed")
    leader, joiner, after = result["answers"]
    assert leader == "GreenletExit"  # killed
    assert joiner == "RuntimeError: The write was interrupted."  # never told it was checked in
    assert after == 3 and result["rows"] == [3]  # the writer is free again, and nothing of the batch was kept
