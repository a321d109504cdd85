"""A check-in undone and made again while its first badge was already claimed by the printer.

The check before a claimed badge goes out asked only "is this person checked in?". Undone by
mistake and checked in again at once, they were: the first badge went out, and the new check-in's
badge after it, two badges for one person. A badge asked for before an undo of its person is now
unwanted whatever came after, as undo would have cancelled it had it still been waiting.
"""

from __future__ import annotations

from conftest import wait_until
from printers import queue as print_queue
from test_undo_reprint_claimed_session21 import _status


def _claimed(srv, job_id: int) -> None:
    """The job as the printer's next badge ("printing"), once the test door's printer (which takes
    every badge at once) is done with it, so that nothing but the test moves it on."""
    wait_until(lambda: _status(srv, job_id) == "printed", timeout=10, what="the badge handed to the printer")
    with srv.state.store.write() as db:
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [job_id])


def _badges(srv, attendee_id: int) -> list[tuple[int, str]]:
    with srv.state.store.read() as db:
        return [tuple(row) for row in db.execute(
            "SELECT id, status FROM print_jobs WHERE attendee_id = ? AND reason = 'check-in' ORDER BY id", [attendee_id])]


def test_a_badge_claimed_before_an_undo_is_not_printed_after_a_check_in_again(server):
    person = server.people()[70]
    assert server.scan(person["ticket_code"]).status_code == 201
    [(first, _)] = _badges(server, person["id"])
    _claimed(server, first)
    assert server.delete(f"/api/checkins/{person['id']}", "volunteer").json()["result"] == "undone"
    assert server.scan(person["ticket_code"]).status_code == 201  # the undo was the mistake
    (_, _), (second, _) = _badges(server, person["id"])

    with server.state.store.read() as db:
        assert print_queue.unwanted(db, first), "the first badge must not go out now"
        assert not print_queue.unwanted(db, second)
    with server.state.store.write() as db:  # and if the printer failed on it, it does not come back
        print_queue.requeue(db, first, "The printer hung up.")
    assert _status(server, first) == "cancelled" and _status(server, second) != "cancelled"
    with server.state.store.read() as db:
        why = db.execute("SELECT last_error FROM print_jobs WHERE id = ?", [first]).fetchone()[0]
    assert why == "The check-in was undone."

