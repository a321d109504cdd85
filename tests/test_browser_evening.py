"""A busy evening through real browsers: double taps, lost and slow answers, two phones on one person,
a kiosk screen that must not invite a second scan while the first is still being checked."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import answer_lost_once, chromium, new_context, pair, poll, pw, scanner_type, watch_page  # noqa: F401

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def print_jobs(server: Any, attendee_id: int, reason: str) -> int:
    with server.state.store.read() as db:
        return db.execute("SELECT COUNT(*) FROM print_jobs WHERE attendee_id = ? AND reason = ?",
                          [attendee_id, reason]).fetchone()[0]


def phone(browser: Any, server: Any) -> tuple[Any, Page, Any]:
    context = new_context(browser, server, **PHONE)
    page = context.new_page()
    watch = watch_page(page)
    pair(page, server, "volunteer")
    expect(page.locator("#connection")).to_have_text("Live")
    return context, page, watch


def card_of(page: Page, person: dict[str, Any]) -> Any:
    """Search for a person by email (unique) and return their card."""
    page.locator("#search").fill(person["email"])
    card = page.locator(f'#results > li[data-id="{person["id"]}"]')
    expect(card).to_be_visible()
    return card


def test_a_reprint_whose_answer_was_lost_prints_one_badge_when_pressed_again(server, chromium):
    """No answer to a reprint: the volunteer presses again. The server had queued it: one badge,
    not two. A press after an answer is on purpose and prints another."""
    person = server.people()[40]
    assert server.scan(person["ticket_code"]).status_code == 201
    context, page, watch = phone(chromium, server)
    try:
        sent = answer_lost_once(page, f"**/api/attendees/{person['id']}/badge")
        card = card_of(page, person)
        card.get_by_role("button", name="Reprint").click()
        expect(card.locator(".person-msg")).to_contain_text("No answer")
        poll(page, lambda: print_jobs(server, person["id"], "reprint") == 1, "the lost reprint on the server")
        card.get_by_role("button", name="Reprint").click()  # what a volunteer does next
        expect(card.locator(".person-msg")).to_have_text("Badge sent to the printer.")
        assert print_jobs(server, person["id"], "reprint") == 1
        assert len(sent) == 2 and sent[0]["request_id"] == sent[1]["request_id"]

        card.get_by_role("button", name="Reprint").click()  # answered before: this one is wanted
        poll(page, lambda: print_jobs(server, person["id"], "reprint") == 2, "a second reprint on purpose")
        assert sent[2]["request_id"] != sent[0]["request_id"]
        watch.assert_clean()
    finally:
        context.close()


def test_signing_out_in_one_tab_stops_the_live_feed_in_the_other(server, chromium):
    """A volunteer signs out on the shared laptop; the console left open in another tab must stop
    showing arrivals' names and say it is signed out, not stay "Live"."""
    context, page, watch = phone(chromium, server)
    try:
        other = context.new_page()
        other.goto("/volunteer")
        other.get_by_role("button", name="Log out").click()
        other.wait_for_url("**/login")
        expect(page.locator("#connection")).to_have_text("Signed out: Sign in")
        arrival = server.people()[70]
        assert server.scan(arrival["ticket_code"]).status_code == 201
        # Its socket was closed before the label could say so: nothing more reaches this tab.
        expect(page.locator("#count-inside")).to_have_text("0")
        expect(page.locator("#feed")).not_to_contain_text(arrival["name"])
        watch.assert_clean()
    finally:
        context.close()


def kiosk_states(page: Page) -> None:
    """Record every screen the kiosk shows (data-state), in order, in window.kioskStates."""
    page.evaluate("""() => {
        const main = document.querySelector('#kiosk');
        window.kioskStates = [main.dataset.state];
        new MutationObserver(() => window.kioskStates.push(main.dataset.state))
            .observe(main, { attributes: true, attributeFilter: ['data-state'] });
    }""")


def test_a_slow_scan_during_the_last_greeting_keeps_checking_not_scan_your_ticket(server, chromium):
    """The next person scans while the last greeting is up, and the server takes 3 s. The last
    greeting's timer must not put "Scan your ticket" up meanwhile: they would scan again."""
    first, second = server.people()[80], server.people()[81]
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    try:
        pair(page, server, "kiosk")
        scanner_type(page, first["ticket_code"])
        expect(page.locator("#result-title")).to_contain_text("Welcome")
        page.wait_for_timeout(1500)  # the next person steps up while the greeting (4 s) is still shown

        def slow(route: Any) -> None:
            page.wait_for_timeout(3000)
            route.continue_()

        page.route("**/api/checkins", slow)
        kiosk_states(page)
        scanner_type(page, second["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {second['first_name']}!", timeout=8000)
        states = page.evaluate("window.kioskStates")
        assert states[-1] == "checked_in" and "checking" in states, states
        assert "idle" not in states, states
        watch.assert_clean()
    finally:
        context.close()


def test_a_camera_socket_that_went_deaf_is_replaced_and_the_ticket_still_scans(server, pw, tmp_path):
    """A phone used as a kiosk: its camera socket stays "open" after the Wi-Fi hiccups, but no
    answer comes back on it any more. The page must notice and open another one, not send frames
    into the void all evening while "Camera on" is shown."""
    from browser import camera_args, start_chromium, write_qr_y4m

    person = server.people()[90]
    browser = start_chromium(pw, camera_args(write_qr_y4m(person["ticket_code"], tmp_path / "ticket.y4m")))
    opened: list[int] = []

    def relay(ws: Any) -> None:
        """The first socket reaches the server, but nothing the server says comes back."""
        opened.append(1)
        deaf = len(opened) == 1
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if deaf else ws.send(message))

    try:
        context = new_context(browser, server)
        page = context.new_page()
        watch = watch_page(page)
        page.route_web_socket("**/ws/camera", relay)
        pair(page, server, "kiosk")
        expect(page.locator("#camera-toggle")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!", timeout=20_000)
        assert len(opened) == 2
        watch.assert_clean()
    finally:
        browser.close()


def triple_tap(page: Page, button: Any) -> None:
    """Three taps 120 ms apart, as an impatient thumb on a phone does."""
    box = button.bounding_box()
    for _ in range(3):
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(120)


def test_a_triple_tap_prints_one_badge_and_does_not_reach_undo(server, chromium):
    """The server answers in milliseconds, so the second and third taps of a triple tap land on a
    card that already answered: on Reprint they printed three badges; on Check in they landed on
    the Undo now in its place and opened the undo dialog."""
    reprinted, arriving = server.people()[140], server.people()[141]
    assert server.scan(reprinted["ticket_code"]).status_code == 201
    context, page, watch = phone(chromium, server)
    try:
        card = card_of(page, reprinted)
        triple_tap(page, card.get_by_role("button", name="Reprint"))
        expect(card.locator(".person-msg")).to_have_text("Badge sent to the printer.")
        expect(card.get_by_role("button", name="Reprint")).to_be_enabled()  # the taps are over
        page.wait_for_timeout(300)  # and any request a tap made has had time to reach the server
        assert print_jobs(server, reprinted["id"], "reprint") == 1

        card = card_of(page, arriving)
        triple_tap(page, card.get_by_role("button", name="Check in"))
        expect(card).to_have_attribute("data-status", "checked-in")
        expect(page.locator("#confirm-dialog")).to_be_hidden()
        assert server.get(f"/api/attendees/{arriving['id']}").json()["attendee"]["checked_in_at"]

        card.get_by_role("button", name="Reprint").click()  # a deliberate press a moment later is a new wish
        poll(page, lambda: print_jobs(server, arriving["id"], "reprint") == 1, "a deliberate reprint")
        watch.assert_clean()
    finally:
        context.close()


def test_pairing_the_laptop_as_the_kiosk_stops_the_console_left_open_in_another_tab(server, chromium):
    """The volunteers' laptop becomes the door's kiosk (the pairing link opened in a new tab): the
    console still open in the first tab faces the queue now and must stop showing names."""
    context, page, watch = phone(chromium, server)
    try:
        kiosk = context.new_page()
        pair(kiosk, server, "kiosk")
        expect(page.locator("#connection")).to_have_text("Signed out: Sign in")
        arrival = server.people()[95]
        scanner_type(kiosk, arrival["ticket_code"])
        expect(kiosk.locator("#result-title")).to_have_text(f"Welcome, {arrival['first_name']}!")
        expect(page.locator("#count-inside")).to_have_text("0")
        expect(page.locator("#feed")).not_to_contain_text(arrival["name"])
        watch.assert_clean()
    finally:
        context.close()


def test_a_ticket_read_twice_by_the_scanner_keeps_its_welcome(server, chromium):
    """A presentation-mode scanner reads a held ticket twice, 300 ms apart: the person must go on
    seeing "Welcome", not "Already checked in" for the second read."""
    person, next_person = server.people()[210], server.people()[211]
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    try:
        pair(page, server, "kiosk")
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        kiosk_states(page)
        page.wait_for_timeout(300)
        scanner_type(page, person["ticket_code"])
        scanner_type(page, next_person["ticket_code"])  # the next person's ticket is a new scan
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {next_person['first_name']}!")
        assert "already_checked_in" not in page.evaluate("window.kioskStates")
        with server.state.store.read() as db:
            results = [r[0] for r in db.execute("SELECT result FROM scans WHERE code = ?", [person["ticket_code"]])]
        assert results == ["checked_in"]
        watch.assert_clean()
    finally:
        context.close()
