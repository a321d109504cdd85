"""A print process frozen inside a write transaction blocks the door for seconds, not a minute.

Stopped (SIGSTOP, a laptop swapping, a frozen VM) inside one of its short write transactions, the
print process holds the database's write lock: every scan waits its 5 s and is answered 503 busy.
Its workers' silence is only taken for a hang after a minute (a slow printer may keep a worker
silent that long), so the door used to be shut for that minute. The master now also hears the
process's heartbeat thread, which stops only when the whole process does, and replaces a process
whose heartbeat is silent for ``FROZEN_AFTER`` seconds (printers/supervisor.py).

These tests run the real `kiosk serve` with the real thresholds. To stop the print process inside
a write at a known moment, a trigger the test adds to the database makes its claim of one badge
take most of a second (the product's code is unchanged), and the process is stopped while
/proc/locks shows it holding SQLite's WAL write lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

import psutil
import pytest

from conftest import wait_until
from kiosk.process_locks import Heartbeat
from printers import liveness, supervisor
from printers.supervisor import FROZEN_AFTER, HANG_FLOOR, PrintProcess
from test_door_failures import Door
from test_print_hang import print_processes_seen, sampled, server_log
from test_print_process import alive, children, print_process
from test_printer_jam import assert_printed_once, database, job_statuses

try:
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(120)
WAL_WRITE_LOCK = 120  # the byte of the -shm file SQLite's writer locks (https://sqlite.org/walformat.html)
SLOW_FOR = 8.0        # seconds during which the print process's claims are slow (the frozen one's, not its successor's)
ARRIVALS = 6
GIVE_UP = 45.0        # seconds: well before the minute a frozen process used to get


def slow_claims(srv: Door) -> None:
    """For the next SLOW_FOR seconds, a badge claimed by the print process (queued -> printing)
    takes most of a second inside its write transaction: a trigger counting a cross join."""
    with database(srv.proc) as db:
        db.execute("CREATE TABLE test_slow (n INTEGER)")
        db.execute("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 3000) "
                   "INSERT INTO test_slow SELECT n FROM s")
        db.execute("CREATE TABLE test_slow_until (until REAL)")
        db.execute("INSERT INTO test_slow_until VALUES (julianday('now') + ? / 86400.0)", [SLOW_FOR])
        db.execute("CREATE TRIGGER test_slow_claim AFTER UPDATE OF status ON print_jobs "
                   "WHEN OLD.status = 'queued' AND NEW.status = 'printing' "
                   "AND julianday('now') < (SELECT until FROM test_slow_until) "
                   "BEGIN SELECT count(*) FROM test_slow a, test_slow b WHERE a.n + b.n > 0; END")


def holds_the_write_lock(process: psutil.Process, database_file: Path) -> bool:
    """Whether `process` holds SQLite's WAL write lock on `database_file` (/proc/locks says so)."""
    inode = os.stat(f"{database_file}-shm").st_ino
    with open("/proc/locks", encoding="ascii") as locks:
        for line in locks:
            kind, pid, file, start, end = line.split()[-5:]  # "5: POSIX ADVISORY WRITE 4469 fe:00:2188954 120 120"
            if (kind, pid, file.rsplit(":", 1)[-1], start, end) == ("WRITE", str(process.pid), str(inode),
                                                                     str(WAL_WRITE_LOCK), str(WAL_WRITE_LOCK)):
                return True
    return False


def stop_inside_a_write(process: psutil.Process, database_file: Path, within: float = 10.0) -> float:
    """SIGSTOP `process` while it holds the database's write lock, provably (it is stopped, and
    still holds it); the time it was stopped (time.monotonic())."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if holds_the_write_lock(process, database_file):
            process.suspend()
            stopped = time.monotonic()
            wait_until(lambda: process.status() == psutil.STATUS_STOPPED, timeout=2, what="the process stopped")
            if holds_the_write_lock(process, database_file):
                return stopped
            process.resume()  # it let go between our look and the signal
        time.sleep(0.002)
    raise AssertionError(f"the print process never held the write lock in {within:g} s")


@contextlib.contextmanager
def time_of_death(process: psutil.Process) -> Iterator[list[float]]:
    """When `process` is seen gone (or a zombie), sampled every 20 ms while the block runs."""
    died: list[float] = []

    def watch() -> bool:
        if alive(process):
            return False
        died.append(time.monotonic())
        return True

    with sampled(watch, 0.02):
        yield died


def scan_until_in(srv: Door, code: str, deadline: float) -> list[tuple[float, int]]:
    """Scan `code` again and again, as a kiosk page keeps a refused scan, until it is checked in
    or `deadline` passes: each answer's time and status. Busy (503) is the only refusal allowed."""
    answers = []
    while time.monotonic() < deadline:
        status = srv.scan(code, nonce=f"frozen-{code}").status_code
        answers.append((time.monotonic(), status))
        assert status in (201, 503), f"scan of {code} answered {status}"
        if status == 201:
            return answers
    return answers


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_print_process_frozen_inside_a_write_is_replaced_within_seconds_and_no_badge_is_lost(tmp_path):
    """The door is refused 503 busy while the process is frozen, scans again seconds after its
    heartbeat has been silent for FROZEN_AFTER, and every badge prints once (the frozen claim is
    rolled back with the process, so its badge is still queued for the successor)."""
    assert SLOW_FOR < FROZEN_AFTER and FROZEN_AFTER + 15 < GIVE_UP < HANG_FLOOR
    with FakePrinter() as fake:
        srv = Door.start(tmp_path / "door", fake.config())
        try:
            master = psutil.Process(srv.proc.proc.pid)
            wait_until(lambda: srv.printer()["online"] is True, what="the printer online")
            frozen = print_process(master)
            database_file = srv.proc.config_path.parent / "data" / "kiosk.db"
            first, *others = srv.codes(ARRIVALS)
            with print_processes_seen(master) as most, time_of_death(frozen) as died:
                slow_claims(srv)
                assert srv.scan(first).status_code == 201
                stopped = stop_inside_a_write(frozen, database_file)
                answers = scan_until_in(srv, others[0], deadline=stopped + GIVE_UP)
                back = answers[-1][0] - stopped
                refused = sum(status == 503 for _, status in answers)
                assert answers[-1][1] == 201, f"scans still refused {GIVE_UP:g} s after the print process froze"
                killed = wait_until(lambda: died and died[0], timeout=2, what="the frozen process gone") - stopped
                print(f"\nfrozen inside a write at 0 s: {refused} scans answered 503, the door back at {back:.1f} s "
                      f"(the process seen gone at {killed:.1f} s)")
                assert refused >= 1  # it did block the door, with the busy answer a kiosk page retries
                assert back - killed < 3.0, "scans did not go through once it was gone"
                assert FROZEN_AFTER - 2 <= killed < FROZEN_AFTER + 5  # its last beat came up to 1 s before the stop
                for code in others[1:]:
                    assert srv.scan(code).status_code == 201
                assert_printed_once(fake, [first, *others], timeout=20)
            assert most[0] == 1, "two print processes at once"
            assert not alive(frozen)
            successor = children(master)[1]
            assert successor is not None and successor.pid != frozen.pid and alive(successor)
            wait_until(lambda: job_statuses(srv.proc) == {"printed": ARRIVALS}, what="every job recorded printed")
            log = server_log(srv)
            assert log.count("has not moved for") == 1, log
            assert f"(pid {frozen.pid}) has not moved for" in log and "heartbeat is silent" in log, log
        finally:
            srv.proc.stop()


# -- the master's rule, on a clock of our own ---------------------------------
class Clock:
    """time.monotonic() for the supervisor and the liveness pipe, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Child:
    """A print process as the master sees it: it runs until killed (then it is still being reaped)."""

    pid = 4242

    def __init__(self) -> None:
        self.killed = False

    def poll(self) -> None:
        return None

    def kill(self) -> None:
        self.killed = True


@pytest.fixture
def master(monkeypatch) -> Iterator[tuple[PrintProcess, Clock, Child]]:
    """A PrintProcess watching a Child over a real liveness pipe, on a Clock; the print process's
    side of the pipe (liveness.beat, liveness.process_beat) writes into it."""
    clock = Clock()
    monkeypatch.setattr(liveness, "time", clock)
    monkeypatch.setattr(supervisor, "time", clock)
    monkeypatch.delenv(supervisor.HANG_ENV, raising=False)
    watcher = PrintProcess(SimpleNamespace(printers=[SimpleNamespace(name="default", backend="network", options={})]))
    assert watcher.hang_after == HANG_FLOOR  # the default printer timeouts
    watcher.beats, watcher.proc = liveness.Listener(1), Child()
    watcher.started_at = watcher.watched_at = clock.now
    monkeypatch.setattr(liveness, "_fd", None)
    liveness.start(os.dup(watcher.beats.write_fd))
    watcher.beats.handed_over()
    yield watcher, clock, watcher.proc
    os.close(liveness._fd)
    watcher.beats.close()


def turns(watcher: PrintProcess, clock: Clock, seconds: int, beat: bool = False) -> None:
    """The master's loop turning once a second for `seconds`, the heartbeat beating each second if `beat`."""
    for _ in range(seconds):
        clock.now += 1.0
        if beat:
            liveness.process_beat()
        watcher.keep_alive()


def test_a_silent_heartbeat_gets_the_print_process_killed_after_frozen_after(master, caplog):
    watcher, clock, child = master
    turns(watcher, clock, 5, beat=True)
    turns(watcher, clock, int(FROZEN_AFTER) - 1)
    assert not child.killed
    with caplog.at_level(logging.WARNING, logger="kiosk.printers"):
        turns(watcher, clock, 1)
    assert child.killed and watcher.killed_hung == FROZEN_AFTER
    assert "has not moved for 15 s (its heartbeat is silent" in caplog.text


def test_a_print_process_yet_to_beat_is_starting_and_only_the_minute_rule_applies(master):
    """Before its first heartbeat a print process is importing and reading its settings (slowly, at
    the lowest priority on a busy machine): no lock on the database yet, no reason to hurry."""
    watcher, clock, child = master
    turns(watcher, clock, int(HANG_FLOOR) - 1)
    assert not child.killed
    turns(watcher, clock, 1)
    assert child.killed


def test_a_beating_heartbeat_does_not_hide_a_stuck_worker(master):
    watcher, clock, child = master
    liveness.attach(0)  # this thread plays the worker: one beat, then stuck in a printer call
    watcher.keep_alive()  # heard now
    try:
        turns(watcher, clock, int(HANG_FLOOR) - 1, beat=True)
        assert not child.killed
        turns(watcher, clock, 1, beat=True)
        assert child.killed
    finally:
        del liveness._local.beat


def test_a_silence_the_master_did_not_watch_is_no_reason_to_kill(master):
    """Ctrl-Z on `kiosk serve` stops the master with its print process; after `fg` the master
    must not take the time it was stopped itself for the print process's silence."""
    watcher, clock, child = master
    turns(watcher, clock, 3, beat=True)
    clock.now += 10 * 60  # all stopped: no turn, no beat
    turns(watcher, clock, 1)  # back: the master's first turn since
    turns(watcher, clock, int(FROZEN_AFTER) - 1)
    assert not child.killed
    turns(watcher, clock, 1)
    assert child.killed


def test_the_heartbeat_beats_once_before_start_returns(tmp_path):
    """The master's grace for a starting process ends with this first beat, which must come before
    the print process opens the database (where a freeze would hold the write lock)."""
    beats = []
    with open(tmp_path / "kiosk.db.printing", "w", encoding="ascii") as handle:
        heartbeat = Heartbeat(handle, also=lambda: beats.append(time.monotonic())).start()
        assert len(beats) == 1
        heartbeat.stop()
