"""More guests for someone already in, with places left but not enough: the console says how many.

The refusal carried only its kiosk sentence, so the volunteer's card said "The venue is full."
with 2 places still left for a host who came with 3 more guests than they were counted with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw  # noqa: F401  (fixtures)
from test_browser_volunteer import console, search
from test_guests_session11 import meetup
from test_imports import upload_text


def test_the_refusal_says_the_places_left_and_the_guests_asked(make_server: Any, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=5)
    upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 0), ("Bob Byte", "Yes", 0), ("Cy Coder", "Yes", 0)))
    for person in server.people():
        assert server.scan(person["ticket_code"]).status_code == 201
    ada = server.people()[0]
    refused = server.post(f"/api/attendees/{ada['id']}/checkin", "volunteer", json={"guests": 3, "correction": True})
    assert refused.status_code == 409
    assert {k: refused.json()[k] for k in ("result", "remaining", "more")} == {
        "result": "capacity_reached", "remaining": 2, "more": 3}


def test_the_console_card_says_the_places_left_not_full(make_server: Any, chromium: Any, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=5)
    upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 0), ("Bob Byte", "Yes", 0), ("Cy Coder", "Yes", 0)))
    for person in server.people():
        assert server.scan(person["ticket_code"]).status_code == 201
    context, page, watch = console(chromium, server)
    card = search(page, "ada").first
    card.get_by_role("button", name="+ Guests").click()
    party = card.get_by_label("Guests with Ada Lovelace")
    party.fill("3")
    party.dispatch_event("change")
    expect(card).to_contain_text("3 more guests and only 2 places left.")
    expect(card).not_to_contain_text("The venue is full")
    expect(page.locator("#count-inside")).to_have_text("3")
    watch.assert_clean()
    context.close()
