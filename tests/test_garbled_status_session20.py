"""A printer that answered its status properly and then answers garbage is talking, not jammed.

Garbage was taken for silence, and silence from a printer known to answer is a jam: its badges
waited "until it answers again", for up to 12 hours, and across restarts (the print process stores
that the printer answers). A printer switched to another emulation, or behind a noisy line, prints
fine; its garbage still proves it read the query, and everything sent before it.
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

pytestmark = pytest.mark.timeout(40)


def _status(srv, attendee_id: int) -> str:
    with srv.state.store.read() as db:
        return db.execute("SELECT status FROM print_jobs WHERE attendee_id = ?", [attendee_id]).fetchone()[0]


def test_badges_still_print_when_a_printer_that_answered_starts_answering_garbage(make_server):
    """The second badge prints, once, and the card says the status cannot be read, not 'jammed'."""
    with FakePrinter() as fake:
        srv = make_server(printer=fake.config())
        first, second = srv.people()[60:62]
        assert srv.scan(first["ticket_code"]).status_code == 201
        fake.wait_for_jobs(1)
        wait_until(lambda: _status(srv, first["id"]) == "printed", what="the first badge recorded")

        fake.mode = "garbled"
        assert srv.scan(second["ticket_code"]).status_code == 201
        wait_until(lambda: _status(srv, second["id"]) == "printed", timeout=20, what="the second badge printed")
        assert [qr_texts(job) for job in fake.jobs] == [[first["ticket_code"]], [second["ticket_code"]]]
        card = srv.get("/api/printers", "volunteer").json()["printers"][0]
        assert card["online"] is True and card["last_error"] is None and "jammed" not in card["detail"]
