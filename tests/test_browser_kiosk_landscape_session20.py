"""A phone paired as the kiosk stands on its side at the door (landscape): the whole answer, the
greeting and what it says about badges, must be on screen above the bar, not under it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser import camera_args, new_context, pair, scanner_type, start_chromium, pw, watch_page, write_qr_y4m  # noqa: F401

LANDSCAPE_PHONES = [(667, 375), (844, 390), (740, 360)]


def boxes(page: Page) -> dict[str, Any]:
    """Where each line of the answer (those with text) and the bottom bar are drawn."""
    return page.evaluate("""() => {
        const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, h: r.height}; };
        return {
            lines: ['#result-icon', '#result-title', '#result-message', '#result-sub']
                .filter((s) => document.querySelector(s).textContent.trim()).map((s) => [s, box(document.querySelector(s))]),
            bar: box(document.querySelector('.kiosk-bar')),
            controls: ['#manual-code', '#camera-toggle', '#settings-button'].map((s) => [s, box(document.querySelector(s))]),
            width: innerWidth, height: innerHeight,
        };
    }""")


def assert_all_in_view(page: Page) -> None:
    where = boxes(page)
    assert [s for s, _ in where["lines"]][:3] == ["#result-icon", "#result-title", "#result-message"], where["lines"]
    for selector, box in where["lines"]:
        assert box["h"] > 0, f"{selector} is not shown"
        assert box["top"] >= 0 and box["bottom"] <= where["bar"]["top"] + 0.5, (selector, box, where["bar"])
        assert box["left"] >= 0 and box["right"] <= where["width"] + 0.5, (selector, box)
    for selector, box in where["controls"]:
        assert 0 <= box["top"] and box["bottom"] <= where["height"] + 0.5, (selector, box)
        assert box["left"] >= 0 and box["right"] <= where["width"] + 0.5, (selector, box)


@pytest.mark.parametrize("width,height", LANDSCAPE_PHONES)
def test_a_greeting_with_guests_is_whole_above_the_bar_on_a_phone_on_its_side(server, pw, tmp_path, width, height):
    host = server.post("/api/attendees", json={"name": "Bartholomew Featherstonehaugh", "guests": 2,
                                               "check_in": False}).json()["attendee"]
    # The phone's camera is on (it shows a blank card): its preview sits in the bar too.
    blank = write_qr_y4m("K1-NOTHING", tmp_path / "blank.y4m", qr_px=8)
    browser = start_chromium(pw, camera_args(blank))
    try:
        context = new_context(browser, server, viewport={"width": width, "height": height}, has_touch=True)
        page = context.new_page()
        watch = watch_page(page)
        pair(page, server, "kiosk")
        expect(page.locator("#camera-video")).to_be_visible()
        scanner_type(page, host["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("Welcome, Bartholomew!")
        expect(page.locator("#result-message")).to_have_text("You are checked in with 2 guests. Your badges are printing.")
        assert_all_in_view(page)
        scanner_type(page, "K1-AAAAAAAA-AAAAAAAAAAAAA")  # a refusal, with the longest of the messages
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "invalid_code")
        assert_all_in_view(page)
        watch.assert_clean()
    finally:
        browser.close()
