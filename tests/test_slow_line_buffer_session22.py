"""A printer behind a slow line with a big buffer gets each badge once, however long it reads.

Found by a printer-failure review (session 22): a serial-to-network box (or a printer with a big
receive buffer) takes a whole badge into its buffer at once and then feeds it to a 9,600-baud line,
10-27 s for a 10-25 KB badge. Its status answer (or, from one that does not answer status, its
hang-up) comes only once the badge has crossed; the kiosk waited 10 s after its TCP had taken the
last byte, failed the badge while it printed, and sent it again: the same badge came out again and
again (4 copies in 60 s), and the console said "has not read the badge for 10 s (jammed, or stuck?)".
The wait now allows the badge's time on a 9,600-baud line on top.

Scaled down here: a 2 s wait, a printer reading 2,000 bytes a second (a badge takes about 5 s) and
a slowest line of 1,000 bytes a second.
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

pytestmark = pytest.mark.timeout(90)
BIG_BUFFER = 1 << 16  # bytes: a serial-to-network box's buffer takes a whole badge


@pytest.mark.parametrize("mode", ["normal", "silent"], ids=["answers-status", "does-not-answer-status"])
def test_a_badge_a_slow_line_reads_from_a_big_buffer_prints_once(make_server, monkeypatch, mode):
    monkeypatch.setattr(backend_network, "RECEIPT_TIMEOUT", 2.0)
    monkeypatch.setattr(backend_network, "HANGUP_TIMEOUT", 2.0)
    monkeypatch.setattr(backend_network, "SLOWEST_LINE_BYTES_PER_S", 1000.0, raising=False)
    monkeypatch.setattr(fake_printer, "SLOW_READ_BUFFER", BIG_BUFFER)
    with fake_printer.FakePrinter(mode=mode, read_bytes_per_s=2000) as fake:
        srv = make_server(printer=fake.config())
        person = srv.people()[4]
        assert srv.scan(person["ticket_code"]).status_code == 201

        printed = wait_until(lambda: (job := print_job(srv, person["id"]))["status"] == "printed" and job, timeout=40,
                             what="the badge recorded printed")
        assert printed["last_error"] is None, printed  # never failed, so never sent twice
        assert [qr_texts(job) for job in fake.wait_for_jobs(1, timeout=10)] == [[person["ticket_code"]]]
        assert srv.get("/api/printers", "volunteer").json()["printers"][0]["last_error"] is None
