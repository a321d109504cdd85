"""A network printer that answered its status and then fell silent (jammed: it stops reading, so its
answers stop too) used to be taken for a model that never answers: its badges were sent into the
jam, recorded printed and lost. Now the badges wait, the console says why, and they print within
seconds of the printer answering again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import Server, run_kiosk, wait_until, write_config
from printers import backend_network
from printers.badge import BadgeInfo
from printers.connections import PrinterError, open_backend
from printers.escpos_job import build_job

try:
    from tests.fake_printer import FakePrinter
    from tests.test_printer_jam import assert_printed_once, printer_of, timed_check_ins
except ModuleNotFoundError:
    from fake_printer import FakePrinter
    from test_printer_jam import assert_printed_once, printer_of, timed_check_ins

pytestmark = pytest.mark.timeout(40)
INFO = BadgeInfo("Ada Lovelace", "Ada", "Analytical Engines", "London Tech Meetup", "Thu 26 Nov 2026",
                 "K1-AAAA-BBBB", None, None)


def network(fake: FakePrinter):
    return open_backend({"backend": "network", "host": fake.host, "port": fake.port, "timeout": 1.0,
                         "profile": "TM-T20II"}, Path("."))


def test_a_printer_that_answered_and_fell_silent_gets_no_badge_until_it_answers_again() -> None:
    job = build_job(INFO, "TM-T20II")
    with FakePrinter() as fake:
        backend = network(fake)
        backend.send(job, "job-1")
        assert len(fake.wait_for_jobs(1)) == 1
        fake.mode = "silent"  # jammed: no more answers
        with pytest.raises(PrinterError) as held:
            backend.send(job, "job-2")
        assert held.value.reason == "silent" and "stopped answering" in str(held.value)
        status = backend.status()
        assert not status.online and "stopped answering" in status.detail
        time.sleep(0.5)
        assert len(fake.jobs) == 1  # the held badge went nowhere
        fake.mode = "normal"
        assert backend.status().online
        backend.send(job, "job-2")
        assert len(fake.wait_for_jobs(2)) == 2


def test_a_printer_silent_from_the_start_still_prints_without_the_check() -> None:
    with FakePrinter(mode="silent") as fake:
        backend = network(fake)
        assert backend.status().online
        backend.send(build_job(INFO, "TM-T20II"), "job-1")
        assert len(fake.wait_for_jobs(1)) == 1


def test_a_printer_silent_for_good_is_in_the_end_printed_to_without_the_check(monkeypatch) -> None:
    """Deadlock guard: a print server that stops answering status for good, yet prints."""
    monkeypatch.setattr(backend_network, "SILENCE_GIVE_UP", 0.3)
    with FakePrinter() as fake:
        backend = network(fake)
        assert backend.status().online
        fake.mode = "silent"
        assert not backend.status().online
        time.sleep(0.4)
        assert backend.status().online  # taken for a printer that does not answer
        backend.send(build_job(INFO, "TM-T20II"), "job-1")
        assert len(fake.wait_for_jobs(1)) == 1


def test_a_jam_of_many_minutes_still_holds_the_badges() -> None:
    """Silent for 2 minutes, a printer that had answered was taken for a print server and sent every
    waiting badge into its jammed buffer (counted printed, never printed). A jam lasts that long
    when nobody is at the printer: the badges wait, however long."""
    with FakePrinter() as fake:
        backend = network(fake)
        assert backend.status().online
        fake.mode = "silent"
        assert not backend.status().online
        backend._silent_since -= 30 * 60  # silent for half an hour (white-box: the clock the give-up reads)
        assert not backend.status().online
        with pytest.raises(PrinterError, match="stopped answering"):
            backend.send(build_job(INFO, "TM-T20II"), "job-1")
        assert fake.jobs == []


@pytest.mark.timeout(60)
def test_at_the_door_badges_wait_out_a_jam_and_print_once_it_is_cleared(make_server) -> None:
    with FakePrinter() as fake:
        srv: Server = make_server(printer=fake.config(timeout=1.0))
        people = [person["ticket_code"] for person in srv.people()[:6]]
        timed_check_ins(lambda code: srv.scan(code), people[:1], "before the jam")
        assert_printed_once(fake, people[:1])
        fake.mode = "silent"
        timed_check_ins(lambda code: srv.scan(code), people[1:], "during the jam")
        wait_until(lambda: "stopped answering" in (printer_of(srv)["last_error"] or ""), what="the jam shown")
        time.sleep(12.0)  # a jam long enough for the retries' back-off to reach 8-16 s
        state = printer_of(srv)
        assert state["online"] is False and state["queue"]["queued"] == 5 and len(fake.jobs) == 1
        fake.mode = "normal"
        cleared = time.monotonic()
        assert_printed_once(fake, people, timeout=15)
        assert time.monotonic() - cleared < 6  # the next probe (every 2 s) resumes; no back-off
        wait_until(lambda: printer_of(srv)["online"] is True and printer_of(srv)["last_error"] is None,
                   what="the printer shown back")


@pytest.mark.parametrize(("paper", "cover_open"), [("out", False), ("ok", True)], ids=["paper-out", "cover-open"])
def test_printer_status_says_not_ready_for_a_printer_that_answered_it_cannot_print(
        paper: str, cover_open: bool, tmp_path: Path) -> None:
    """"NOT ANSWERING" sent volunteers to the cable and the power switch for an empty roll."""
    with FakePrinter(paper=paper, cover_open=cover_open) as fake:
        config = write_config(tmp_path, printer=f'backend = "network"\nhost = "127.0.0.1"\nport = {fake.port}\ntimeout = 2')
        status = run_kiosk(config, "printer", "status", check=False)
    assert status.returncode == 1 and "default: NOT READY" in status.stdout, status.stdout
    assert "NOT ANSWERING" not in status.stdout
