"""A serial printer's status answer is read when it comes, not after the port's whole timeout.

python-escpos reads a status answer as 16 bytes, and pyserial waits for all 16 until the timeout;
a printer answers one byte. Each query then took the printer's whole `timeout` (3 s by default):
a badge is preceded by two, so a serial printer printed at best one badge per 6 s while the queue
grew, and a probe (two or three queries) of a printer switched back on took 6-9 s.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from test_printer_backends import SlowSerialLine

pytestmark = pytest.mark.timeout(60)

# In a process of its own, as in test_printer_backends: pyserial's select() cannot take the high
# descriptor numbers a long test run reaches.
TIME_STATUS_AND_BADGE = """
import sys, time
from pathlib import Path
from printers.connections import open_backend
backend = open_backend({"backend": "serial", "device": sys.argv[1], "baudrate": 115200, "timeout": 3.0}, Path("."))
started = time.monotonic()
status = backend.status()
asked = time.monotonic() - started
backend.send(b"\\x1b@" + b"badge" * 400, "job-000001")
print(status.online, status.paper, asked, time.monotonic() - started - asked)
"""


def test_a_serial_printer_that_answers_at_once_costs_no_timeout_per_status_query():
    """Status and a badge take well under one `timeout` (3 s), not two or three of them."""
    pytest.importorskip("serial")
    line = SlowSerialLine(bytes_per_second=1_000_000)  # a fast line: it answers "ready" within 0.1 s
    try:
        ran = subprocess.run([sys.executable, "-c", TIME_STATUS_AND_BADGE, line.path], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert ran.returncode == 0, ran.stderr[-2000:]
        online, paper, asked, sent = ran.stdout.split()
        assert (online, paper) == ("True", "ok")
        assert float(asked) < 1.5, f"the status took {float(asked):.1f} s"
        assert float(sent) < 1.5, f"the badge took {float(sent):.1f} s"
    finally:
        line.close()
