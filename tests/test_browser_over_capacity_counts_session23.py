"""Every screen that shows places says so plainly when the room holds more than its capacity.

A kiosk's saved scan is checked in past a full venue (its person was told to go in), so the
headcount can exceed the capacity. The door display used to say "Full: 3 of 2 places" with
"0" places left, and the console's card "0 places left of 2".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from browser import chromium, new_context, pw, signed_in_page, watch_page  # noqa: F401  (fixtures)
from kiosk import clock


def fill_past_capacity(server: Any, people: list[dict[str, Any]], capacity: int) -> dict[str, Any]:
    """`capacity` fresh scans, then one saved scan that is checked in past it; returns its person."""
    for person in people[:capacity]:
        assert server.scan(person["ticket_code"]).status_code == 201
    saved = people[capacity]
    saved_at = (clock.now() - timedelta(minutes=2)).isoformat()
    answer = server.post("/api/checkins", "kiosk", json={
        "code": saved["ticket_code"], "station": "door-2", "nonce": "late-1", "late": True, "saved_at": saved_at})
    assert answer.status_code == 201 and answer.json().get("over_capacity") is True
    return saved


def test_the_door_display_says_the_venue_is_over_capacity_and_back_under(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=2)
    people = server.people()
    context = new_context(chromium, server)  # no sign-in: the display is public
    page = context.new_page()
    watch = watch_page(page)
    page.goto("/display")
    expect(page.locator("#connection")).to_have_text("Live")
    fill_past_capacity(server, people, 2)
    expect(page.locator("#checked-in")).to_have_text("3")
    expect(page.locator("#capacity-text")).to_have_text("Over capacity: 3 in, 2 places")
    expect(page.locator("#remaining-label")).to_have_text("Over capacity")
    expect(page.locator("#remaining")).to_have_text("1")
    expect(page.locator("#door")).to_have_attribute("data-level", "over")
    assert page.locator("#bar").get_attribute("aria-valuenow") == "100"  # a meter's value stays within its 0-100
    fill = page.locator("#bar-fill").evaluate("el => getComputedStyle(el).getPropertyValue('--fill').trim()")
    assert fill == "1"

    # The HTML as served (before the socket) says the same.
    served = server.get("/display", role=None).text
    assert '<dt id="remaining-label">Over capacity</dt><dd id="remaining">1</dd>' in served

    # An undo brings the room back to exactly full: "Full", no place left.
    first = server.people()[0]
    assert server.delete(f"/api/checkins/{first['id']}", "volunteer").status_code == 200
    expect(page.locator("#checked-in")).to_have_text("2")
    expect(page.locator("#capacity-text")).to_have_text("Full: 2 of 2 places")
    expect(page.locator("#remaining-label")).to_have_text("Places left")
    expect(page.locator("#remaining")).to_have_text("0")
    expect(page.locator("#door")).to_have_attribute("data-level", "full")
    watch.assert_clean()
    context.close()


def test_the_console_card_says_how_many_over_capacity(make_server: Any, chromium: Any) -> None:
    server = make_server(capacity=2)
    people = server.people()
    with signed_in_page(chromium, server, "volunteer") as (page, watch):
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#count-remaining-label")).to_have_text("places left of 2")
        fill_past_capacity(server, people, 2)
        expect(page.locator("#count-inside")).to_have_text("3")
        expect(page.locator("#count-remaining")).to_have_text("1")
        expect(page.locator("#count-remaining-label")).to_have_text("over capacity of 2")
        expect(page.locator("#count-capacity-card")).to_have_attribute("data-tone", "bad")
        assert server.delete(f"/api/checkins/{people[0]['id']}", "volunteer").status_code == 200
        expect(page.locator("#count-remaining")).to_have_text("0")
        expect(page.locator("#count-remaining-label")).to_have_text("places left of 2")
        expect(page.locator("#count-capacity-card")).to_have_attribute("data-tone", "warn")
        watch.assert_clean()
