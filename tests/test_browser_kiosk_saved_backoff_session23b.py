"""A saved scan the server answered without deciding (500: it failed on it; 503: busy; 429: wait)
keeps its own back-off when fresh scans come.

Since saved scans go before a fresh one, the kiosk sent such a scan again before every fresh
scan: at a busy door a scan the server failed on was given up after six fresh scans, within
seconds (it used to get about half a minute of back-off), and a busy server was asked again for
every person in the queue. Only the saved scans that are due go before a fresh scan now."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_saved_first_session23 import ServerOutOfReach

FRESH_SCANS = 6  # MAX_SERVER_ERRORS in outbox.js: six answers and a failing saved scan is given up


class SavedScansAnswered:
    """The server answers every saved scan (late) with `status`, and fresh scans normally;
    counts the saved scans sent."""

    def __init__(self, page: Any, status: int) -> None:
        self.status, self.tries = status, 0
        page.unroute("**/api/checkins")
        page.route("**/api/checkins", self._route)

    def _route(self, route: Any) -> None:
        if not route.request.post_data_json.get("late"):
            return route.continue_()
        self.tries += 1
        return route.fulfill(status=self.status, json={"result": "error", "message": "Not now."})


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_saved_scan_the_server_did_not_decide_is_not_sent_before_every_fresh_scan(
        server: Any, chromium: Any, status: int) -> None:
    saved, *queue = server.people()[10:11 + FRESH_SCANS]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        ServerOutOfReach(page)
        scanner_type(page, saved["ticket_code"])
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        answered = SavedScansAnswered(page, status)
        for person in queue:
            scanner_type(page, person["ticket_code"])
            expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        poll(page, lambda: answered.tries >= 1, "the saved scan to be sent once the network is back")
        # Its back-off (1 s, 2 s, 4 s...) lets it go a few times meanwhile, not once per person.
        assert answered.tries < FRESH_SCANS
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        expect(page.locator("#late-refusals")).to_be_hidden()  # a 500 is not given up within seconds
        watch.assert_clean()


def test_a_saved_scan_whose_back_off_ends_while_the_next_one_goes_is_sent_again(server: Any, chromium: Any) -> None:
    """Its back-off over while the scan saved after it was still on its way, it is still sent
    again (no fresh scan comes to send it: the queue is empty)."""
    broken, slow = server.people()[30:32]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        ServerOutOfReach(page)
        for code in (broken["ticket_code"], slow["ticket_code"]):
            scanner_type(page, code)
            expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        expect(page.locator("#pending")).to_have_text("2 scans waiting for the network")
        failed: list[str] = []
        held: list[Any] = []

        def route(r: Any) -> None:
            if r.request.post_data_json["code"] == broken["ticket_code"]:
                failed.append(r.request.post_data_json["nonce"])
                return r.fulfill(status=500, json={"result": "internal_server_error", "message": "Internal Server Error"})
            held.append(r)  # slow Wi-Fi: on its way longer than the first one's back-off
            return None

        page.unroute("**/api/checkins")
        page.route("**/api/checkins", route)
        page.evaluate("dispatchEvent(new Event('online'))")
        poll(page, lambda: failed and held, "both saved scans to be sent")
        page.wait_for_timeout(2500)  # the first one's back-off (about 1 s) ends meanwhile
        held.pop().continue_()
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {slow['first_name']} is checked in.")
        poll(page, lambda: len(failed) >= 2, "the first saved scan to be sent again", timeout=20)
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        watch.assert_clean()
