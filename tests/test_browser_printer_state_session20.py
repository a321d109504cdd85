"""The printers' state on the volunteers' phones: a printer that changes while the console is
fetching the list shows its new state, not the list's older one."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from browser import chromium, poll, pw, signed_in_page  # noqa: F401  (fixtures)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_printer_going_offline_while_the_list_is_fetched_stays_offline(server, chromium):
    shown = server.get("/api/printers", "volunteer").json()["printers"][0]
    assert shown["online"] is True
    held: list[Any] = []

    def hold_first_list(route: Any) -> None:
        """The page's first GET /api/printers reaches the server now; its answer is held back."""
        if held:
            return route.continue_()
        held.append((route, route.fetch().json()))
        return None

    with signed_in_page(chromium, server, "volunteer", **PHONE) as (page, watch):
        page.route("**/api/printers", hold_first_list)
        page.reload()  # the console's first fetch of the list goes through the route above
        expect(page.locator("#connection")).to_have_text("Live")
        poll(page, lambda: held, "the console to ask for the printers")
        route, answer = held[0]
        # The printer drops off the network: its "printer" message overtakes the list's answer.
        server.state.door.feed.publish("printer", {"name": shown["name"], "online": False,
                                                   "last_error": "The printer does not answer."})
        state = page.locator("#printers .printer-state .tag").first
        expect(state).to_have_text("Offline")
        answer["printers"].append({**answer["printers"][0], "name": "spare"})  # to see the answer land
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))
        expect(page.locator("#printers .printer-name strong")).to_have_text(["default", "spare"])
        expect(state).to_have_text("Offline")
        expect(page.locator("#printers")).to_contain_text("The printer does not answer.")
        watch.assert_clean()
