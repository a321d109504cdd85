"""The volunteers' live feed says how big a walk-in's party is, as it does for an arrival."""

from __future__ import annotations

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)


def test_a_walk_in_with_guests_registered_at_another_phone_shows_its_party_in_the_feed(server, chromium):
    with signed_in_page(chromium, server, "volunteer", viewport={"width": 390, "height": 844}) as (page, watch):
        expect(page.locator("#connection")).to_have_text("Live")
        answer = server.post("/api/attendees", "volunteer", json={"name": "Gita Guestful", "guests": 2, "check_in": True})
        assert answer.json()["check_in"] == "checked_in"
        item = page.locator("#feed > li[data-kind=walk_in]").filter(has_text="Gita Guestful")
        expect(item.locator(".feed-meta")).to_have_text("walk-in, checked in · with 2 guests")
        expect(page.locator("#count-inside")).to_have_text("3")
        server.post("/api/attendees", "volunteer", json={"name": "Solo Walker", "check_in": False})
        alone = page.locator("#feed > li[data-kind=walk_in]").filter(has_text="Solo Walker")
        expect(alone.locator(".feed-meta")).to_have_text("walk-in, registered")
        watch.assert_clean()
