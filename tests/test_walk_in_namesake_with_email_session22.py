"""A walk-in typed with a name and an email, who is already on the list under another email.

People without their ticket often give their own email, not the one they registered with. With an
email typed, the console looked for it alone: someone on the list by name was registered a second
time ("… is registered, not checked in.") with no word that they were already there.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def walk_ins(server: Any) -> list[str]:
    return [p["name"] for p in server.people() if p["is_walk_in"]]


def test_someone_on_the_list_by_name_is_shown_first_though_another_email_was_typed(server: Any, chromium: Any) -> None:
    listed = next(p for p in server.people() if not p["name"].isascii())  # accents, as typed on a phone
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.locator("#walkin-name").fill(listed["name"])
        page.locator("#walkin-email").fill("their.own@gmail.com")
        page.get_by_role("button", name="Register only").click()
        status = page.locator("#walkin-status")
        expect(status).to_contain_text(f"{listed['name']} is already on the list")
        expect(page.locator("#search")).to_have_value(listed["name"])  # where their card is
        expect(page.locator(f"#results li[data-id='{listed['id']}']")).to_be_visible()
        assert walk_ins(server) == []
        page.get_by_role("button", name="Register only").click()  # pressed again: somebody else
        expect(status).to_have_text(f"{listed['name']} is registered, not checked in.")
        assert walk_ins(server) == [listed["name"]]
        watch.assert_clean()


def test_the_email_on_the_list_still_comes_first(server: Any, chromium: Any) -> None:
    first, second = server.people()[:2]
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.locator("#walkin-name").fill(second["name"])
        page.locator("#walkin-email").fill(first["email"].upper())
        page.get_by_role("button", name="Check in and print").click()
        expect(page.locator("#walkin-status")).to_contain_text(f"{first['name']} is already on the list")
        expect(page.locator("#search")).to_have_value(first["email"].upper())
        assert walk_ins(server) == []
        watch.assert_clean()
