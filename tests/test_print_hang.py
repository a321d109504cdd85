"""A print process that hangs is replaced by the server; one that is only slow is left alone.

A hung print process (SIGSTOP here; in the evening a driver call that never returns, or a laptop
swapping) is neither dead nor printing: badges used to pile up until someone restarted the
server. The master now replaces a print process whose workers have not been heard for
``hang_after`` seconds (printers/supervisor.py). These tests run the real `kiosk serve` with the
threshold cut to a few seconds (``KIOSK_PRINT_HANG_AFTER``) and decode the badges that come out.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, Callable, Iterator

import psutil
import pytest

from conftest import wait_until
from printers.supervisor import HANG_ENV
from test_door_failures import Door
from test_print_process import alive, children, print_process
from test_printer_jam import assert_printed_once, job_statuses, timed_check_ins

try:
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(60)
HANG_AFTER = 5.0  # seconds; 60 or more in the evening (supervisor.hang_after)
ARRIVALS = 5


@pytest.fixture
def door(tmp_path, monkeypatch) -> Iterator:
    """Factory: `kiosk serve` printing to `fake`, replacing a print process silent for HANG_AFTER s."""
    monkeypatch.setenv(HANG_ENV, str(HANG_AFTER))  # the server inherits it
    started: list[Door] = []

    def make(fake: FakePrinter) -> Door:
        started.append(Door.start(tmp_path / f"door{len(started)}", fake.config()))
        return started[-1]

    yield make
    for door in started:
        door.proc.stop()


@contextlib.contextmanager
def sampled(step: Callable[[], bool | None], every: float) -> Iterator[None]:
    """Call `step` every `every` seconds from a thread while the block runs, until it returns True."""
    done = threading.Event()

    def run() -> None:
        while not done.wait(every):
            if step():
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def print_processes_seen(master: psutil.Process) -> Iterator[list[int]]:
    """The most print processes alive at one time while the block runs (sampled 20 times a second)."""
    most = [0]

    def sample() -> None:
        count = 0
        for child in master.children():
            try:
                count += alive(child) and "printers.process" in " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
        most[0] = max(most[0], count)

    with sampled(sample, 0.05):
        yield most


def successor(master: psutil.Process, hung: psutil.Process) -> psutil.Process:
    """The print process that replaced `hung`, once it runs (within the threshold and a few seconds)."""
    def found() -> psutil.Process | None:
        printer = children(master)[1]
        return printer if printer is not None and printer.pid != hung.pid else None
    return wait_until(found, timeout=HANG_AFTER + 8, what="a new print process")


def server_log(door: Door) -> str:
    """What `kiosk serve` wrote to stderr (the server is stopped first)."""
    door.proc.stop()
    return door.proc.proc.stderr.read().decode(errors="replace")


def serving(door: Any, fake: FakePrinter) -> tuple[Any, psutil.Process, psutil.Process]:
    """A door printing on `fake`, the server's master, and its print process (yet to hang)."""
    srv = door(fake)
    master = psutil.Process(srv.proc.proc.pid)
    wait_until(lambda: srv.printer()["online"] is True, what="the printer online")
    return srv, master, print_process(master)


def test_a_hung_print_process_is_replaced_and_every_badge_prints_once(door):
    """Badges scanned while the print process hangs print from its successor, once each."""
    with FakePrinter() as fake:
        srv, master, hung = serving(door, fake)
        with print_processes_seen(master) as most:
            hung.suspend()
            stopped = time.monotonic()
            codes = srv.codes(ARRIVALS)
            timed_check_ins(srv.scan, codes, "print process hung")
            fake.wait_for_jobs(len(codes), timeout=HANG_AFTER + 10)
            back = time.monotonic() - stopped
            assert_printed_once(fake, codes)
        print(f"\nhung at 0 s, threshold {HANG_AFTER:g} s: {len(codes)} badges printed by {back:.1f} s")
        assert back >= HANG_AFTER  # the hung process never printed them
        assert most[0] == 1, "two print processes at once"
        assert not alive(hung)
        assert alive(successor(master, hung))
        wait_until(lambda: job_statuses(srv.proc) == {"printed": len(codes)}, what="every job recorded printed")
        wait_until(lambda: srv.printer()["last_error"] is None and srv.printer()["online"] is True,
                   what="the printer shown ready")
        assert f"(pid {hung.pid}) has not moved for" in server_log(srv)


def test_the_console_says_the_print_process_was_replaced_until_a_badge_prints(door):
    """Volunteers who saw "not printing" learn what happened; the note goes with the next badge."""
    with FakePrinter() as fake:
        srv, master, hung = serving(door, fake)
        hung.suspend()  # idle: the successor has nothing to print, so its note stays on the card
        successor(master, hung)
        note = wait_until(lambda: "replaced" in (srv.printer()["last_error"] or "") and srv.printer()["last_error"],
                          timeout=5, what="a note on the printer's card")
        assert "print process" in note, note
        codes = srv.codes(1)
        timed_check_ins(srv.scan, codes, "after the replacement")
        assert_printed_once(fake, codes)
        wait_until(lambda: srv.printer()["last_error"] is None, what="the note gone once a badge printed")


class SlowPrinter(FakePrinter):
    """A printer that answers the status query after a badge only `seconds` later (it prints slowly
    and reads the query after the badge): each send blocks that long, and succeeds."""

    def __init__(self, seconds: float, **kw: object) -> None:
        super().__init__(**kw)
        self.seconds = seconds

    def _answer_queries(self, conn: socket.socket, data: bytearray, scanned: int) -> int:
        first_after_badge = len(data) > 64 and data[-3:-1] == b"\x10\x04" and data[-6:-4] != b"\x10\x04"
        if first_after_badge:  # not the queries that follow it (paper...): they are answered at once
            time.sleep(self.seconds)
        return super()._answer_queries(conn, data, scanned)


def test_a_print_process_busy_with_a_slow_printer_past_the_threshold_is_not_killed(door):
    """Each badge takes most of the threshold, the run of them well past it: a busy process beats
    between its calls and is left alone."""
    per_badge = HANG_AFTER * 0.6
    with SlowPrinter(per_badge) as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        wait_until(lambda: srv.printer()["online"] is True, what="the printer online")
        printer = print_process(master)
        codes = srv.codes(3)
        started = time.monotonic()
        timed_check_ins(srv.scan, codes, "slow printer")
        fake.wait_for_jobs(len(codes), timeout=len(codes) * per_badge + 10)
        busy = time.monotonic() - started
        assert_printed_once(fake, codes)
        print(f"\n{len(codes)} badges at {per_badge:g} s each: busy {busy:.1f} s, threshold {HANG_AFTER:g} s")
        assert busy > HANG_AFTER + 1
        assert children(master)[1].pid == printer.pid and alive(printer)
        assert "has not moved for" not in server_log(srv)
