"""A name typed as a printed list or a badge sheet shows it: "Brown, Aisha".

Search split what was typed on spaces only, so "brown," had to appear in the name: a volunteer
reading the name off a "Last, First" list saw "No one matches" for someone on tonight's list.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True}


def test_last_name_comma_first_name_finds_them(server: Any, chromium: Any) -> None:
    person = next(p for p in server.people() if p["last_name"] and p["first_name"].isalpha())
    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.locator("#search").fill(f"{person['last_name']}, {person['first_name']}")
        expect(page.locator(f"#results li[data-id='{person['id']}']")).to_be_visible()
        page.locator("#search").fill(f"{person['last_name']},{person['first_name']}")  # no space after the comma
        expect(page.locator(f"#results li[data-id='{person['id']}']")).to_be_visible()
        watch.assert_clean()
