"""A kiosk that cannot reach the server, at a venue whose last headcount had no place left, no
longer tells the person "Please go in": it saves the scan and sends them to a volunteer.

It used to say "Saved — ... Please go in" whatever the room: every such person went in, and their
saved scans, sent later, took the venue further past its capacity (they are checked in past it:
they are inside)."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from browser import chromium, poll, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)

SAVED_MESSAGE = "Saved — we'll confirm as soon as the network is back."
SAVED_SUB = "Please go in; a volunteer may check your ticket."
SAVED_FULL_SUB = "The venue may be full: please see a volunteer."


def _heard_counts(page: Any) -> list[dict]:
    """The headcounts the page's /ws/headcount socket receives, as they come."""
    heard: list[dict] = []

    def on_socket(ws: Any) -> None:
        if "/ws/headcount" in ws.url:
            ws.on("framereceived", lambda payload: heard.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return heard


def test_offline_at_a_full_venue_the_kiosk_says_see_a_volunteer(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=2)
    first, second, third = server.people()[:3]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        heard = _heard_counts(page)
        page.reload()
        page.wait_for_function("window.kioskMetrics !== undefined")
        for person in (first, second):
            assert server.scan(person["ticket_code"], station="door-2").status_code == 201
        poll(page, lambda: any(c.get("remaining") == 0 for c in heard), "the kiosk to hear the venue is full")
        page.context.set_offline(True)
        scanner_type(page, third["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("Scan saved")
        expect(page.locator("#result-message")).to_have_text(SAVED_MESSAGE)
        expect(page.locator("#result-sub")).to_have_text(SAVED_FULL_SUB)
        expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")
        page.context.set_offline(False)  # still saved and sent: if they went in anyway, they are counted
        expect(page.locator("#pending")).to_be_hidden(timeout=20_000)
        assert server.get("/api/headcount", None).json()["checked_in"] == 3
        watch.assert_clean()


def test_offline_with_places_left_the_kiosk_still_says_go_in(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=3)
    first, second = server.people()[:2]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scanner_type(page, first["ticket_code"])
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "checked_in")
        page.context.set_offline(True)
        scanner_type(page, second["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("Scan saved")
        expect(page.locator("#result-sub")).to_have_text(SAVED_SUB)
        watch.assert_clean()
