"""The volunteers' console warns when a kiosk's saved scan took the venue past its capacity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)
from kiosk import clock


def test_the_console_shows_the_venue_over_capacity(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=1)
    first, saved = server.people()[:2]
    assert server.scan(first["ticket_code"]).status_code == 201
    with signed_in_page(chromium, server, "volunteer") as (page, watch):
        expect(page.locator("#connection")).to_have_text("Live")
        saved_at = (clock.now() - timedelta(minutes=2)).isoformat()
        answer = server.post("/api/checkins", "kiosk", json={
            "code": saved["ticket_code"], "station": "door-2", "nonce": "n1", "late": True, "saved_at": saved_at})
        assert answer.status_code == 201
        warning = page.locator("#feed > li[data-kind=problem]")
        expect(warning.locator(".feed-text")).to_have_text("Venue over capacity: 2 in, capacity 1")
        expect(page.locator("#feed > li[data-kind=checked_in]").filter(has_text=saved["name"])).to_have_count(1)
        watch.assert_clean()
