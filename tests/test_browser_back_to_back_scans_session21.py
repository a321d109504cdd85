"""Two people scan at one kiosk moments apart (two scanners feeding it, a queue in a hurry): each
must see their own answer. The second answer used to replace the first within a few hundred ms,
and an answer that came back after a later one was never shown at all.

The page's clock is Playwright's fake one, stopped: answers come over the real network, and the
page's timers move only when the test moves them, so nothing here depends on the machine's speed.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from browser import chromium, new_context, pair, poll, pw, scanner_type, watch_page  # noqa: F401  (fixtures)

READ_AT_LEAST_MS = 1500  # web/static/js/kiosk.js


@pytest.fixture
def kiosk(server: Any, chromium: Any) -> Iterator[Page]:
    """The kiosk page signed in, its clock stopped once it is listening for scans."""
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    page.clock.install()
    pair(page, server, "kiosk")
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    yield page
    watch.assert_clean()
    context.close()


def answers_handled(page: Page, count: int) -> None:
    """Wait until the page has had `count` answers back (recorded once each answer is handled)."""
    poll(page, lambda: page.evaluate("window.kioskMetrics.length") >= count, f"{count} answers handled")


def test_the_first_of_two_quick_scans_stays_up_to_be_read(server, kiosk):
    first, second = server.people()[3], server.people()[4]
    scanner_type(kiosk, first["ticket_code"])
    scanner_type(kiosk, second["ticket_code"])
    answers_handled(kiosk, 2)
    title = kiosk.locator("#result-title")
    expect(title).to_have_text(f"Welcome, {first['first_name']}!")
    kiosk.clock.run_for(READ_AT_LEAST_MS - 100)
    expect(title).to_have_text(f"Welcome, {first['first_name']}!")
    kiosk.clock.run_for(200)
    expect(title).to_have_text(f"Welcome, {second['first_name']}!")


def test_an_answer_that_comes_back_after_a_later_one_is_still_shown(server, kiosk):
    first, second = server.people()[5], server.people()[6]
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if first["ticket_code"] in (route.request.post_data or "") and not held:
            held.append(route)  # answered below, once the second scan's answer is on screen
        else:
            route.continue_()

    kiosk.route("**/api/checkins", hold_the_first)
    scanner_type(kiosk, first["ticket_code"])
    poll(kiosk, lambda: held, "the first scan on its way")
    scanner_type(kiosk, second["ticket_code"])
    title = kiosk.locator("#result-title")
    expect(title).to_have_text(f"Welcome, {second['first_name']}!")
    held[0].continue_()
    answers_handled(kiosk, 2)
    kiosk.clock.run_for(READ_AT_LEAST_MS + 100)
    expect(title).to_have_text(f"Welcome, {first['first_name']}!")
    assert server.get(f"/api/attendees/{first['id']}").json()["attendee"]["checked_in_at"]


def test_a_double_read_of_one_ticket_is_answered_once(server, kiosk):
    person = server.people()[7]
    scanner_type(kiosk, person["ticket_code"])
    scanner_type(kiosk, person["ticket_code"])
    answers_handled(kiosk, 1)
    kiosk.clock.run_for(READ_AT_LEAST_MS + 100)
    expect(kiosk.locator("#result-title")).to_have_text(f"Welcome, {person['first_name']}!")
    assert kiosk.evaluate("window.kioskMetrics.length") == 1
