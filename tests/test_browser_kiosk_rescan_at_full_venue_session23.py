"""A person whose scan was saved scans again once the network is back, and the venue is full now:
the kiosk says "The venue is full. Please see a volunteer." Their saved scan was then sent and
checked them in past the capacity (a saved scan's person is taken to be inside), with a
"Confirmed: … is checked in." note under the refusal and a warning on the consoles, while they
stood at the kiosk waiting for a volunteer to decide."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_saved_first_session23 import ServerOutOfReach


def test_a_rescan_refused_for_the_full_venue_settles_the_saved_scan(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=2)
    inside, person, other = server.people()[:3]
    assert server.scan(inside["ticket_code"], station="door-2").status_code == 201
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        out = ServerOutOfReach(page)
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("Scan saved")
        assert server.scan(other["ticket_code"], station="door-2").status_code == 201  # the last place
        poll(page, lambda: out.tries >= 2, "the outbox to try again")
        out.down = False
        scanner_type(page, person["ticket_code"].lower())  # they scan again (not the scanner reading twice)
        expect(page.locator("#result-title")).to_have_text("The venue is full")
        page.wait_for_timeout(1000)  # the outbox's next round, if anything were left in it
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#pending")).to_be_hidden()
        with server.state.store.read() as db:
            sent = [r[0] for r in db.execute("SELECT result FROM scans WHERE upper(code) = ? ORDER BY id",
                                             [person["ticket_code"]])]
        assert sent == ["capacity_reached"]  # the saved scan was not sent after the refusal
        assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"] is None
        assert server.get("/api/headcount", None).json()["checked_in"] == 2
        watch.assert_clean()
