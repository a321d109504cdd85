"""The door display on screens that are wide but short: a 720p TV, a laptop, a phone on its side.

The big number was sized by the window (30% of its height), not by the room the other rows left,
and on such screens it covered "of 239 expected" and the date, and the bar ran through the text.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from browser import chromium, new_context, pw, watch_page  # noqa: F401

# Every piece of text and the bar, top to bottom: none may cover another or leave the window.
PARTS = [".door-event", ".door-date", ".count-label", "#checked-in", ".count-of", "#bar",
         "#capacity-text", ".door-stats", "#connection"]

OVERLAPS = """(selectors) => {
  const boxes = selectors.map((s) => [s, document.querySelector(s).getBoundingClientRect()]);
  const found = [];
  boxes.forEach(([s, r]) => { if (r.top < -0.5 || r.bottom > innerHeight + 0.5) found.push(`${s} leaves the window`); });
  boxes.forEach(([s, a], i) => boxes.slice(i + 1).forEach(([t, b]) => {
    if (a.left < b.right && b.left < a.right && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) found.push(`${s} covers ${t}`);
  }));
  return found;
}"""


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (844, 390), (667, 375), (390, 844)])
def test_nothing_on_the_door_display_covers_anything_else(server: Any, chromium: Any, size: tuple[int, int]) -> None:
    for person in server.people()[:3]:
        assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer", json={}).status_code == 201
    width, height = size
    context = new_context(chromium, server, viewport={"width": width, "height": height})
    page = context.new_page()
    watch = watch_page(page)
    page.goto("/display")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#checked-in")).to_have_text("3")
    assert page.evaluate(OVERLAPS, PARTS) == []
    number, under = page.locator("#checked-in").bounding_box(), page.locator(".count-of").bounding_box()
    assert number and under and number["height"] >= 2 * under["height"], "the count is still the biggest thing there"
    watch.assert_clean()
    context.close()
