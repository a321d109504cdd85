"""A volunteer's phone on weak venue Wi-Fi: its live socket drops and comes back again and again.

Each reconnect put "Reconnected: what happened meanwhile is listed above." at the top of the feed,
one per drop with nothing between them, and the feed keeps 200 items: an evening of drops pushed
the arrivals out of it. Reconnects with nothing in between now leave one such line.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from browser import chromium, new_context, pair, pw, watch_page  # noqa: F401  (fixtures)

RECONNECTED = "Reconnected: what happened meanwhile is listed above."


class DroppingSocket:
    """The console's /ws/live relayed to the server; drop() hangs up the page's side, as a Wi-Fi drop does."""

    def __init__(self, context: Any) -> None:
        self.page_side: Any = None
        context.route_web_socket("**/ws/live**", self._route)

    def _route(self, ws: Any) -> None:
        self.page_side = ws
        ws.connect_to_server()

    def drop(self) -> None:
        self.page_side.close(code=1001, reason="Wi-Fi dropped")


def test_reconnects_with_nothing_between_leave_one_line_in_the_feed(server: Any, chromium: Any) -> None:
    first, second = server.people()[:2]
    context = new_context(chromium, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    socket = DroppingSocket(context)
    page = context.new_page()
    watch = watch_page(page)
    try:
        pair(page, server, "volunteer")
        connection, notes = page.locator("#connection"), page.locator("#feed li", has_text=RECONNECTED)
        expect(connection).to_have_text("Live")
        assert server.scan(first["ticket_code"]).status_code == 201
        expect(page.locator("#feed li").first).to_contain_text(first["name"])
        for _ in range(3):
            socket.drop()
            expect(connection).to_have_text("Reconnecting…")
            expect(connection).to_have_text("Live")
        expect(notes).to_have_count(1)
        assert server.scan(second["ticket_code"]).status_code == 201  # something between two drops
        expect(page.locator("#feed li").first).to_contain_text(second["name"])
        socket.drop()
        expect(connection).to_have_text("Live")
        expect(notes).to_have_count(2)
        expect(page.locator("#feed li").first).to_contain_text(RECONNECTED)
        expect(page.locator("#feed li", has_text=first["name"])).to_have_count(1)
        watch.assert_clean()
    finally:
        context.close()
