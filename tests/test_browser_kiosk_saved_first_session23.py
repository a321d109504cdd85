"""When the network is back, the kiosk sends its saved scans before a fresh one.

It sent the fresh scan at once and the saved ones only at the end of their back-off (or after
the fresh scan's answer): at a venue with one place left, the place went to the new person, and
the person the kiosk had told "Please go in" earlier, already inside, was refused "venue full"."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)


class ServerOutOfReach:
    """POST /api/checkins never reaches the server while `down` (the Wi-Fi is up, the server's
    network is not: no "online" event when it comes back); counts the attempts."""

    def __init__(self, page: Page) -> None:
        self.down, self.tries = True, 0
        page.route("**/api/checkins", self._route)

    def _route(self, route: Any) -> None:
        if not self.down:
            return route.continue_()
        self.tries += 1
        return route.abort("connectionrefused")


def scan_log(server: Any) -> list[tuple[str, str]]:
    with server.state.store.read() as db:
        return [(r[0].upper(), r[1]) for r in db.execute("SELECT code, result FROM scans ORDER BY id")]


def test_the_saved_scan_gets_the_last_place_not_the_fresh_one(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=1)
    saved, fresh = server.people()[:2]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        out = ServerOutOfReach(page)
        scanner_type(page, saved["ticket_code"])
        expect(page.locator("#result-sub")).to_have_text("Please go in; a volunteer may check your ticket.")
        poll(page, lambda: out.tries >= 3, "the outbox to try again twice (its back-off is now seconds)")
        out.down = False
        scanner_type(page, fresh["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("The venue is full")
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {saved['first_name']} is checked in.")
        expect(page.locator("#pending")).to_be_hidden()
        expect(page.locator("#late-refusals")).to_be_hidden()
        assert scan_log(server) == [(saved["ticket_code"], "checked_in"), (fresh["ticket_code"], "capacity_reached")]
        assert server.get("/api/headcount", None).json()["checked_in"] == 1
        watch.assert_clean()


def test_a_fresh_scan_does_not_wait_for_a_saved_scan_stuck_on_the_way(server: Any, chromium: Any) -> None:
    """The saved scan's request never comes back (lossy Wi-Fi): the person in front is answered
    anyway, before the page gives that request up (REQUEST_TIMEOUT), not after it."""
    saved, fresh = server.people()[2:4]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        out = ServerOutOfReach(page)
        scanner_type(page, saved["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        poll(page, lambda: out.tries >= 3, "the outbox to try again twice")
        stuck: list[Any] = []
        given_up: list[Any] = []
        page.on("requestfailed", lambda request: given_up.append(request) if "late" in (request.post_data or "") else None)
        page.unroute("**/api/checkins")
        page.route("**/api/checkins", lambda route: stuck.append(route) if route.request.post_data_json.get("late")
                   else route.continue_())
        scanner_type(page, fresh["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {fresh['first_name']}!")
        assert stuck and not given_up  # answered while the saved scan was still on its way
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        watch.assert_clean()
