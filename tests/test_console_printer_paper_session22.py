"""The printers panel on a volunteer's phone when the badge printer runs out of paper.

A network printer that answers its status query with "paper out" is reachable: the panel called it
"Offline" (red), beside "Paper: out", and the volunteer went to check its cable and power switch.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)
from fake_printer import FakePrinter

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_printer_out_of_paper_says_so_and_not_offline(make_server: Any, chromium: Any) -> None:
    with FakePrinter() as printer:
        server = make_server(printer=printer.config(timeout=1.0))
        with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
            state = page.locator("#printers .printer-state .tag").first
            expect(state).to_have_text("Online")
            printer.paper = "out"
            person = server.people()[0]
            assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer", json={}).status_code == 201
            expect(page.locator("#printers")).to_contain_text("the paper has run out", timeout=20_000)
            expect(state).to_have_text("Out of paper")
            expect(state).to_have_attribute("data-tone", "bad")
            printer.paper = "ok"  # a new roll: the waiting badge prints
            expect(state).to_have_text("Online", timeout=20_000)
            printer.refuse()  # and then switched off: that is offline
            other = server.people()[1]
            assert server.post(f"/api/attendees/{other['id']}/checkin", "volunteer", json={}).status_code == 201
            expect(state).to_have_text("Offline", timeout=20_000)
            watch.assert_clean()
