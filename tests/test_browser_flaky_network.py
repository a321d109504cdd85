"""A real evening's network, through real browsers: the server restarted mid-evening, phones that
lose Wi-Fi, answers lost on the way back, sockets that die without closing, two kiosks at once."""

from __future__ import annotations

import sqlite3
from typing import Any

import requests
from playwright.sync_api import Page, expect

from browser import (answer_lost_once, chromium, new_context, pair, poll, pw, quick_heartbeat,  # noqa: F401
                     scanner_type, signed_in_page, watch_page)


class Remote:
    """A `kiosk serve` subprocess seen the way the browser helpers expect a server (url, tokens)."""

    def __init__(self, proc: Any, tokens: dict[str, str]) -> None:
        self.proc, self.tokens, self.url = proc, tokens, proc.url

    def api(self, method: str, path: str, role: str | None = "organizer", **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kw)

    def people(self) -> list[dict[str, Any]]:
        found = self.api("GET", "/api/attendees?limit=500").json()["attendees"]
        return sorted((p for p in found if p["status"] == "attending"), key=lambda p: p["id"])

    def attendee(self, attendee_id: int) -> dict[str, Any]:
        return self.api("GET", f"/api/attendees/{attendee_id}").json()["attendee"]

    def scan_rows(self, code: str) -> list[tuple[str, str]]:
        """(result, nonce) of every scan of `code` in the database, read beside the server."""
        database = self.proc.config_path.parent / "data" / "kiosk.db"
        with sqlite3.connect(database) as db:
            return db.execute("SELECT result, nonce FROM scans WHERE code = ? ORDER BY id", [code]).fetchall()


def open_page(browser: Any, remote: Remote, role: str | None, path: str = "") -> tuple[Any, Page, Any]:
    """A context of its own (cookies, localStorage) signed in as `role`, or public at `path`."""
    context = new_context(browser, remote)
    page = context.new_page()
    watch = watch_page(page)
    if role:
        pair(page, remote, role)
    if path:
        page.goto(path)
    return context, page, watch


def test_a_server_restart_mid_evening_loses_nothing_and_every_screen_catches_up(kiosk_process, chromium):
    proc, tokens = kiosk_process()
    remote = Remote(proc, tokens)
    before, during = remote.people()[:1], remote.people()[1:4]
    k_ctx, kiosk, k_watch = open_page(chromium, remote, "kiosk")
    v_ctx, console, v_watch = open_page(chromium, remote, "volunteer")
    d_ctx, display, d_watch = open_page(chromium, remote, None, "/display")
    try:
        expect(console.locator("#connection")).to_have_text("Live")
        expect(display.locator("#checked-in")).to_have_text("0")
        scanner_type(kiosk, before[0]["ticket_code"])
        expect(kiosk.locator("#result-title")).to_have_text(f"Welcome, {before[0]['first_name']}!")
        expect(display.locator("#checked-in")).to_have_text("1")

        proc.kill()  # kill -9: no goodbye to any socket
        expect(console.locator("#connection")).to_have_text("Reconnecting…")
        expect(display.locator("#connection")).to_have_text("Reconnecting…")
        for person in during:
            scanner_type(kiosk, person["ticket_code"])
            expect(kiosk.locator("#kiosk")).to_have_attribute("data-state", "saved")
        expect(kiosk.locator("#pending")).to_have_text("3 scans waiting for the network")

        proc.start()
        # No reload anywhere: each page finds the server again by itself.
        expect(kiosk.locator("#pending")).to_be_hidden(timeout=30_000)
        expect(console.locator("#connection")).to_have_text("Live", timeout=30_000)
        expect(display.locator("#connection")).to_have_text("Live", timeout=30_000)
        expect(display.locator("#checked-in")).to_have_text("4")
        expect(console.locator("#count-inside")).to_have_text("4")
        for person in during:  # each saved scan sent until answered, and counted exactly once
            assert remote.attendee(person["id"])["checked_in_at"]
            rows = remote.scan_rows(person["ticket_code"])
            assert [r for r, _ in rows] == ["checked_in"] and len({n for _, n in rows}) == 1, rows
        # The arrivals the console did not see while it was away are in its feed now.
        for person in before + during:
            expect(console.locator("#feed")).to_contain_text(person["name"])
        for watch in (k_watch, v_watch, d_watch):
            watch.assert_clean()
    finally:
        for context in (k_ctx, v_ctx, d_ctx):
            context.close()


def console_page(browser: Any, server: Any) -> tuple[Any, Page, Any]:
    """The volunteer console on its own phone, live."""
    context, page, watch = open_page(browser, server, "volunteer")
    expect(page.locator("#connection")).to_have_text("Live")
    return context, page, watch


def test_a_phone_that_lost_wifi_notices_and_sees_the_arrivals_it_missed(server, chromium):
    """Offline, the phone's socket does not close: nothing arrives on it any more. The console must
    notice that by itself (no "Live" while deaf), then catch up on what it missed."""
    quick_heartbeat(server)
    missed = server.people()[5:8]
    context, page, watch = console_page(chromium, server)
    try:
        context.set_offline(True)
        expect(page.locator("#connection")).to_have_text("Reconnecting…")
        for person in missed:
            assert server.scan(person["ticket_code"], station="door-2").status_code == 201
        server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True})
        context.set_offline(False)
        expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
        expect(page.locator("#count-inside")).to_have_text("4")
        for person in missed:
            expect(page.locator("#feed")).to_contain_text(person["name"])
        expect(page.locator("#feed")).to_contain_text("Wanda Walkin")
        watch.assert_clean()
    finally:
        context.close()


def walk_ins_named(server: Any, name: str) -> list[dict[str, Any]]:
    found = server.get("/api/attendees", params={"q": name, "limit": 50}).json()["attendees"]
    return [p for p in found if p["is_walk_in"] and p["name"] == name]


def test_a_walk_in_whose_answer_was_lost_is_not_registered_twice(server, chromium):
    """Pressing again after "no answer" is what a volunteer does; it must not make a second person,
    also when the name is a namesake of someone on the list (the second press skips that check)."""
    namesake = server.people()[12]["name"]
    context, page, watch = console_page(chromium, server)
    try:
        sent = answer_lost_once(page, "**/api/attendees")
        form = page.locator("#walkin-form")
        status = page.locator("#walkin-status")
        form.get_by_label("Name").fill(namesake)
        press = form.get_by_role("button", name="Check in and print")
        press.click()
        expect(status).to_contain_text("is already on the list")  # a namesake: press again to register
        press.click()
        expect(status).to_contain_text("No answer from the server")
        expect(status).not_to_contain_text("Nothing was registered")  # it was, on the server
        poll(page, lambda: walk_ins_named(server, namesake), "the lost walk-in on the server")
        press.click()  # what a volunteer does next
        expect(status).to_contain_text(f"{namesake} was registered and checked in after all")
        page.wait_for_timeout(500)
        assert len(walk_ins_named(server, namesake)) == 1, walk_ins_named(server, namesake)
        assert len(sent) == 1 and sent[0]["request_id"]
        expect(form.get_by_label("Name")).to_have_value("")  # done: the form is ready for the next person
        assert server.get("/api/headcount", None).json()["walk_ins"] == 1
        watch.assert_clean()
    finally:
        context.close()


def kiosk_page(browser: Any, server: Any) -> tuple[Any, Page, Any]:
    return open_page(browser, server, "kiosk")


def save_offline(page: Page, codes: list[str]) -> None:
    """Scans made while the kiosk cannot reach the server: each is kept in its outbox."""
    page.route("**/api/checkins", lambda route: route.abort("connectionrefused"))
    for code in codes:
        scanner_type(page, code)
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
    expect(page.locator("#pending")).to_contain_text(f"{len(codes)} scan")
    page.unroute("**/api/checkins")


def test_a_saved_scan_the_server_keeps_failing_on_neither_loops_nor_blocks_the_others(server, chromium):
    broken, fine = server.people()[80], server.people()[81]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        save_offline(page, [broken["ticket_code"], fine["ticket_code"]])
        attempts: list[str] = []

        def server_bug(route: Any) -> None:  # a 500 for this one ticket, every time
            if route.request.post_data_json["code"] != broken["ticket_code"]:
                return route.continue_()
            attempts.append(route.request.post_data_json["nonce"])
            route.fulfill(status=500, content_type="application/json",
                          body='{"result": "internal_server_error", "message": "Internal Server Error"}')

        page.route("**/api/checkins", server_bug)
        page.evaluate("dispatchEvent(new Event('online'))")
        # the scan saved after it is not held up behind it
        poll(page, lambda: server.get(f"/api/attendees/{fine['id']}").json()["attendee"]["checked_in_at"],
             "the second saved scan to go through")
        # ... and it is given up after a few tries, listed for a volunteer, not retried all evening
        panel = page.locator("#late-refusals")
        expect(panel.locator("li")).to_have_text([f"{broken['ticket_code']} — The server could not check it"], timeout=60_000)
        expect(page.locator("#pending")).to_be_hidden()
        tries = len(attempts)
        page.wait_for_timeout(3000)
        assert len(attempts) == tries and 3 <= tries <= 10, attempts
        assert page.evaluate("localStorage.getItem('kiosk.outbox.v1')") == "[]"
        watch.assert_clean()


def test_a_saved_scan_answered_too_many_attempts_is_sent_again_not_dropped(server, chromium):
    """429 says "this door, wait a minute", not "this ticket is bad": the person went in on trust."""
    person = server.people()[82]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        save_offline(page, [person["ticket_code"]])
        answers: list[int] = []

        def rate_limited_once(route: Any) -> None:
            if not answers:
                answers.append(429)
                return route.fulfill(status=429, content_type="application/json",
                                     body='{"result": "too_many_attempts", "message": "Please wait."}')
            answers.append(0)
            route.continue_()

        page.route("**/api/checkins", rate_limited_once)
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#toast")).to_contain_text(f"Confirmed: {person['first_name']} is checked in", timeout=20_000)
        expect(page.locator("#late-refusals")).to_be_hidden()
        assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
        assert answers[0] == 429 and len(answers) >= 2
        watch.assert_clean()


def test_two_kiosks_holding_the_same_saved_scan_check_in_once_and_both_say_so(server, chromium):
    """Someone scanned at both doors while the Wi-Fi was down (or two tabs on one station)."""
    person = server.people()[83]
    first_ctx, first, first_watch = kiosk_page(chromium, server)
    second_ctx, second, second_watch = kiosk_page(chromium, server)
    try:
        for page in (first, second):
            save_offline(page, [person["ticket_code"]])
        for page in (first, second):
            page.evaluate("dispatchEvent(new Event('online'))")
        for page in (first, second):
            expect(page.locator("#pending")).to_be_hidden(timeout=20_000)
        said = [page.locator("#toast").text_content() + "|" + page.locator("#late-refusals").text_content()
                for page in (first, second)]
        confirmed = [s for s in said if f"Confirmed: {person['first_name']} is checked in" in s]
        refused = [s for s in said if "Already checked in" in s]
        assert len(confirmed) == 1 and len(refused) == 1, said
        with server.state.store.read() as db:
            results = [r[0] for r in db.execute("SELECT result FROM scans WHERE code = ?", [person["ticket_code"]])]
        assert sorted(results) == ["already_checked_in", "checked_in"], results
        assert server.get("/api/headcount", None).json()["checked_in"] == 1
        first_watch.assert_clean()
        second_watch.assert_clean()
    finally:
        first_ctx.close()
        second_ctx.close()


class HeldUndos:
    """The console's live socket, with its "undone" messages held back until released: so a test
    decides whether the feed or the volunteer's next press tells the card first."""

    def __init__(self, context: Any) -> None:
        self.held: list[Any] = []
        self.page_side: Any = None
        context.route_web_socket("**/ws/live**", self._route)

    def _route(self, ws: Any) -> None:
        self.page_side = ws
        server_side = ws.connect_to_server()
        server_side.on_message(lambda message: self.held.append(message) if '"type": "undone"' in str(message)
                               else ws.send(message))

    def release(self) -> None:
        for message in self.held:
            self.page_side.send(message)
        self.held.clear()


def undo_on_card(page: Page, person: dict[str, Any]) -> Any:
    page.locator("#search").fill(person["email"])
    card = page.locator(f'#results > li[data-id="{person["id"]}"]')
    expect(card).to_have_attribute("data-status", "checked-in")
    card.get_by_role("button", name="Undo").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Undo check-in").click()
    return card


def test_an_undo_whose_answer_was_lost_ends_as_done_on_the_card(server, chromium):
    """The undo went through but its answer was lost: the card must end up saying so, whether the
    live feed tells it first or the volunteer presses Undo again (409 not_checked_in)."""
    first, second = server.people()[30], server.people()[31]
    for person in (first, second):
        assert server.scan(person["ticket_code"]).status_code == 201
    context = new_context(chromium, server)
    feed = HeldUndos(context)
    page = context.new_page()
    watch = watch_page(page)
    try:
        pair(page, server, "volunteer")
        expect(page.locator("#connection")).to_have_text("Live")

        answer_lost_once(page, f"**/api/checkins/{first['id']}", "DELETE")
        card = undo_on_card(page, first)
        expect(card).to_contain_text("No answer from the server")
        poll(page, lambda: feed.held, "the undo on the live feed")
        feed.release()  # the feed says what the lost answer would have
        expect(card).to_have_attribute("data-status", "expected")
        expect(card).not_to_contain_text("No answer from the server")

        answer_lost_once(page, f"**/api/checkins/{second['id']}", "DELETE")
        card = undo_on_card(page, second)
        expect(card).to_contain_text("No answer from the server")
        card.get_by_role("button", name="Undo").click()  # pressed again, the feed still silent
        page.locator("#confirm-dialog").get_by_role("button", name="Undo check-in").click()
        expect(card.locator(".person-msg")).to_have_text("Check-in already undone.")
        expect(card).to_have_attribute("data-status", "expected")
        assert server.get(f"/api/attendees/{second['id']}").json()["attendee"]["checked_in_at"] is None
        watch.assert_clean()
    finally:
        context.close()


def test_a_console_whose_pairing_was_revoked_says_signed_out_not_reconnecting(server, chromium):
    """A browser cannot see why its websocket is refused: the console asks who it is and says so."""
    label = "revoked-phone"
    token = server.post("/api/tokens", json={"role": "volunteer", "label": label}).json()["token"]
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    try:
        page.goto(f"/pair?token={token}")
        expect(page.locator("#connection")).to_have_text("Live")
        token_id = next(t["id"] for t in server.get("/api/tokens").json()["tokens"] if t["label"] == label)
        assert server.delete(f"/api/tokens/{token_id}").status_code == 200
        expect(page.locator("#connection")).to_have_text("Signed out: Sign in", timeout=15_000)
        expect(page.locator("#connection a")).to_have_attribute("href", "/login?next=/volunteer")
        watch.assert_clean()
    finally:
        context.close()
