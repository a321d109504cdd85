"""The console's dialogs on a phone, for a name with no space to break at.

A walk-in's name is sometimes an email typed in the wrong box, or a handle with dots: "Badge: …"
and "… will count as not arrived" ran out of the dialog's right edge, cut off, on a 390 px phone.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LONG = "bartholomew.featherstonehaugh.registration@example-consultancy.org"  # typed in the name box

FITS = "(el) => el.scrollWidth <= el.clientWidth + 1"


def test_a_long_unbroken_name_stays_inside_the_badge_and_undo_dialogs(server: Any, chromium: Any) -> None:
    answer = server.post("/api/attendees", "volunteer", json={"name": LONG, "check_in": True})
    assert answer.status_code == 201
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.locator("#search").fill("featherstonehaugh")
        card = page.locator("#results li").first
        card.get_by_role("button", name="Badge").click()
        title = page.locator("#badge-title")
        expect(title).to_have_text(f"Badge: {LONG}")
        assert title.evaluate(FITS)
        page.locator("#badge-dialog").get_by_role("button", name="Close").click()
        card.get_by_role("button", name="Undo").click()
        text = page.locator("#confirm-text")
        expect(text).to_contain_text(LONG)
        assert text.evaluate(FITS)
        page.locator("#confirm-cancel").click()
        watch.assert_clean()
