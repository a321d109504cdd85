"""Saved scans behind one the server asks to send later (429: too many unrecognised codes at this
door lately) still go. The kiosk stopped its whole round at the 429, as if the server were out
of reach: a genuine ticket saved after it waited out the guessing limit (a minute), while fresh
scans went ahead of it and could take the last places of a full venue."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_late_refusals_session20 import FORGED
from test_browser_kiosk_saved_first_session23 import ServerOutOfReach


def test_a_saved_ticket_behind_a_too_many_attempts_is_sent(make_server: Any, chromium: Any) -> None:
    server = make_server(max_failed_scans=2)
    person = server.people()[5]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        out = ServerOutOfReach(page)
        for saved, code in enumerate([*FORGED[:3], person["ticket_code"]], start=1):
            scanner_type(page, code)
            expect(page.locator("#pending")).to_have_text(f"{saved} scan{'s' if saved > 1 else ''} waiting for the network")
        out.down = False
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {person['first_name']} is checked in.")
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")  # the 429'd one, for later
        assert server.get(f"/api/attendees/{person['id']}").json()["attendee"]["checked_in_at"]
        watch.assert_clean()
