"""A network printer on a line slower than 9,600 baud, behind a big buffer, prints each badge once.

Found by a printer-failure review (session 23): the wait for the answer after a badge allowed the
badge's time on a 9,600-baud line (960 bytes a second) after the printer's TCP had taken it. A
4,800- or 2,400-baud printer behind a serial-to-network box (which takes the whole badge into its
buffer at once) reads a badge two or four times slower: every badge failed while it printed and
was sent again, the same badge coming out again and again. The wait now follows the pace the
printer's earlier badges were read at, and a printer's first badge gets a 2,400-baud line's time.

Scaled down here: a 2 s wait, a "slowest line" of 4,000 bytes a second and a printer reading
1,000 bytes a second (a badge takes about 8 s, the old wait was 4 s) from a buffer that takes a
whole badge.
"""

from __future__ import annotations

import pytest

from conftest import print_job, wait_until

try:
    from tests import fake_printer
    from tests.escpos_decode import qr_texts
except ModuleNotFoundError:
    import fake_printer
    from escpos_decode import qr_texts

from printers import backend_network

pytestmark = pytest.mark.timeout(120)
BIG_BUFFER = 1 << 16  # bytes: a serial-to-network box's buffer takes a whole badge


def test_badges_a_line_slower_than_assumed_reads_from_a_big_buffer_print_once(make_server, monkeypatch):
    monkeypatch.setattr(backend_network, "RECEIPT_TIMEOUT", 2.0)
    monkeypatch.setattr(backend_network, "HANGUP_TIMEOUT", 2.0)
    monkeypatch.setattr(backend_network, "SLOWEST_LINE_BYTES_PER_S", 4000.0)
    monkeypatch.setattr(fake_printer, "SLOW_READ_BUFFER", BIG_BUFFER)
    with fake_printer.FakePrinter(read_bytes_per_s=1000) as fake:  # a quarter of the pace the kiosk allowed for
        srv = make_server(printer=fake.config())
        people = srv.people()[4:6]
        for person in people:
            assert srv.scan(person["ticket_code"]).status_code == 201

        for person in people:  # the first badge (pace unknown), then one at the pace the first was read at
            printed = wait_until(lambda: (job := print_job(srv, person["id"]))["status"] == "printed" and job, timeout=60,
                                 what="the badge recorded printed")
            assert printed["last_error"] is None, printed  # never failed, so never sent twice
        jobs = fake.wait_for_jobs(2, timeout=15)
        assert len(jobs[0]) / 1000 > 2.0 + len(jobs[0]) / 4000, "the badge must take longer than the old wait"
        assert [qr_texts(job) for job in jobs] == [[p["ticket_code"]] for p in people]
        assert srv.get("/api/printers", "volunteer").json()["printers"][0]["last_error"] is None
