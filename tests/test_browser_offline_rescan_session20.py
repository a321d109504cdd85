"""Flaky Wi-Fi at the door: a scan is saved, the person scans again and gets in. Their saved scan
must not then come back as "refused: already checked in" for a volunteer to chase."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)


class FlakyCheckins:
    """POST /api/checkins as flaky Wi-Fi passes them: the first scan is lost; the kiosk's saved
    scans (late: true) are lost while `down`, or held mid-flight when `hold_late`; fresh scans pass."""

    def __init__(self, page: Page, hold_late: bool = False) -> None:
        self.down, self.hold_late = True, hold_late
        self.seen = 0
        self.held: list[Any] = []
        page.route("**/api/checkins", self._route)

    def _route(self, route: Any) -> None:
        self.seen += 1
        late = bool((route.request.post_data_json or {}).get("late"))
        if self.seen == 1:
            return route.abort("internetdisconnected")
        if late and self.hold_late and not self.held:
            self.held.append(route)  # on its way: answered once the test lets it go
            return None
        if late and self.down:
            return route.abort("internetdisconnected")
        return route.continue_()


def scan_log(server: Any, code: str) -> list[str]:
    with server.state.store.read() as db:
        return [r[0] for r in db.execute("SELECT result FROM scans WHERE upper(code) = ? ORDER BY id", [code.upper()])]


def saved_then_scanned_again(page: Page, person: dict[str, Any]) -> None:
    """The person's scan is saved; the person scans again and is welcomed. (Another person's scan
    between would be saved too, since session 23b: the saved scan sent before it finds the network
    down, and the kiosk then says "Scan saved" at once.)"""
    scanner_type(page, person["ticket_code"])
    expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
    expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
    scanner_type(page, person["ticket_code"].lower())  # read in lower case: not the scanner reading one ticket twice
    expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")


def test_a_saved_scan_of_someone_who_then_scanned_in_is_not_a_refusal(server, chromium):
    person = server.people()[40]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        flaky = FlakyCheckins(page)
        saved_then_scanned_again(page, person)
        flaky.down = False  # the Wi-Fi is steady again: whatever is still saved goes now
        poll(page, lambda: page.locator("#pending").is_hidden(), "the saved scan to be settled", timeout=30)
        expect(page.locator("#late-refusals")).to_be_hidden()
        assert scan_log(server, person["ticket_code"]) == ["checked_in"]
        live = server.get("/api/attendees?q=" + person["email"], "volunteer").json()["attendees"]
        assert [p["checked_in_at"] is not None for p in live] == [True]
        assert server.get("/api/headcount", None).json()["checked_in"] == 1
        watch.assert_clean()


def test_a_saved_scan_already_on_its_way_when_its_person_scanned_in_is_confirmed(server, chromium):
    """The retry left before the fresh scan was answered, and reached the server after it."""
    person = server.people()[42]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        flaky = FlakyCheckins(page, hold_late=True)
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        poll(page, lambda: flaky.held, "the saved scan to be sent again")
        # Read in lower case: not the scanner reading one ticket twice. (Another person's scan between
        # would wait up to 2 s for the saved scan on its way, and the page gives that up after 4 s.)
        scanner_type(page, person["ticket_code"].lower())
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        flaky.held[0].continue_()
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {person['first_name']} is checked in.")
        expect(page.locator("#pending")).to_be_hidden()
        expect(page.locator("#late-refusals")).to_be_hidden()
        assert scan_log(server, person["ticket_code"]) == ["checked_in", "already_checked_in"]
        watch.assert_clean()


def test_a_saved_scan_of_a_ticket_someone_else_used_is_still_a_refusal(server, chromium):
    """Only this kiosk's own fresh check-in of the ticket settles it: a ticket checked in at the
    other door before the saved scan is a second person on one ticket, and stays listed."""
    person = server.people()[44]
    assert server.scan(person["ticket_code"], station="door-2").json()["result"] == "checked_in"
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        FlakyCheckins(page).down = False
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#late-refusals")).to_contain_text("Already checked in", timeout=20_000)
        expect(page.locator("#pending")).to_be_hidden()
        watch.assert_clean()
