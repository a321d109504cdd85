"""Names with an apostrophe, searched from a phone.

An iPhone's keyboard types O’Neill (a curly apostrophe, smart punctuation), an Android phone
O'Neill, and attendee lists hold both, as people typed their names when they signed up. Search
found a name only with the very apostrophe it was stored with, and "oneill" (the apostrophe is a
long press away) found nobody: the volunteer saw "No one matches" for someone on the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)
from test_search import search_text_of_an_older_database

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CURLY, STRAIGHT = "Siobhán O\u2019Neill", "Seán O'Brien"


@pytest.fixture
def apostrophes(server: Any) -> Any:
    for name in (CURLY, STRAIGHT):
        assert server.post("/api/attendees", "volunteer", json={"name": name, "check_in": False}).status_code == 201
    return server


@pytest.mark.parametrize("typed,found", [
    ("o'neill", CURLY), ("o\u2019neill", CURLY), ("oneill", CURLY), ("siobhan oneill", CURLY),
    ("o\u2019brien", STRAIGHT), ("obrien", STRAIGHT), ("o'brien", STRAIGHT),
])
def test_the_console_finds_a_name_however_its_apostrophe_is_typed(apostrophes: Any, chromium: Any, typed: str,
                                                                   found: str) -> None:
    with signed_in_page(chromium, apostrophes, "volunteer", **PHONE) as (page, watch):
        page.locator("#search").fill(typed)
        expect(page.locator("#results .person-name")).to_have_text([found])
        watch.assert_clean()


def test_a_walk_in_typed_with_the_other_apostrophe_is_shown_on_the_list_first(apostrophes: Any, chromium: Any) -> None:
    with signed_in_page(chromium, apostrophes, "volunteer", **PHONE) as (page, watch):
        page.locator("#walkin-name").fill("Siobhan O'Neill")
        page.get_by_role("button", name="Check in and print").click()
        expect(page.locator("#walkin-status")).to_contain_text(f"{CURLY} is already on the list")
        watch.assert_clean()
    assert [p["name"] for p in apostrophes.people() if p["is_walk_in"]] == [CURLY, STRAIGHT]  # nobody new


def test_a_database_of_the_previous_version_is_searched_without_apostrophes_too(tmp_path: Path) -> None:
    words = search_text_of_an_older_database(tmp_path, CURLY, "siobhan o\u2019neill", 2)
    assert {"o'neill", "oneill"} <= set(words)
