"""A printer on a slow link gets its badge once: the answer's deadline starts when its TCP has taken it all.

The status answer after a badge comes once the printer has read the whole badge. Its deadline ran
from the end of our write, with a second chance only while part of the badge was still unacknowledged.
But the printer's TCP acknowledges into its receive buffer: a badge it had taken whole just before the
deadline, with its last few KB still in that buffer, failed, and was sent again, printed again and
failed again (a 10-14 KB badge at 9,600 baud and the 10 s deadline: every time, as every attempt
takes as long). Tested on the backend with a job of zeros: a badge's raster data may hold a DLE EOT
sequence, which the fake (like a real printer) answers early, hiding the race.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

try:
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from fake_printer import FakePrinter

from printers import backend_network
from printers.connections import open_backend

pytestmark = pytest.mark.timeout(60)


def test_a_badge_taken_whole_by_a_slow_printers_tcp_is_not_failed_while_it_reads_its_buffer(monkeypatch):
    """12 KB read at 2,000 bytes a second (6 s): the printer's TCP has taken the last byte after 2-3 s,
    and some 8 KB then wait in its buffer. A 5 s deadline from the write ran out before the answer
    (the job failed, already printed, and was sent again); from the moment all was taken, it does not."""
    monkeypatch.setattr(backend_network, "RECEIPT_TIMEOUT", 5.0)  # 10 s in service: the same race, shorter
    job = b"\x1b@" + bytes(12_000)
    with FakePrinter(read_bytes_per_s=2000) as slow:
        backend = open_backend({"backend": "network", "host": slow.host, "port": slow.port, "timeout": 3.0}, Path("."))
        assert backend.status().online
        started = time.monotonic()
        backend.send(job, "badge-slow")
        assert time.monotonic() - started > 5.0, "the printer must read the badge for longer than the deadline"
        assert slow.wait_for_jobs(1) == [job]
