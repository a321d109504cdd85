"""Under `kiosk serve` badges print from a process of their own, which the server keeps alive.

Drawing a badge holds the GIL for 10-20 ms, so the gunicorn master runs the print
workers beside the web worker, not inside it. These tests run the real `kiosk
serve` and a fake network printer, look at the process tree with psutil, and
kill the processes the way a bad evening would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psutil
import pytest
import requests
from PIL import Image
from websockets.sync.client import connect

from conftest import ROOT, KioskProcess
from printers.process import NICENESS
from test_print_queue import recv_until
from test_printer_jam import assert_printed_once, database, timed_check_ins, wait_until

try:
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(60)
ARRIVALS = 8


@dataclass
class Door:
    """A running `kiosk serve` with a volunteer's and a kiosk's session."""

    proc: KioskProcess
    kiosk: requests.Session
    volunteer: requests.Session
    volunteer_token: str

    def scan(self, code: str) -> requests.Response:
        return self.kiosk.post(self.proc.url + "/api/checkins", json={"code": code, "station": "door-1"}, timeout=5)

    def printer(self) -> dict[str, Any]:
        """The one printer of GET /api/printers."""
        [printer] = self.volunteer.get(self.proc.url + "/api/printers", timeout=5).json()["printers"]
        return printer

    def codes(self, n: int = ARRIVALS) -> list[str]:
        with database(self.proc) as db:
            return [r[0] for r in db.execute("SELECT ticket_code FROM attendees WHERE attending = 1 "
                                              "AND is_walk_in = 0 ORDER BY id LIMIT ?", [n])]

    def live(self) -> Any:
        """A volunteer's /ws/live socket."""
        return connect(f"{self.proc.url.replace('http', 'ws')}/ws/live?token={self.volunteer_token}", open_timeout=5)


@pytest.fixture
def door(kiosk_process) -> Any:
    """Factory: `kiosk serve` printing to a fake printer."""
    def make(fake: FakePrinter) -> Door:
        proc, tokens = kiosk_process(printer=fake.config())
        kiosk, volunteer = requests.Session(), requests.Session()
        kiosk.headers["Authorization"] = f"Bearer {tokens['kiosk']}"
        volunteer.headers["Authorization"] = f"Bearer {tokens['volunteer']}"
        return Door(proc, kiosk, volunteer, tokens["volunteer"])
    return make


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def children(master: psutil.Process) -> tuple[psutil.Process | None, psutil.Process | None]:
    """(the web worker, the print process) among the master's living children."""
    web, printer = None, None
    for child in master.children():
        try:
            if not alive(child):
                continue
            if "printers.process" in " ".join(child.cmdline()):
                printer = child
            else:
                web = child
        except psutil.NoSuchProcess:
            continue
    return web, printer


def print_process(master: psutil.Process, not_pid: int | None = None) -> psutil.Process:
    """The master's print process (another one than `not_pid`), once it runs."""
    def found() -> psutil.Process | None:
        printer = children(master)[1]
        return printer if printer is not None and printer.pid != not_pid else None
    return wait_until(found, what="a print process")


def suspend_outside_a_write(process: psutil.Process, srv: Door) -> None:
    """Stop `process` at a moment it holds no write lock on the database.

    Stopped inside one of its short write transactions (a badge marked printed), it would keep
    every scan from writing until resumed: the server then answers 503 busy after its wait, as
    it should, but this test is about where badges print, and a check-in must succeed here."""
    for _ in range(50):
        process.suspend()
        with database(srv.proc) as db:
            try:
                db.execute("PRAGMA busy_timeout = 0")
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                return
            except sqlite3.OperationalError:
                process.resume()
        time.sleep(0.05)
    raise AssertionError("the print process held the write lock at each of 50 tries")


def test_badges_print_from_a_process_of_their_own(door):
    with FakePrinter() as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        printer = print_process(master)
        web = wait_until(lambda: children(master)[0], what="the web worker")
        assert printer.pid != web.pid and printer.ppid() == web.ppid() == master.pid
        wait_until(lambda: printer.nice() == min(web.nice() + NICENESS, 19), what="the print process to lower its priority")

        suspend_outside_a_write(printer, srv)  # if the badge came from anywhere else, it would print now
        try:
            code = srv.codes(1)
            timed_check_ins(srv.scan, code, "print process paused")
            time.sleep(1.5)
            assert fake.jobs == []
        finally:
            printer.resume()
        assert_printed_once(fake, code)


def test_a_killed_print_process_is_back_within_a_second_and_every_badge_prints_once(door):
    with FakePrinter(mode="refusing") as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        codes = srv.codes()
        timed_check_ins(srv.scan, codes, "printer refusing (kiosk serve)")
        wait_until(lambda: srv.printer()["online"] is False, what="the printer shown offline")
        assert srv.printer()["queue"]["queued"] == ARRIVALS

        old = print_process(master)
        killed = time.monotonic()
        old.kill()
        new = print_process(master, not_pid=old.pid)
        print(f"\nprint process back in {time.monotonic() - killed:.2f} s")
        assert time.monotonic() - killed < 2.0

        fake.resume()
        assert_printed_once(fake, codes)
        wait_until(lambda: srv.printer()["queue"]["printed"] == ARRIVALS, what="the queue drained")
        assert alive(new)


def test_a_print_process_replaced_during_a_jam_keeps_the_badges_waiting(door):
    """A new print process met the jammed printer's silence from the start, took it for a print
    server that never answers status, and sent every waiting badge into the jam: each counted
    printed, none came out. It now starts from what the last one stored: this printer answers."""
    with FakePrinter() as fake:
        srv = door(fake)
        codes = srv.codes(4)
        timed_check_ins(srv.scan, codes[:1], "before the jam")
        assert_printed_once(fake, codes[:1])
        wait_until(lambda: srv.printer()["answers_status"] is True, what="the printer known to answer")

        fake.mode = "silent"  # jammed: it takes bytes into its buffer but answers nothing, prints nothing
        timed_check_ins(srv.scan, codes[1:], "during the jam")
        wait_until(lambda: "stopped answering" in (srv.printer()["last_error"] or ""), what="the jam shown")
        master = psutil.Process(srv.proc.proc.pid)
        old = print_process(master)
        old.kill()
        print_process(master, not_pid=old.pid)
        time.sleep(6.0)  # a few probes of the new process
        assert len(fake.jobs) == 1, "badges were sent into the jammed printer"
        state = srv.printer()
        assert state["queue"]["queued"] == 3 and state["online"] is not True, state

        fake.mode = "normal"
        assert_printed_once(fake, codes, timeout=15)


def test_the_print_process_stops_with_the_server(door):
    with FakePrinter() as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        printer = print_process(master)
        os.kill(master.pid, signal.SIGTERM)  # the master alone, not its process group
        srv.proc.proc.wait(timeout=15)
        wait_until(lambda: not alive(printer), timeout=2, what="the print process to stop")
        assert not alive(printer) and srv.proc.proc.returncode is not None


def test_the_print_process_exits_by_itself_when_the_master_is_killed(door):
    with FakePrinter() as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        web, printer = children(master)[0], print_process(master)
        killed = time.monotonic()
        os.kill(master.pid, signal.SIGKILL)
        try:
            wait_until(lambda: not alive(printer), timeout=3, what="the orphaned print process to exit")
            assert time.monotonic() - killed < 3 and not alive(printer)
        finally:
            for orphan in (web, printer):
                if orphan is not None and alive(orphan):
                    orphan.kill()


def shown_online(message: dict[str, Any]) -> bool:
    """A /ws/live message saying the printer is online: in the snapshot, or as a change."""
    printers = message["printers"] if message["type"] == "snapshot" else [message] if message["type"] == "printer" else []
    return any(p["online"] is True for p in printers)


def test_a_printer_going_offline_reaches_the_api_and_the_live_feed(door):
    with FakePrinter() as fake:
        srv = door(fake)
        wait_until(lambda: srv.printer()["online"] is True, what="the first status check")
        with srv.live() as ws:
            recv_until(ws, shown_online)  # the web reads the print process's states once a second

            fake.refuse()
            code = srv.codes(1)
            srv.scan(code[0])
            offline = recv_until(ws, lambda m: m["type"] == "printer" and m["online"] is False)
            assert offline["name"] == "default" and "refused" in offline["last_error"]
            assert srv.printer()["online"] is False and srv.printer()["queue"]["queued"] == 1

            fake.resume()
            online = recv_until(ws, lambda m: m["type"] == "printer" and m["online"] is True)
            assert online["last_error"] is None
        assert_printed_once(fake, code)


def test_printing_in_the_other_process_wakes_no_screen_with_a_refresh(door):
    """The print process commits on every badge; only a changed headcount may refresh 500 screens."""
    with FakePrinter() as fake:
        srv = door(fake)
        with srv.live() as ws:
            json.loads(ws.recv(timeout=5))
            codes = srv.codes(3)
            for code in codes:
                srv.scan(code)
            fake.wait_for_jobs(3)
            kinds = []
            deadline = time.monotonic() + 2.5  # the web notices other processes' commits every second
            while time.monotonic() < deadline:
                try:
                    kinds.append(json.loads(ws.recv(timeout=deadline - time.monotonic()))["type"])
                except TimeoutError:
                    break
        assert kinds.count("checked_in") == 3 and "printer" in kinds
        assert "refresh" not in kinds, kinds


def test_a_restarted_print_process_keeps_the_servers_settings_not_an_edited_config(door):
    """Someone edits config.toml mid-evening (a typo); the print process dies: badges still print."""
    with FakePrinter() as fake:
        srv = door(fake)
        master = psutil.Process(srv.proc.proc.pid)
        text = srv.proc.config_path.read_text()
        srv.proc.config_path.write_text(text.replace(f"port = {fake.port}", 'port = "91OO"'))
        old = print_process(master)
        old.kill()
        print_process(master, not_pid=old.pid)
        codes = srv.codes(3)
        timed_check_ins(srv.scan, codes, "after a restart with an edited config")
        assert_printed_once(fake, codes)


def file_printer_console(kiosk_process: Any) -> tuple[KioskProcess, dict[str, str], Callable[[], dict[str, Any]]]:
    """`kiosk serve` with a file printer, once it shows online: the server, its tokens, and a
    function that reads the printer as the console's GET /api/printers shows it."""
    proc, tokens = kiosk_process(seed=False, printer='backend = "file"\npath = "badges"')
    volunteer = {"Authorization": f"Bearer {tokens['volunteer']}"}

    def shown() -> dict[str, Any]:
        [printer] = requests.get(proc.url + "/api/printers", headers=volunteer, timeout=5).json()["printers"]
        return printer

    wait_until(lambda: shown()["online"] is True, what="the file printer online")
    return proc, tokens, shown


def test_the_console_says_when_the_print_process_cannot_run_and_when_it_is_back(kiosk_process, tmp_path):
    """A print process that cannot start (its badge folder became a file) must not look online."""
    from printers.board import PRINT_PROCESS_DOWN

    proc, tokens, shown = file_printer_console(kiosk_process)
    master = psutil.Process(proc.proc.pid)
    folder = proc.config_path.parent / "badges"
    if folder.is_dir():
        folder.rmdir()  # empty: nobody checked in yet
    folder.write_text("not a folder")
    old = print_process(master)
    with connect(f"{proc.url.replace('http', 'ws')}/ws/live?token={tokens['volunteer']}", open_timeout=5) as ws:
        old.kill()
        down = recv_until(ws, lambda m: m.get("type") == "printer" and m["online"] is False, timeout=10)
        assert down["last_error"] == PRINT_PROCESS_DOWN
        assert shown()["online"] is False and shown()["last_error"] == PRINT_PROCESS_DOWN
        folder.unlink()
        recv_until(ws, lambda m: m.get("type") == "printer" and m["online"] is True, timeout=15)


def test_the_console_tells_a_stopped_print_process_from_one_that_is_not_running(kiosk_process):
    """A SIGSTOPped print process still holds its lock: the console showed its printer online (or,
    once badges waited 15 s, "may be stuck") for the minute before the server replaced it. It now
    says the process is not answering, and since when; it recovers with SIGCONT; a killed one (that
    cannot start again) is still "not running". `print_process` in the API says which."""
    from kiosk.process_locks import SILENT_AFTER
    from printers.board import NOT_ANSWERING, NOT_RUNNING, PRINT_PROCESS_DOWN, RUNNING

    proc, tokens, shown = file_printer_console(kiosk_process)
    assert shown()["print_process"] == RUNNING
    master = psutil.Process(proc.proc.pid)
    paused = print_process(master)
    with connect(f"{proc.url.replace('http', 'ws')}/ws/live?token={tokens['volunteer']}", open_timeout=5) as ws:
        recv_until(ws, lambda m: m.get("type") == "snapshot")
        paused.suspend()
        stopped_at = time.time()
        try:
            silent = recv_until(ws, lambda m: m.get("type") == "printer" and m["online"] is False,
                                timeout=SILENT_AFTER + 5)
            assert silent["print_process"] == NOT_ANSWERING and silent["busy"] is False, silent
            since = {time.strftime("%H:%M:%S", time.localtime(stopped_at - ago)) for ago in (0, 1, 2)}
            assert any(silent["last_error"].startswith(f"The print process is not answering (since {at}), so no "
                                                       "badge prints") for at in since), silent["last_error"]
            api = shown()
            assert api["print_process"] == NOT_ANSWERING and api["online"] is False
            assert api["last_error"] == silent["last_error"]
            assert alive(paused) and children(master)[1].pid == paused.pid  # there, not replaced yet
        finally:
            paused.resume()
        back = recv_until(ws, lambda m: m.get("type") == "printer" and m["online"] is True, timeout=5)
        assert back["print_process"] == RUNNING and back["last_error"] is None

    folder = proc.config_path.parent / "badges"
    if folder.is_dir():
        folder.rmdir()  # empty: nothing printed
    folder.write_text("not a folder")  # the print process cannot start again
    paused.kill()
    down = wait_until(lambda: (state := shown())["print_process"] == NOT_RUNNING and state, what="not running")
    assert down["online"] is False and down["last_error"] == PRINT_PROCESS_DOWN
    seen = set()
    deadline = time.monotonic() + SILENT_AFTER + 1
    while time.monotonic() < deadline:  # a dead process is never "not answering", however long it is gone
        seen.add(shown()["print_process"])
        time.sleep(0.2)
    assert NOT_RUNNING in seen and NOT_ANSWERING not in seen, seen


WRITES_A_BADGE_SLOWLY = """
import sys, time
from pathlib import Path
from printers.connections import open_backend

class HalfDrawn:
    \"\"\"A preview whose PNG stops half-way: the file printer is in the middle of a badge.\"\"\"
    def save(self, f, format):
        f.write(b"\\x89PNG half a badge")
        f.flush()
        print("writing", flush=True)
        time.sleep(60)

open_backend({"backend": "file", "path": sys.argv[1]}, Path(".")).send(b"job", sys.argv[2], preview=HalfDrawn())
"""


def writing_a_badge(folder: Path, job_id: str) -> subprocess.Popen:
    """A process in the middle of writing badge `job_id` into `folder` with the file printer."""
    writer = subprocess.Popen([sys.executable, "-c", WRITES_A_BADGE_SLOWLY, str(folder), job_id], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    return writer


def temporary_files(folder: Path) -> list[str]:
    """The names of the temporary files in `folder` (an atomic write's, before its rename)."""
    return sorted(path.name for path in folder.iterdir() if path.name.startswith(".tmp-"))


def test_a_badge_half_written_by_a_killed_print_process_is_removed_when_printing_starts(kiosk_process, tmp_path):
    """A file printer killed (kill -9) mid-badge left its `.tmp-*.png` in the badges folder for good.
    The print process removes it when it starts; real badges, and a badge another live process is
    writing into the same folder, stay."""
    from printers.connections import open_backend

    folder = tmp_path / "badges"
    open_backend({"backend": "file", "path": str(folder)}, tmp_path).send(b"a real badge", "job-000001",
                                                                          preview=Image.new("1", (8, 8)))
    badges = {path.name: path.read_bytes() for path in folder.iterdir()}
    killed = writing_a_badge(folder, "job-000002")
    [leftover] = temporary_files(folder)
    killed.kill()
    killed.wait()
    busy = writing_a_badge(folder, "job-000003")
    try:
        [in_use] = set(temporary_files(folder)) - {leftover}
        assert (folder / leftover).read_bytes() == b"\x89PNG half a badge"

        proc, _ = kiosk_process(seed=False, printer=f'backend = "file"\npath = "{folder}"')
        print_process(psutil.Process(proc.proc.pid))
        wait_until(lambda: leftover not in temporary_files(folder), what="the half-written badge removed")
        assert temporary_files(folder) == [in_use]
        assert {path.name: path.read_bytes() for path in folder.iterdir() if path.name in badges} == badges
    finally:
        busy.kill()
        busy.wait()
