"""`kiosk printer status` on a serial printer while the print process sends it a badge.

Found by a printer-failure review (session 23): a serial port lets every process that opens it
write into the same line. The command's status queries went in behind (or into) the badge's bytes,
its answer came only after the badge had crossed the line, and the command said "NOT ANSWERING ...
has stopped answering (switched off, unplugged or jammed?)" and exited 1 about a printer that was
printing. The port is now held alone while open: the command says the port is in use by another
program, and the badge prints once, untouched.
"""

from __future__ import annotations

import time

import pytest

from conftest import run_kiosk, wait_until
from test_serial_receipt_session23 import _badge, _check_in, _printer, _whole_badges

try:
    from tests.fake_printer import FakeSerialPrinter
except ModuleNotFoundError:
    from fake_printer import FakeSerialPrinter

pytestmark = pytest.mark.timeout(120)
pytest.importorskip("serial")


def test_a_status_check_during_a_badge_says_the_port_is_in_use(kiosk_process):
    with FakeSerialPrinter(read_bytes_per_s=960) as fake:  # a 9,600-baud line: a badge takes over 10 s
        proc, tokens = kiosk_process(printer=fake.config(baudrate=9600, timeout=3.0))
        attendee, code = _check_in(proc, tokens)
        wait_until(lambda: _printer(proc, tokens)["busy"], timeout=20, what="the badge on its way")
        time.sleep(1)  # past its status check: the badge is crossing the line (over 10 s)

        checked = run_kiosk(proc.config_path, "printer", "status", check=False)
        assert "in use by another program" in checked.stdout, checked.stdout + checked.stderr
        assert "stopped answering" not in checked.stdout

        wait_until(lambda: _badge(proc, attendee)["status"] == "printed", timeout=40, what="the badge printed")
        assert _badge(proc, attendee)["last_error"] is None
        assert _whole_badges(fake) == [[code]]
