"""A printer back after an outage is not called stuck while it prints the badges that waited.

Found by a crash-testing review (session 19): a printer switched off (or its cable unplugged, its
paper out) for more than 15 s came back, showed ready, and while it took the first waiting badge
the console said "Badges are waiting, yet none has printed for 15 s although the printer looks
ready: the print process may be stuck": the oldest badge had waited that long, but for the outage,
not for a stuck process. On a slow printer (a serial line) that lasted seconds, after every outage.
"""

from __future__ import annotations

import time

import pytest

from conftest import wait_until
from printers.board import STALLED_AFTER
from test_printer_jam import printer_of

try:
    from tests import fake_printer
except ModuleNotFoundError:
    import fake_printer

pytestmark = pytest.mark.timeout(90)


def test_a_slow_printer_back_after_an_outage_is_not_shown_stuck_while_it_prints_the_waiting_badges(make_server):
    with fake_printer.FakePrinter(mode="refusing", read_bytes_per_s=3000) as fake:  # a badge takes ~3 s
        srv = make_server(printer=fake.config(timeout=5.0))
        for person in srv.people()[:2]:
            assert srv.scan(person["ticket_code"]).status_code == 201
        wait_until(lambda: printer_of(srv)["online"] is False, what="the switched-off printer shown offline")
        time.sleep(STALLED_AFTER + 1)  # the badges wait out the outage
        fake.resume()
        shown = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            printer = printer_of(srv)
            shown.append(printer["last_error"])
            if printer["queue"]["printed"] == 2:
                break
            time.sleep(0.2)
        assert printer["queue"]["printed"] == 2, printer
        stuck = [error for error in shown if error and "may be stuck" in error]
        assert not stuck, f"shown stuck {len(stuck)} times of {len(shown)} while printing after the outage"
        assert len(fake.wait_for_jobs(2, timeout=10)) == 2
