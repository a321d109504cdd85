"""A reprint printed at another printer replaces the badge still waiting for a dead one.

door-1's printer is off and the person's badge waits for it; the volunteer's reprint prints at the
printer that works, and the person has their badge. When door-1's printer came back, the waiting
badge printed as well: two badges for one reprint, the second one nobody collects.
"""

from __future__ import annotations

import time

import pytest

from conftest import wait_until
from test_print_queue import two_printers  # noqa: F401  (fixture: printer A tied to door-1, B to nothing)

try:
    from tests.escpos_decode import qr_texts
except ModuleNotFoundError:
    from escpos_decode import qr_texts

pytestmark = pytest.mark.timeout(40)


def test_the_badge_waiting_at_a_dead_printer_does_not_print_after_a_reprint_elsewhere(two_printers):
    """Exactly one badge for the person, from B; none from A once it is back; A prints what comes next."""
    srv, a, b = two_printers
    a.refuse()
    person, next_one = srv.people()[50:52]
    assert srv.scan(person["ticket_code"], station="door-1").status_code == 201
    assert srv.post(f"/api/attendees/{person['id']}/badge", "volunteer").status_code == 202
    assert [qr_texts(job) for job in b.wait_for_jobs(1)] == [[person["ticket_code"]]]

    a.resume()
    assert srv.scan(next_one["ticket_code"], station="door-1").status_code == 201
    wait_until(lambda: a.jobs, timeout=20, what="printer A printing again")
    time.sleep(1.0)
    assert [qr_texts(job) for job in a.jobs] == [[next_one["ticket_code"]]]
    with srv.state.store.read() as db:
        statuses = [tuple(r) for r in db.execute("SELECT reason, status FROM print_jobs WHERE attendee_id = ? "
                                                 "ORDER BY id", [person["id"]])]
    assert statuses == [("check-in", "cancelled"), ("reprint", "printed")]
