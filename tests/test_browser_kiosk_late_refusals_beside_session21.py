"""The list of saved scans refused later, on a kiosk whose screen is wider than a phone held upright:
a laptop, or a phone paired as the kiosk standing on its side. It used to be a box in the top-left
corner over the answer: it covered the start of "Welcome," on a laptop and half the greeting on a
phone on its side, with its Dismiss button cut off below the box's edge; on a small phone on its
side (a row above the bar) the list itself was squeezed to nothing and the greeting's last line
covered. It is now a column beside the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_late_refusals_session20 import FORGED, box, overlaps

SCREENS = [(844, 390), (932, 430), (667, 375), (740, 360), (1366, 768), (1280, 720)]
ANSWER = ("#result-icon", "#result-title", "#result-message", "#result-sub")


def refuse_saved_scans_later(page: Page) -> None:
    """Scans saved while the network is out, each refused once it is back."""
    page.route("**/api/checkins", lambda route: route.abort("connectionrefused"))
    for saved, code in enumerate(FORGED, start=1):
        scanner_type(page, code)
        expect(page.locator("#pending")).to_have_text(f"{saved} scan{'s' if saved > 1 else ''} waiting for the network")
    page.unroute("**/api/checkins")
    page.evaluate("dispatchEvent(new Event('online'))")
    expect(page.locator("#late-refusals")).to_contain_text(f"{len(FORGED)} saved scans were refused", timeout=20_000)


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (inner["top"] >= outer["top"] - 0.5 and inner["bottom"] <= outer["bottom"] + 0.5
            and inner["left"] >= outer["left"] - 0.5 and inner["right"] <= outer["right"] + 0.5)


@pytest.mark.parametrize("width,height", SCREENS)
def test_late_refusals_beside_the_answer_leave_the_greeting_whole(server, chromium, width, height):
    host = server.post("/api/attendees", json={"name": "Bartholomew Featherstonehaugh", "guests": 2,
                                               "check_in": False}).json()["attendee"]
    viewport = {"width": width, "height": height}
    with signed_in_page(chromium, server, "kiosk", viewport=viewport, has_touch=height < 500) as (page, watch):
        refuse_saved_scans_later(page)
        scanner_type(page, host["ticket_code"])
        expect(page.locator("#result-message")).to_have_text("You are checked in with 2 guests. Your badges are printing.")
        screen = {"top": 0, "left": 0, "bottom": height, "right": width}
        refusals, bar = box(page, "#late-refusals"), box(page, ".kiosk-bar")
        for line in ANSWER:
            where = box(page, line)
            assert not overlaps(where, refusals), (line, where, refusals)
            assert inside(where, screen) and where["bottom"] <= bar["top"] + 0.5, (line, where, bar)
        assert inside(refusals, screen) and refusals["bottom"] <= bar["top"] + 0.5, (refusals, bar)
        dismiss = box(page, "#late-refusals-dismiss")
        assert inside(dismiss, refusals), ("Dismiss is cut off", dismiss, refusals)
        first = box(page, "#late-refusals-list li:first-child")
        assert inside(first, box(page, "#late-refusals-list")), ("the first refusal is not in view", first)
        page.get_by_role("button", name="Dismiss").click()
        expect(page.locator("#late-refusals")).to_be_hidden()
        watch.assert_clean()
