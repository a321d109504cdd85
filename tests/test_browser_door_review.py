"""What people at the door meet in the browser, found in a black-box review (session 19):
a console opened mid-evening, a scanner's first key arriving late."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, new_context, pin_login, pw, watch_page  # noqa: F401


def console(browser: Any, server: Any, **context_kwargs: Any) -> tuple[Any, Page, Any]:
    context = new_context(browser, server, **context_kwargs)
    page = context.new_page()
    watch = watch_page(page)
    pin_login(page, "volunteer")
    expect(page.locator("#connection")).to_have_text("Live")
    return context, page, watch


def test_a_console_opened_or_reloaded_mid_evening_lists_the_arrivals_so_far(server, chromium):
    """A volunteer's phone opened at 19:00 (or reloaded: phones discard background tabs) showed
    an empty "Live at the door" with 3 people inside: the feed only listed what came after."""
    arrived = server.people()[:3]
    for person in arrived:
        assert server.scan(person["ticket_code"]).status_code == 201
    context, page, watch = console(chromium, server, viewport={"width": 390, "height": 844})
    try:
        for _ in range(2):  # opened, then reloaded
            for person in arrived:
                expect(page.locator(f'#feed > li[data-attendee-id="{person["id"]}"]')).to_have_count(1)
                expect(page.locator("#feed")).to_contain_text(person["name"])
            expect(page.locator("#feed > li").first).to_contain_text(arrived[-1]["name"])  # newest first
            page.reload()
            expect(page.locator("#connection")).to_have_text("Live")
        later = server.people()[3]
        assert server.scan(later["ticket_code"]).status_code == 201
        expect(page.locator("#feed > li").first).to_contain_text(later["name"])
        expect(page.locator("#feed > li")).to_have_count(4)
        watch.assert_clean()
    finally:
        context.close()


def test_a_scanners_first_key_arriving_late_is_still_part_of_the_ticket(server, chromium):
    """The first key of a burst that lagged more than 250 ms behind the rest (seen on the first scan
    after the page loaded on a busy laptop; a Bluetooth scanner waking up does the same) was dropped:
    "1-PF0EF4E5-..." went to the server and the person was told "Ticket not found"."""
    from browser import signed_in_page

    first, second, third = server.people()[10:13]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        # with an Enter suffix, without, and with a stall mid-code too (both come on a busy laptop)
        for person, enter, stall_at in ((first, True, 0), (second, False, 0), (third, True, 12)):
            code = person["ticket_code"]
            page.keyboard.press(code[0])
            page.wait_for_timeout(600)
            if stall_at:
                page.keyboard.type(code[1:stall_at], delay=5)
                page.wait_for_timeout(600)
            page.keyboard.type(code[stall_at or 1:], delay=5)
            if enter:
                page.keyboard.press("Enter")
            expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
            assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
            page.wait_for_timeout(400)
        watch.assert_clean()


def test_a_stall_in_the_middle_of_a_ticket_does_not_cut_it_in_two(server, chromium):
    """A busy laptop (or a Bluetooth scanner) that stalls 300-600 ms mid-code sent the first part as one
    scan ("K1-CZYHMCGP-R2E35GB": "Not a valid ticket") and the rest as another: the person was refused."""
    from browser import signed_in_page

    first, second = server.people()[20:22]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        for person, enter in ((first, True), (second, False)):  # with an Enter suffix, and without
            code = person["ticket_code"]
            page.keyboard.type(code[:17], delay=5)
            page.wait_for_timeout(600)
            page.keyboard.type(code[17:], delay=5)
            if enter:
                page.keyboard.press("Enter")
            expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
            assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
            page.wait_for_timeout(400)
        assert [m["result"] for m in page.evaluate("window.kioskMetrics")] == ["checked_in", "checked_in"]
        watch.assert_clean()


def test_a_stall_mid_code_from_a_us_scanner_on_a_french_laptop_is_one_scan(server, chromium):
    """The same stall, typed through a French layout ("K&)..."): only the keys' US reading is a ticket."""
    from browser import signed_in_page
    from test_scanner_input import FRENCH, key_position

    person = next(p for p in server.people()[30:] if "-" in p["ticket_code"])
    code = person["ticket_code"]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        cdp = page.context.new_cdp_session(page)
        for i, char in enumerate(code + "\r"):
            key_code, shift = ("Enter", False) if char == "\r" else key_position(char)
            key = "Enter" if char == "\r" else FRENCH.get(char, char)
            event = {"key": key, "code": key_code, "modifiers": 8 if shift else 0}
            cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r" if char == "\r" else key,
                                                "windowsVirtualKeyCode": 13 if char == "\r" else 0, **event})
            cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
            page.wait_for_timeout(600 if i == 16 else 4)
        cdp.detach()
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        assert [m["result"] for m in page.evaluate("window.kioskMetrics")] == ["checked_in"]
        watch.assert_clean()


def test_the_pairing_qr_is_in_view_on_a_phone_once_asked_for(server, chromium):
    """On a 390x844 phone, "Pair as kiosk" put the QR code below the fold (its top at 794 px of 844):
    the volunteer saw nothing happen and had to find it by scrolling, with a queue waiting."""
    context, page, watch = console(chromium, server, viewport={"width": 390, "height": 844},
                                   is_mobile=True, has_touch=True)
    try:
        page.get_by_role("button", name="Pair as kiosk").tap()
        qr = page.locator("#pair-qr img")
        expect(qr).to_be_visible()

        def whole_qr_in_view() -> bool:
            box, bar = qr.bounding_box(), page.locator(".topbar").bounding_box()
            return bool(box and bar and box["height"] > 100 and box["y"] >= bar["y"] + bar["height"] - 1
                        and box["y"] + box["height"] <= 844 + 1)

        from browser import poll
        poll(page, whole_qr_in_view, "the whole QR code in view, below the sticky top bar")
        watch.assert_clean()
    finally:
        context.close()


def test_every_section_link_is_on_screen_on_a_phone(server, chromium):
    """The section links scrolled sideways with their scrollbar hidden: at 390 px "Pair" started at
    392 px, wholly off screen, and nothing said there was more to the row."""
    context, page, watch = console(chromium, server, viewport={"width": 390, "height": 844})
    try:
        links = page.locator("nav.jump a")
        expect(links).to_have_count(6)
        for i in range(6):
            box = links.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (links.nth(i).inner_text(), box)
        links.filter(has_text="Pair").click()
        expect(page.get_by_role("button", name="Pair as kiosk")).to_be_in_viewport()
        watch.assert_clean()
    finally:
        context.close()
