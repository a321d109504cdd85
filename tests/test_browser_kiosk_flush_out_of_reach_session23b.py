"""A fresh scan is saved at once when the saved scans sent before it find the server out of reach.

Since saved scans go before a fresh one, on lossy Wi-Fi where requests hang instead of failing a
fresh scan waited up to 2 s for them, then up to 4 s for its own answer: six seconds of
"Checking…" before "Scan saved", with the queue waiting. When a request of those saved scans
gets no answer (it failed, or timed out), the person in front is now told "Scan saved" then,
as when offline, without waiting for anything more."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from playwright.sync_api import Page, expect

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from test_browser_kiosk_saved_first_session23 import ServerOutOfReach

SAVED_SCREEN_WAIT = 10_000  # ms: generous (a busy machine); the point is what happened first, not when


class LossyWifi:
    """Saved scans' requests fail at once (`saved="fail"`) or hang (`saved="hang"`); fresh
    scans' requests hang. Keeps the hanging routes (answered never) and the fresh requests the
    page gave up on."""

    def __init__(self, page: Page, saved: str) -> None:
        self.saved, self.fresh, self.hanging, self.fresh_given_up = saved, [], [], []
        page.unroute("**/api/checkins")
        page.route("**/api/checkins", self._route)
        page.on("requestfailed", self._failed)

    def _route(self, route: Any) -> None:
        late = route.request.post_data_json.get("late")
        if late and self.saved == "fail":
            return route.abort("internetdisconnected")
        if not late:
            self.fresh.append(route.request)
        self.hanging.append(route)

    def _failed(self, request: Any) -> None:
        if "/api/checkins" in request.url and not (request.post_data_json or {}).get("late"):
            self.fresh_given_up.append(request)


def save_one_scan(page: Page, code: str) -> None:
    ServerOutOfReach(page)
    scanner_type(page, code)
    expect(page.locator("#pending")).to_have_text("1 scan waiting for the network")


@contextmanager
def fresh_scan_behind_a_saved_one(chromium: Any, server: Any, first: int, saved_requests: str) -> Iterator[tuple]:
    """A kiosk with one scan saved, whose fresh scan goes on Wi-Fi where the saved scans' requests
    fail or hang (`saved_requests`): yields once the fresh scan waits with the saved one."""
    saved, fresh = server.people()[first:first + 2]
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        save_one_scan(page, saved["ticket_code"])
        wifi = LossyWifi(page, saved=saved_requests)
        scanner_type(page, fresh["ticket_code"])
        expect(page.locator("#pending")).to_have_text("2 scans waiting for the network", timeout=SAVED_SCREEN_WAIT)
        yield page, watch, wifi


def test_a_saved_scan_failing_first_saves_the_fresh_scan_unsent(server: Any, chromium: Any) -> None:
    with fresh_scan_behind_a_saved_one(chromium, server, 20, "fail") as (page, watch, wifi):
        assert wifi.fresh == []  # not sent to hang for its 4 s: the network just showed it was down
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        watch.assert_clean()


def test_a_saved_scan_timing_out_first_saves_the_fresh_scan_then(server: Any, chromium: Any) -> None:
    with fresh_scan_behind_a_saved_one(chromium, server, 22, "hang") as (page, watch, wifi):
        assert len(wifi.fresh) == 1  # it went (the saved scan was only slow then)...
        assert wifi.fresh_given_up == []  # ...and was not waited for to the end of its own time
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "saved")
        watch.assert_clean()
