"""Walk-in names with emoji, as a phone's keyboard offers them.

No badge font draws an emoji, so the badge leaves it out: a walk-in named "🎉🎉" was registered
and printed a badge with no name on it, "🎉 Zoë Walker" printed a blank big line with the name
small under it, and "Zoë 🚀 Walker" printed "Zoë  Walker" with the gap.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401
from printers import fonts
from printers.badge import BadgeInfo, render_badge

if not fonts.missing_chars("🎉🚀"):
    pytest.skip("this machine has a colour-emoji font: the badge draws emoji", allow_module_level=True)

ZOE = BadgeInfo(name="Zoë Walker", first_name="Zoë", company="Acme", event_name="Meetup", event_date="Thu 26 Nov 2026",
                ticket_code="K1-TEST0000-0000000000000", sponsor_line=None, mark="WALK-IN")


def test_a_walk_in_named_with_emoji_alone_is_refused_on_the_console(server: Any, chromium: Any) -> None:
    with signed_in_page(chromium, server, "volunteer", viewport={"width": 390, "height": 844}, is_mobile=True,
                        has_touch=True) as (page, watch):
        page.locator("#walkin-name").fill("🎉🎉")
        page.get_by_role("button", name="Check in and print").click()
        expect(page.locator("#walkin-status")).to_contain_text("emoji alone do not print on a badge")
        expect(page.locator("#walkin-name")).to_have_value("🎉🎉")  # kept, to be corrected
        watch.assert_clean()
    assert server.get("/api/headcount").json()["walk_ins"] == 0
    assert not [p for p in server.people() if p["is_walk_in"]]


def test_a_name_with_emoji_among_letters_is_registered(server: Any) -> None:
    answer = server.post("/api/attendees", "volunteer", json={"name": "Zoë 🚀 Walker", "check_in": False})
    assert answer.status_code == 201 and answer.json()["attendee"]["name"] == "Zoë 🚀 Walker"  # screens show it


@pytest.mark.parametrize("name,first", [("🎉 Zoë Walker", "🎉"), ("Zoë 🚀 Walker", "Zoë"), ("Zoë Walker 🎉", "Zoë")])
def test_the_badge_prints_the_name_without_its_emoji_or_the_gap_they_leave(name: str, first: str) -> None:
    assert render_badge(replace(ZOE, name=name, first_name=first), 576).tobytes() == render_badge(ZOE, 576).tobytes()
