"""Undo of a check-in whose badge is already claimed by the printer, but not yet sent.

A printer claims the next badge in the same transaction that records the last one printed, and
that badge stays "printing" while the last one's connection closes (up to a second: a slow
printer hangs up once its paper has moved) and while it is drawn. An undo only cancels what is
"queued", so in that window it answered "undone" and the badge printed anyway: a badge for
someone who is not in, at a busy door where the queue is long enough for it to happen often.
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

pytestmark = pytest.mark.timeout(90)


def _status(srv, attendee_id: int) -> str:
    """The status of the person's check-in badge."""
    with srv.state.store.read() as db:
        return db.execute("SELECT status FROM print_jobs WHERE attendee_id = ? AND reason = 'check-in'",
                          [attendee_id]).fetchone()[0]


def test_a_badge_claimed_but_not_yet_sent_is_not_printed_after_an_undo(make_server, monkeypatch):
    """The slow printer keeps the first badge's connection for seconds; the second badge is claimed
    meanwhile, then undone: it must not reach the printer, and the third still prints."""
    monkeypatch.setattr(backend_network, "DRAIN_TIMEOUT", 3.0)  # the window, made wide enough to hit every time
    with FakePrinter(speed_mm_s=8) as fake:  # a badge takes seconds to come out; the hang-up waits for it
        srv = make_server(printer=fake.config())
        first, mistaken, third = srv.people()[40:43]
        for person in (first, mistaken, third):
            assert srv.scan(person["ticket_code"]).status_code == 201
        wait_until(lambda: _status(srv, mistaken["id"]) == "printing", timeout=30, what="the second badge claimed")
        assert len(fake.jobs) <= 1, "the second badge must not have gone out yet"
        assert srv.delete(f"/api/checkins/{mistaken['id']}", "volunteer").json()["result"] == "undone"

        fake.wait_for_jobs(2, timeout=25)
        wait_until(lambda: _status(srv, third["id"]) == "printed", timeout=10, what="the third badge recorded")
        printed = [qr_texts(job) for job in fake.jobs]
        assert printed == [[first["ticket_code"]], [third["ticket_code"]]]
        assert _status(srv, mistaken["id"]) == "cancelled"
