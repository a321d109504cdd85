"""A walk-in typed on a phone without the name's special letters is still recognised as someone
already on the list, as the console's search finds them: no second record for Łukasz or Müller."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)


@pytest.mark.parametrize("listed,typed", [
    ("Łukasz Wróbel", "Lukasz Wrobel"),
    ("Søren Ødegaard", "soren odegaard"),
    ("Jürgen Müller", "Juergen Mueller"),
    ("Ægir Strauß", "Aegir Strauss"),
])
def test_a_walk_in_typed_without_special_letters_finds_them_on_the_list(server, chromium, listed, typed):
    stored = server.post("/api/attendees", "volunteer", json={"name": listed, "check_in": False}).json()["attendee"]
    with signed_in_page(chromium, server, "volunteer", viewport={"width": 390, "height": 844}) as (page, watch):
        form = page.locator("#walkin-form")
        form.get_by_label("Name").fill(typed)
        form.get_by_role("button", name="Register only").click()
        expect(page.locator("#walkin-status")).to_contain_text(f"{listed} is already on the list")
        expect(page.locator(f'#results > li[data-id="{stored["id"]}"]')).to_be_visible()
        assert [p["name"] for p in server.people() if p["is_walk_in"]] == [listed]  # nobody registered twice
        watch.assert_clean()
