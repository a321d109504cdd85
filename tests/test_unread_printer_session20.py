"""A network printer that accepts the connection and never reads it (a hung printer or print server).

Such a printer never answers a status query, so the kiosk takes it for a model that does not answer
and goes by TCP alone: every byte acknowledged counted as the badge printed. But the printer's
kernel acknowledges a whole badge into its receive buffer whether anything reads it or not, so
every badge of the evening was marked printed and none came out. Only its hang-up after our end
of the job says it read to the end: without one the badge is not printed, and goes again.
"""

from __future__ import annotations

import pytest

from conftest import wait_until

try:
    from tests.fake_printer import FakePrinter
    from tests.escpos_decode import qr_texts
except ModuleNotFoundError:
    from fake_printer import FakePrinter
    from escpos_decode import qr_texts

from printers import backend_network

pytestmark = pytest.mark.timeout(60)


def _job(srv, attendee_id: int) -> dict:
    """The person's check-in badge job."""
    with srv.state.store.read() as db:
        return dict(db.execute("SELECT * FROM print_jobs WHERE attendee_id = ? AND reason = 'check-in'",
                               [attendee_id]).fetchone())


def test_a_printer_that_never_reads_gets_no_badge_counted_printed_until_it_reads(make_server, monkeypatch):
    """The badge waits with the error on the console, then prints once the printer reads again."""
    monkeypatch.setattr(backend_network, "HANGUP_TIMEOUT", 2.0, raising=False)  # the wait for its hang-up, short for the test
    monkeypatch.setattr(backend_network, "SLOWEST_LINE_BYTES_PER_S", 1e6)  # ... with no slow line's time on top
    with FakePrinter(mode="unread") as fake:
        srv = make_server(printer=fake.config())
        person = srv.people()[7]
        assert srv.scan(person["ticket_code"]).status_code == 201

        failed = wait_until(lambda: (job := _job(srv, person["id"]))["last_error"] and job, timeout=15,
                            what="the badge to fail at the unread printer")
        assert failed["status"] in ("queued", "printing") and failed["printed_at"] is None
        assert "has not read it" in failed["last_error"]
        shown = srv.get("/api/printers", "volunteer").json()["printers"][0]
        assert "has not read it" in shown["last_error"]

        fake.mode = "normal"  # switched off and on: it reads again
        wait_until(lambda: _job(srv, person["id"])["status"] == "printed", timeout=40, what="the badge printed")
        assert [qr_texts(job) for job in fake.wait_for_jobs(1)] == [[person["ticket_code"]]]
        assert srv.get("/api/printers", "volunteer").json()["printers"][0]["last_error"] is None
