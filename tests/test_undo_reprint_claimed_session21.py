"""Undo of a check-in whose REPRINT the printer has already claimed as its next badge.

Session 20 made the print process look again, just before sending, at a check-in badge claimed
while the badge before it was still coming out: an undo in that window cancels it. A volunteer's
reprint was left out (a reprint may be asked for someone not checked in, say a speaker's badge
printed early), so an undone person's reprint, claimed in that window, still printed: a badge for
someone who is not in. It also came back to print later when the printer failed on it.
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
from printers import queue as print_queue

pytestmark = pytest.mark.timeout(120)


def _status(srv, job_id: int) -> str:
    with srv.state.store.read() as db:
        return db.execute("SELECT status FROM print_jobs WHERE id = ?", [job_id]).fetchone()[0]


def _reprint(srv, attendee_id: int) -> int:
    answer = srv.post(f"/api/attendees/{attendee_id}/badge", "volunteer", json={})
    assert answer.status_code == 202, answer.text
    return answer.json()["job_id"]


def test_a_reprint_claimed_but_not_yet_sent_is_not_printed_after_an_undo(make_server, monkeypatch):
    """The slow printer keeps the first badge's connection for seconds; the undone person's reprint
    is claimed meanwhile, then undone: it must not reach the printer, and the next badge still prints."""
    monkeypatch.setattr(backend_network, "DRAIN_TIMEOUT", 3.0)  # the window, made wide enough to hit every time
    with FakePrinter(speed_mm_s=8) as fake:
        srv = make_server(printer=fake.config())
        mistaken, first, third = srv.people()[50:53]
        assert srv.scan(mistaken["ticket_code"]).status_code == 201
        fake.wait_for_jobs(1, timeout=25)
        assert srv.scan(first["ticket_code"]).status_code == 201
        reprint = _reprint(srv, mistaken["id"])
        wait_until(lambda: _status(srv, reprint) == "printing", timeout=30, what="the reprint claimed")
        assert len(fake.jobs) <= 2, "the reprint must not have gone out yet"
        assert srv.delete(f"/api/checkins/{mistaken['id']}", "volunteer").json()["result"] == "undone"
        assert srv.scan(third["ticket_code"]).status_code == 201

        fake.wait_for_jobs(3, timeout=25)
        wait_until(lambda: _third_printed(srv, third["id"]), timeout=10, what="the third badge recorded")
        printed = [qr_texts(job) for job in fake.jobs]
        assert printed == [[mistaken["ticket_code"]], [first["ticket_code"]], [third["ticket_code"]]]
        assert _status(srv, reprint) == "cancelled"


def _third_printed(srv, attendee_id: int) -> bool:
    with srv.state.store.read() as db:
        return db.execute("SELECT status FROM print_jobs WHERE attendee_id = ? AND reason = 'check-in'",
                          [attendee_id]).fetchone()[0] == "printed"


def test_a_reprint_that_failed_after_an_undo_does_not_come_back(server):
    """The printer failed on the claimed reprint after the undo: it goes back cancelled, not queued."""
    person = server.people()[60]
    assert server.scan(person["ticket_code"]).status_code == 201
    with server.state.store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printed' WHERE attendee_id = ?", [person["id"]])
    reprint = _reprint(server, person["id"])
    with server.state.store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [reprint])
    assert server.delete(f"/api/checkins/{person['id']}", "volunteer").json()["result"] == "undone"
    with server.state.store.write() as db:
        print_queue.requeue(db, reprint, "The printer hung up.")
    assert _status(server, reprint) == "cancelled"


def test_a_reprint_for_someone_not_checked_in_still_prints(server):
    """A badge printed ahead of time (a speaker's) is no undone check-in: it is wanted."""
    person = server.people()[61]
    reprint = _reprint(server, person["id"])
    with server.state.store.read() as db:
        assert not print_queue.unwanted(db, reprint)
