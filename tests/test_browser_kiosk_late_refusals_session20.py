"""Saved scans refused later are listed on the kiosk for a volunteer; on a phone used as the kiosk
that list must not cover the greeting of the person standing in front of it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)

FORGED = [f"K1-{c * 8}-{c * 13}" for c in "ABCDE"]  # our shape, no valid MAC: refused as invalid_code


def box(page: Page, selector: str) -> dict[str, float]:
    return page.locator(selector).evaluate(
        "(el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }")


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 360, "height": 640}])
def test_a_long_list_of_late_refusals_leaves_the_greeting_in_view_on_a_phone(server, chromium, viewport):
    person = server.people()[30]
    with signed_in_page(chromium, server, "kiosk", viewport=viewport, has_touch=True) as (page, watch):
        page.route("**/api/checkins", lambda route: route.abort("connectionrefused"))
        for code in FORGED:
            scanner_type(page, code)
            expect(page.locator("#pending")).to_contain_text("waiting")
        expect(page.locator("#pending")).to_have_text(f"{len(FORGED)} scans waiting for the network")
        page.unroute("**/api/checkins")
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#late-refusals")).to_contain_text(f"{len(FORGED)} saved scans were refused", timeout=20_000)
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
        refusals, bar = box(page, "#late-refusals"), box(page, ".kiosk-bar")
        for line in ("#result-icon", "#result-title", "#result-message", "#result-sub"):
            where = box(page, line)
            assert not overlaps(where, refusals), (line, where, refusals)
            assert where["top"] >= 0 and where["bottom"] <= bar["top"] + 0.5, (line, where, bar)
        expect(page.get_by_role("button", name="Dismiss")).to_be_in_viewport()
        page.get_by_role("button", name="Dismiss").click()
        expect(page.locator("#late-refusals")).to_be_hidden()
        watch.assert_clean()
