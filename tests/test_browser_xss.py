"""Names from imports are hostile: they must show as text on the kiosk and the console, never run."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser import chromium, pw, refresh_counts, scanner_type, signed_in_page, watch_page, new_context, pin_login  # noqa: F401
from kiosk import attendees

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_COMPANY = "<script>alert(2)</script>"


def add_hostile(server: Any) -> dict[str, Any]:
    door = server.state.door
    with server.state.store.write() as db:
        attendee_id = attendees.insert(db, door.event, door.master, {
            "name": HOSTILE, "first_name": HOSTILE, "last_name": "", "email": "xss@example.org",
            "company": HOSTILE_COMPANY, "external_id": "xss:1", "source": "csv", "role": "attendee", "attending": 1})
        row = dict(attendees.get(db, door.event, attendee_id))
    refresh_counts(server)
    return row


def assert_inert(page: Page) -> None:
    """Nothing of the hostile markup became elements."""
    assert page.locator("img[src='x'], [onerror]").count() == 0
    assert page.evaluate("[...document.scripts].every(s => s.src && !s.textContent.includes('alert'))")


def test_hostile_name_is_text_on_the_kiosk_greeting(server, chromium):
    person = add_hostile(server)
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text(f"Welcome, {HOSTILE}!")
        assert_inert(page)
        watch.assert_clean()  # no dialog opened, no CSP violation, no page error


def test_hostile_name_is_text_in_search_and_live_feed(server, chromium):
    person = add_hostile(server)
    context = new_context(chromium, server)
    page = context.new_page()
    watch = watch_page(page)
    pin_login(page, "volunteer")
    expect(page.locator("#connection")).to_have_text("Live")

    page.locator("#search").fill("onerror")
    card = page.locator(f'#results > li[data-id="{person["id"]}"]')
    expect(card.locator(".person-name")).to_have_text(HOSTILE)
    expect(card.locator(".person-details")).to_contain_text(HOSTILE_COMPANY)

    assert server.scan(person["ticket_code"]).status_code == 201  # arrives at another kiosk
    expect(page.locator("#feed .feed-name").first).to_have_text(HOSTILE)
    expect(page.locator("#feed .feed-company").first).to_have_text(HOSTILE_COMPANY)
    expect(card).to_have_attribute("data-status", "checked-in")  # the live change redrew the card

    # A walk-in typed with markup in the name is text too (feed and form status).
    form = page.locator("#walkin-form")
    form.get_by_label("Name").fill("<b onmouseover=alert(3)>Walk</b>")
    form.get_by_role("button", name="Check in and print").click()
    expect(page.locator("#walkin-status")).to_contain_text("<b onmouseover=alert(3)>Walk</b> is registered")
    expect(page.locator("#feed .feed-name").first).to_have_text("<b onmouseover=alert(3)>Walk</b>")

    card.get_by_role("button", name="Undo").click()
    expect(page.locator("#confirm-text")).to_contain_text(HOSTILE)
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()

    assert_inert(page)
    assert page.locator("b[onmouseover]").count() == 0
    watch.assert_clean()
    context.close()
