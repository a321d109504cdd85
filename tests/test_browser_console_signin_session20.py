"""A volunteer's sign-in ends mid-evening with a walk-in half typed on their phone: the console says
so with the way back in, and after signing in again the walk-in is still there to send."""

from __future__ import annotations

import contextlib
import re
from typing import Any, Iterator

from playwright.sync_api import expect

from browser import PINS, chromium, new_context, pin_login, pw, watch_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WALK_IN = {"#walkin-name": "Zoë Walkington", "#walkin-email": "zoe.w@example.org", "#walkin-company": "Acme", "#walkin-guests": "2"}


@contextlib.contextmanager
def phone_console(server: Any, chromium: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(context, page, console watcher) of a phone signed in as a volunteer, its console Live."""
    context = new_context(chromium, server, **PHONE)
    try:
        page = context.new_page()
        watch = watch_page(page)
        pin_login(page, "volunteer")
        expect(page.locator("#connection")).to_have_text("Live")
        yield context, page, watch
    finally:
        context.close()


def test_a_walk_in_typed_when_the_sign_in_ended_is_kept_through_signing_in_again(server, chromium):
    with phone_console(server, chromium) as (context, page, watch):
        page.locator("#search").fill("zoe")
        expect(page.locator("#search-status")).to_contain_text("match")
        for field, value in WALK_IN.items():
            page.locator(field).fill(value)
        context.clear_cookies()  # the browser let the session's cookie go (its 16 hours are up)

        page.get_by_role("button", name="Check in and print").click()
        status = page.locator("#walkin-status")
        expect(status).to_contain_text("Your sign-in has ended, so nothing was registered")
        expect(page.locator("#connection")).to_have_text("Signed out: Sign in")  # not "Live" over a dead sign-in
        for field, value in WALK_IN.items():
            expect(page.locator(field)).to_have_value(value)
        assert not [p for p in server.people() if p["name"] == "Zoë Walkington"]

        status.get_by_role("link", name="Sign in again").click()
        page.wait_for_url(re.compile(r"/login\?next=/volunteer$"))
        page.get_by_label("PIN").fill(PINS["volunteer"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/volunteer$"))
        for field, value in WALK_IN.items():  # what was typed is there again
            expect(page.locator(field)).to_have_value(value)
        expect(page.locator("#search")).to_have_value("zoe")
        expect(page.locator("#results > li")).to_have_count(2)  # Zoë Ionescu and Zoë Taylor of the demo

        page.get_by_role("button", name="Check in and print").click()
        expect(status).to_have_text("Zoë Walkington and 2 guests are registered and checked in. Badges printing.")
        expect(page.locator("#walkin-name")).to_have_value("")
        page.reload()  # sent: the draft is gone, the next walk-in starts empty
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#walkin-name")).to_have_value("")
        assert [p["guests"] for p in server.people() if p["name"] == "Zoë Walkington"] == [2]
        watch.assert_clean()


def test_a_card_action_after_the_sign_in_ended_says_so_and_works_once_signed_in_elsewhere(server, chromium):
    """Signed in again in another tab: the open console's next press goes through, and it is Live again."""
    person = server.people()[12]
    with phone_console(server, chromium) as (context, page, watch):
        page.locator("#search").fill(person["email"])
        card = page.locator(f'#results > li[data-id="{person["id"]}"]')
        expect(card).to_have_attribute("data-status", "expected")
        context.clear_cookies()
        card.get_by_role("button", name="Check in").click()
        expect(card.locator(".person-msg")).to_have_text("Your sign-in has ended: sign in again, then try once more.")
        expect(page.locator("#connection")).to_have_text("Signed out: Sign in")

        pin_login(context.new_page(), "volunteer")  # another tab of the same phone
        card.get_by_role("button", name="Check in").click()
        expect(card).to_have_attribute("data-status", "checked-in")
        expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)  # its socket came back signed in
        watch.assert_clean()


def test_logging_out_leaves_no_typed_walk_in_for_the_next_person(server, chromium):
    with phone_console(server, chromium) as (context, page, watch):
        page.locator("#walkin-name").fill("Somebody Private")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/login$"))
        pin_login(page, "volunteer")
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#walkin-name")).to_have_value("")


def test_a_search_filled_from_the_feed_is_there_again_after_signing_in(server, chromium):
    """A name tapped in the live feed fills the search as if typed: it too survives the login page."""
    person = server.people()[7]
    server.scan(person["ticket_code"])
    with phone_console(server, chromium) as (context, page, watch):
        page.locator("#feed .feed-name").filter(has_text=person["name"]).click()
        card = page.locator(f'#results > li[data-id="{person["id"]}"]')
        expect(card).to_be_visible()
        context.clear_cookies()
        card.get_by_role("button", name="Reprint").click()
        expect(card.locator(".person-msg")).to_have_text("Your sign-in has ended: sign in again, then try once more.")
        page.locator("#connection").get_by_role("link", name="Sign in").click()
        page.get_by_label("PIN").fill(PINS["volunteer"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/volunteer$"))
        expect(page.locator("#search")).to_have_value(person["name"])
        expect(card).to_be_visible()
        watch.assert_clean()
