"""The kiosk in a real browser: keyboard-wedge scans, typed codes, refusals, a lost network, the webcam."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser import (camera_args, chromium, new_context, pair, pin_login, pw, scanner_type,  # noqa: F401
                     signed_in_page, start_chromium, watch_page, write_qr_y4m)
from conftest import ROOT
from kiosk.checkin import MESSAGES


def attendee(server: Any, attendee_id: int) -> dict[str, Any]:
    return server.get(f"/api/attendees/{attendee_id}").json()["attendee"]


def scans_of(server: Any, code: str) -> list[dict[str, Any]]:
    with server.state.store.read() as db:
        return [dict(r) for r in db.execute("SELECT * FROM scans WHERE code = ? ORDER BY id", [code])]


def expect_greeting(page: Page, person: dict[str, Any]) -> None:
    expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
    expect(page.locator("#result-message")).to_have_text("Your badge is printing.")
    expect(page.locator("#kiosk")).to_have_attribute("data-state", "checked_in")


def test_scanner_with_enter_greets_by_first_name_and_returns_to_prompt(server, chromium):
    person = server.people()[5]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        expect(page.locator("#scan-prompt")).to_have_text("Scan your ticket")
        scanner_type(page, person["ticket_code"])  # nothing is focused: the global listener catches it
        expect_greeting(page, person)
        record = attendee(server, person["id"])
        assert record["checked_in_at"] and record["checked_in_station"] == "door-1"
        assert page.evaluate("window.kioskMetrics.at(-1).via") == "enter"
        # back to "Scan your ticket" by itself after a few seconds
        expect(page.locator("#scan-prompt")).to_be_visible(timeout=8000)
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "idle")
        watch.assert_clean()


def test_scanner_without_enter_suffix_and_station_from_settings(server, chromium):
    person = server.people()[17]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.get_by_role("button", name=re.compile("Station")).click()
        page.locator("#station-input").fill("side-door")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#station-name")).to_have_text("side-door")
        scanner_type(page, person["ticket_code"], enter=False)  # a scanner set up without a suffix
        expect_greeting(page, person)
        assert page.evaluate("window.kioskMetrics.at(-1).via") == "silence"
        assert attendee(server, person["id"])["checked_in_station"] == "side-door"
        # the station is remembered across a reload
        page.reload()
        expect(page.locator("#station-name")).to_have_text("side-door")
        watch.assert_clean()


def test_scan_into_focused_box_is_sent_once_and_person_typing_is_not_a_scan(server, chromium):
    scanned, typed = server.people()[20], server.people()[21]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        box = page.locator("#manual-code")
        box.focus()
        scanner_type(page, scanned["ticket_code"])
        expect_greeting(page, scanned)
        expect(box).to_have_value("")
        assert len(scans_of(server, scanned["ticket_code"])) == 1  # not once by the listener and once by the form

        # A person types slowly (~80 ms a key): nothing is sent until they press Enter.
        box.focus()
        page.keyboard.type(typed["ticket_code"], delay=80)
        expect(box).to_have_value(typed["ticket_code"])
        assert scans_of(server, typed["ticket_code"]) == []
        page.keyboard.press("Enter")
        expect_greeting(page, typed)
        assert page.evaluate("window.kioskMetrics.at(-1).via") == "typed"
        watch.assert_clean()


def test_refusals_each_get_their_colour_and_the_servers_message(server, chromium):
    declined = server.people(attending=False)[0]
    guest = server.people()[30]
    server.scan(guest["ticket_code"], station="door-2")
    cases = [
        ("K1-AAAAAAAA-AAAAAAAAAAAAA", "invalid_code", MESSAGES["invalid_code"]),
        ("GIAO-1", "unknown_code", MESSAGES["unknown_code"]),
        (declined["ticket_code"], "not_attending", MESSAGES["not_attending"]),
        (guest["ticket_code"], "already_checked_in", f"Welcome back, {guest['first_name']}: you checked in at"),
    ]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        colours = set()
        for code, result, message in cases:
            scanner_type(page, code)
            expect(page.locator("#kiosk")).to_have_attribute("data-state", result)
            expect(page.locator("#result-message")).to_contain_text(message)
            colours.add(page.locator("#kiosk").evaluate("el => getComputedStyle(el).backgroundColor"))
        assert len(colours) == len(cases), f"each answer needs its own colour: {colours}"
        assert attendee(server, declined["id"])["checked_in_at"] is None
        watch.assert_clean()


def test_capacity_reached_and_too_many_attempts(make_server, chromium):
    srv = make_server(capacity=1, max_failed_scans=3)
    first, second = srv.people()[0], srv.people()[1]
    srv.scan(first["ticket_code"])
    with signed_in_page(chromium, srv, "kiosk") as (page, watch):
        scanner_type(page, second["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "capacity_reached")
        expect(page.locator("#result-message")).to_have_text(MESSAGES["capacity_reached"])
        for n in range(4):
            scanner_type(page, f"NOT-A-TICKET-{n}")
            page.wait_for_timeout(150)  # a person's next scan: lines typed right after an Enter are one (multi-line) read
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "too_many_attempts")
        expect(page.locator("#result-message")).to_have_text(MESSAGES["too_many_attempts"])
        watch.assert_clean()


def test_scan_is_kept_and_retried_with_its_nonce_when_the_server_does_not_answer(server, chromium):
    person = server.people()[40]
    attempts: list[str] = []

    def flaky(route: Any) -> None:
        attempts.append(route.request.post_data_json["nonce"])
        if len(attempts) == 1:
            route.fetch()                 # the server checks them in, but the answer is lost on the way
            route.abort("connectionreset")
        elif len(attempts) <= 3:
            route.abort("connectionrefused")
        else:
            route.continue_()

    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.route("**/api/checkins", flaky)
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        expect(page.locator("#result-message")).to_have_text("Saved — we'll confirm as soon as the network is back.")
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
        expect(page.locator("#toast")).to_contain_text(f"Confirmed: {person['first_name']} is checked in")
        assert len(attempts) >= 4 and len(set(attempts)) == 1, attempts  # one scan, one nonce
        assert server.get("/api/headcount").json()["checked_in"] == 1
        assert [s["result"] for s in scans_of(server, person["ticket_code"])] == ["checked_in"]  # retries replayed it
        assert page.evaluate("localStorage.getItem('kiosk.outbox.v1')") == "[]"
        watch.assert_clean()


def test_a_saved_scan_survives_a_reload_and_a_server_error(server, chromium):
    person = server.people()[41]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.route("**/api/checkins", lambda route: route.fulfill(status=503, body="busy"))
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        page.reload()
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        assert attendee(server, person["id"])["checked_in_at"] is None
        page.unroute("**/api/checkins")
        expect(page.locator("#pending")).to_be_hidden(timeout=20_000)
        expect(page.locator("#toast")).to_contain_text(f"Confirmed: {person['first_name']} is checked in")
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "idle")  # a late answer is no greeting
        assert attendee(server, person["id"])["checked_in_at"]
        watch.assert_clean()


def test_kiosk_fits_a_phone(server, chromium):
    with signed_in_page(chromium, server, "kiosk", viewport={"width": 360, "height": 740}, has_touch=True) as (page, watch):
        expect(page.locator("#scan-prompt")).to_be_visible()
        expect(page.locator("#manual-code")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        watch.assert_clean()


def test_a_ticket_shown_to_the_webcam_checks_in_once(server, pw, tmp_path):
    person = server.people()[60]
    y4m = write_qr_y4m(person["ticket_code"], tmp_path / "ticket.y4m")
    browser = start_chromium(pw, camera_args(y4m))
    try:
        context = new_context(browser, server)
        page = context.new_page()
        watch = watch_page(page)
        pair(page, server, "kiosk")
        # a camera exists, so it starts by itself
        expect(page.locator("#camera-toggle")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!", timeout=15_000)
        assert page.evaluate("window.kioskMetrics.at(-1).via") == "camera"
        assert attendee(server, person["id"])["checked_in_at"]
        # The ticket stays in view and keeps decoding: it must not be sent again.
        page.wait_for_timeout(2500)
        assert len(scans_of(server, person["ticket_code"])) == 1
        page.locator("#camera-toggle").click()
        expect(page.locator("#camera-toggle")).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#camera-video")).to_be_hidden()
        page.reload()  # switched off stays off
        expect(page.locator("#camera-toggle")).to_have_attribute("aria-pressed", "false")
        watch.assert_clean()
    finally:
        browser.close()


def test_a_kiosk_tab_works_again_once_the_kiosk_is_signed_in_again_in_another_tab(server, chromium):
    waiting, fresh = server.people()[70], server.people()[71]
    context = new_context(chromium, server)
    try:
        page = context.new_page()
        watch = watch_page(page)
        pin_login(page, "kiosk", "/kiosk")
        context.request.post("/logout")  # "Sign this kiosk out" in another tab
        scanner_type(page, waiting["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "signed_out")
        link = page.get_by_role("link", name="Sign in")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", "/login?next=/kiosk")
        expect(page.locator("#pending")).to_have_text("1 scan waiting: kiosk signed out")

        pin_login(context.new_page(), "kiosk", "/display")  # a new session, with a new CSRF token
        scanner_type(page, fresh["ticket_code"])
        expect_greeting(page, fresh)
        expect(link).to_be_hidden()
        expect(page.locator("#pending")).to_be_hidden(timeout=20_000)  # the saved scan went through too
        assert attendee(server, waiting["id"])["checked_in_at"] and attendee(server, fresh["id"])["checked_in_at"]
        watch.assert_clean()
    finally:
        context.close()


def test_scans_saved_during_an_outage_promise_nothing_and_late_refusals_stay_listed(server, chromium):
    newcomer, reused = server.people()[72], server.people()[73]
    server.scan(reused["ticket_code"])
    forged = "K1-ZZZZZZZZ-ZZZZZZZZZZZZZ"
    with signed_in_page(chromium, server, "volunteer") as (console, _), \
            signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.route("**/api/checkins", lambda route: route.abort("connectionrefused"))
        scanner_type(page, newcomer["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        expect(page.locator("#result-message")).to_have_text("Saved — we'll confirm as soon as the network is back.")
        expect(page.locator("#result-sub")).to_have_text("Please go in; a volunteer may check your ticket.")
        for code in (reused["ticket_code"], forged):
            scanner_type(page, code)
        expect(page.locator("#pending")).to_have_text("3 scans waiting for the network")
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "idle", timeout=10_000)
        # from now on the screen belongs to whoever is in front of it: record any change of it
        page.evaluate("""() => { window.states = [];
          new MutationObserver(() => states.push(kiosk.dataset.state)).observe(kiosk, {attributes: true}); }""")
        page.unroute("**/api/checkins")
        page.evaluate("dispatchEvent(new Event('online'))")  # the network is back
        expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
        expect(page.locator("#toast")).to_contain_text(f"Confirmed: {newcomer['first_name']} is checked in")
        panel = page.locator("#late-refusals")
        expect(panel.locator("h2")).to_have_text("2 saved scans were refused — see a volunteer")
        expect(panel.locator("li")).to_have_text([f"{reused['name']} — Already checked in", f"{forged} — Not a valid ticket"])
        page.wait_for_timeout(7000)  # longer than a toast lives
        expect(panel).to_be_visible()
        assert page.evaluate("window.states") == []  # no late answer took over the screen
        panel.get_by_role("button", name="Dismiss").click()
        expect(panel).to_be_hidden()
        assert attendee(server, newcomer["id"])["checked_in_at"]
        problems = console.locator('#feed .feed-item[data-kind="problem"]')
        expect(problems).to_have_count(2)
        expect(problems.nth(1)).to_contain_text(re.compile(r"A scan saved at door-1 at \d{1,2}:\d\d\D* was refused: already checked in at"))
        expect(problems.nth(1)).to_contain_text(reused["name"])
        expect(problems.nth(0)).to_contain_text("was refused: not a valid ticket")
        watch.assert_clean()


# The demo evening's five items (config.toml), as the kiosk shows them on the night.
DEMO_SCHEDULE = "[" + ", ".join(f"{{ time = {json.dumps(item['time'])}, title = {json.dumps(item['title'])} }}" for item in
                                tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["event"]["schedule"]) + "]"

# Whatever of the idle screen is cut off by the viewport or covered (by the bar along the bottom).
NOT_SEEN = """() => [...document.querySelectorAll('.event-name, #scan-prompt, .schedule li, .sponsors li')].filter((el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const inside = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  return !(inside && hit && el.contains(hit));
}).map((el) => el.textContent)"""


@pytest.mark.parametrize("width,height", [(1280, 720), (1366, 657), (1366, 768), (1920, 1080)])
def test_idle_screen_shows_the_whole_schedule_and_the_sponsors_at_laptop_sizes(make_server, chromium, width, height):
    srv = make_server(seed=False, schedule=DEMO_SCHEDULE)
    assert len(tomllib.loads(f"s = {DEMO_SCHEDULE}")["s"]) == 5
    with signed_in_page(chromium, srv, "kiosk", viewport={"width": width, "height": height}) as (page, watch):
        expect(page.locator(".schedule li")).to_have_count(5)
        expect(page.locator(".sponsors li")).to_have_text(["Gamesys", "Tecknuovo"])
        assert page.evaluate(NOT_SEEN) == []
        watch.assert_clean()


def test_a_scan_while_the_settings_are_open_is_still_a_scan_and_enter_saves_a_typed_station(server, chromium):
    person = server.people()[74]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        page.get_by_role("button", name=re.compile("Station")).click()
        station = page.locator("#station-input")
        expect(station).to_be_focused()
        scanner_type(page, person["ticket_code"])  # the next person scans while the volunteer looks
        expect_greeting(page, person)
        expect(page.locator("#settings-dialog")).to_be_hidden()
        assert attendee(server, person["id"])["checked_in_station"] == "door-1"  # the station did not change
        expect(page.locator("#station-name")).to_have_text("door-1")

        # A volunteer typing a station name and pressing Enter saves it (it used to press Cancel).
        page.get_by_role("button", name=re.compile("Station")).click()
        station.fill("")
        page.keyboard.type("side-door", delay=90)
        page.keyboard.press("Enter")
        expect(page.locator("#settings-dialog")).to_be_hidden()
        expect(page.locator("#station-name")).to_have_text("side-door")
        watch.assert_clean()
