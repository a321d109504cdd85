"""A volunteer's phone on a weak connection: the live feed's echo of their own check-in arrives
before the answer to it. The echo redraws the person's card, and the redrawn card had its buttons
enabled again while the answer was still on its way: an enabled Undo where Check in was, so the
second tap of a volunteer who saw nothing happen opened the undo dialog (the 0.8 s a button
settles only starts with the answer). A card with an action on its way keeps its buttons disabled."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Route, expect

from browser import chromium, poll, pw  # noqa: F401  (fixtures)
from test_browser_evening import card_of, phone


def hold_answers(page: Any, url: str) -> list[tuple[Route, Any]]:
    """POSTs to `url` reach the server at once; their answers wait in the list for the test."""
    held: list[tuple[Route, Any]] = []

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            return route.continue_()
        held.append((route, route.fetch()))

    page.route(url, hold)
    return held


def test_a_card_redrawn_while_its_check_in_is_answered_keeps_its_buttons_disabled(server, chromium):
    arriving = server.people()[141]
    context, page, watch = phone(chromium, server)
    try:
        held = hold_answers(page, f"**/api/attendees/{arriving['id']}/checkin")
        card = card_of(page, arriving)
        card.get_by_role("button", name="Check in").click()
        poll(page, lambda: held, "the check-in sent")
        expect(card).to_have_attribute("data-status", "checked-in")  # the live feed's echo redrew it
        undo = card.get_by_role("button", name="Undo")
        expect(undo).to_be_disabled()
        expect(card.get_by_role("button", name="Reprint")).to_be_disabled()
        box = undo.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the second tap
        route, response = held[0]
        route.fulfill(response=response)
        expect(card.locator(".person-msg")).to_have_text("Checked in. Badge printing.")
        expect(page.locator("#confirm-dialog")).to_be_hidden()
        expect(undo).to_be_enabled()  # once it has settled
        watch.assert_clean()
    finally:
        context.close()
