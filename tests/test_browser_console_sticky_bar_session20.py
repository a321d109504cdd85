"""On a phone the console's top bar stays at the top as the page scrolls: what the page scrolls to
for the volunteer (the search box a tapped name fills, the field a form sends them back to, a
section link's panel) must land below it, not behind it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def below_the_bar(page: Page, selector: str) -> None:
    """`selector` is whole on screen and clear of the sticky bar (waits for smooth scrolling to end)."""
    geometry = """(sel) => {
        const bar = document.querySelector('.topbar').getBoundingClientRect();
        const r = document.querySelector(sel).getBoundingClientRect();
        return r.top >= bar.bottom - 0.5 && r.bottom <= innerHeight + 0.5 ? null : [bar.bottom, r.top, r.bottom];
    }"""
    settled, last = 0, None
    for _ in range(100):  # smooth scrolling passes by the right place: judge where it comes to rest
        now = page.evaluate("scrollY")
        settled = settled + 1 if now == last else 0
        last = now
        if settled >= 3:
            break
        page.wait_for_timeout(100)
    where = page.evaluate(geometry, selector)
    assert where is None, f"{selector} is behind the top bar or off screen: bar bottom, its top, bottom = {where}"


def test_a_name_tapped_in_the_feed_shows_its_search_below_the_bar(server, chromium):
    person = server.people()[3]
    server.scan(person["ticket_code"])
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        name = page.locator("#feed .feed-name").filter(has_text=person["name"])
        expect(name).to_be_visible()
        page.locator("#printers-panel").scroll_into_view_if_needed()  # further down the evening's page
        name.click()
        expect(page.locator("#search")).to_have_value(person["name"])
        below_the_bar(page, "#search")
        watch.assert_clean()


def test_a_walk_in_sent_without_a_name_brings_the_name_field_into_view_below_the_bar(server, chromium):
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.locator("#walkin-email").fill("no.name@example.org")
        page.locator("#walkin-guests").scroll_into_view_if_needed()
        page.mouse.wheel(0, 250)  # the buttons near the top of the screen, the Name field above it
        page.get_by_role("button", name="Check in and print").click()
        expect(page.locator("#walkin-name")).to_be_focused()
        below_the_bar(page, "#walkin-name")
        watch.assert_clean()


def test_each_section_link_shows_its_heading_below_the_bar(server, chromium):
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        for link, heading in [("Walk-in", "#walkin-title"), ("Printers", "#printers-title"), ("Search", "#search-title")]:
            page.locator(".jump").get_by_role("link", name=link).click()
            below_the_bar(page, heading)
        watch.assert_clean()
