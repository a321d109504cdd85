"""The Wi-Fi at the door drops while a queue scans, and comes back: the saved scans go one after
another, and each confirmation's note replaced the one before within a few ms. After an outage of
five scans the kiosk showed "Confirmed: <the last one> is checked in." and nothing of the others.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)


def scan_offline(page: Any, codes: list[str]) -> None:
    """Each code scanned while the network is down: the kiosk says it saved it."""
    for count, code in enumerate(codes, start=1):
        scanner_type(page, code)
        expect(page.locator("#pending")).to_have_text(f"{count} scan{'s' if count > 1 else ''} waiting for the network")


def scan_during_outage(page: Any, codes: list[str]) -> None:
    """The kiosk's network drops, the codes are scanned (each saved), and the network comes back."""
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    scan_offline(page, codes)
    page.context.set_offline(False)


def test_the_confirmations_of_an_outage_are_all_in_the_note(server: Any, chromium: Any) -> None:
    people = server.people()[10:15]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scan_during_outage(page, [p["ticket_code"] for p in people])
        expect(page.locator("#pending")).to_be_hidden()
        first = [p["first_name"] for p in people[:3]]
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {', '.join(first[:2])}, {first[2]} and 2 others are checked in.")
        assert all(server.get(f"/api/attendees/{p['id']}").json()["attendee"]["checked_in_at"] for p in people)
        watch.assert_clean()


def test_two_confirmations_name_both(server: Any, chromium: Any) -> None:
    first, second = server.people()[16:18]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scan_during_outage(page, [first["ticket_code"], second["ticket_code"]])
        expect(page.locator("#toast")).to_have_text(f"Confirmed: {first['first_name']} and {second['first_name']} are checked in.")
        watch.assert_clean()
