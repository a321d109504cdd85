"""What people at the door meet in the browser, found in a black-box review (session 20):
a console opened mid-evening, a scanner's first key arriving late."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, new_context, pin_login, pw, watch_page  # noqa: F401


def console(browser: Any, server: Any, **context_kwargs: Any) -> tuple[Any, Page, Any]:
    context = new_context(browser, server, **context_kwargs)
    page = context.new_page()
    watch = watch_page(page)
    pin_login(page, "volunteer")
    expect(page.locator("#connection")).to_have_text("Live")
    return context, page, watch


def test_a_console_opened_or_reloaded_mid_evening_lists_the_arrivals_so_far(server, chromium):
    """A volunteer's phone opened at 19:00 (or reloaded: phones discard background tabs) showed
    an empty "Live at the door" with 3 people inside: the feed only listed what came after."""
    arrived = server.people()[:3]
    for person in arrived:
        assert server.scan(person["ticket_code"]).status_code == 201
    context, page, watch = console(chromium, server, viewport={"width": 390, "height": 844})
    try:
        for _ in range(2):  # opened, then reloaded
            for person in arrived:
                expect(page.locator(f'#feed > li[data-attendee-id="{person["id"]}"]')).to_have_count(1)
                expect(page.locator("#feed")).to_contain_text(person["name"])
            expect(page.locator("#feed > li").first).to_contain_text(arrived[-1]["name"])  # newest first
            page.reload()
            expect(page.locator("#connection")).to_have_text("Live")
        later = server.people()[3]
        assert server.scan(later["ticket_code"]).status_code == 201
        expect(page.locator("#feed > li").first).to_contain_text(later["name"])
        expect(page.locator("#feed > li")).to_have_count(4)
        watch.assert_clean()
    finally:
        context.close()

