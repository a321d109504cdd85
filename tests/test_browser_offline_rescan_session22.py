"""The Wi-Fi is down; a person scans, is told "Scan saved", and scans again a few seconds later to
be sure. Both saved scans were sent once the network was back: the first was confirmed, the second
came back "Already checked in" and was listed on the kiosk (and in the volunteers' feed) as a
refusal to chase, for someone who had done nothing wrong.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_confirmations_session22 import scan_during_outage

REREAD_WINDOW_MS = 3000  # web/static/js/kiosk.js: a rescan sooner than this is taken for a double read


def test_a_person_who_scans_twice_while_offline_is_confirmed_not_chased(server: Any, chromium: Any) -> None:
    person = server.people()[7]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.wait_for_load_state("networkidle")
        page.context.set_offline(True)
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        page.wait_for_timeout(REREAD_WINDOW_MS + 500)
        scanner_type(page, person["ticket_code"].lower())
        expect(page.locator("#result-title")).to_have_text("Scan saved")
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        page.context.set_offline(False)
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {person['first_name']} is checked in.")
        expect(page.locator("#pending")).to_be_hidden()
        assert page.locator("#late-refusals").is_hidden()
        with server.state.store.read() as db:
            results = [r[0] for r in db.execute("SELECT result FROM scans WHERE upper(code) = ?", [person["ticket_code"]])]
        assert results == ["checked_in"]
        watch.assert_clean()


def test_two_people_saved_while_offline_are_both_kept(server: Any, chromium: Any) -> None:
    first, second = server.people()[8:10]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scan_during_outage(page, [first["ticket_code"], second["ticket_code"]])
        expect(page.locator("#pending")).to_be_hidden()
        for person in (first, second):
            assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
        watch.assert_clean()
