"""A walk-in or a party corrected while a console's catch-up is read is listed once.

A change made while a reconnecting console's catch-up was being read reaches it twice: in the
catch-up (from the audit trail) and live. Arrivals and undos carried their time and were listed
once; walk-ins and party corrections came live without one, and were listed twice.
"""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import connect

from browser import chromium, pw, signed_in_page  # noqa: F401  (fixtures)
from test_console_catch_up_session22 import caught_up


def _live(ws: Any, kinds: set[str], count: int) -> list[dict[str, Any]]:
    """The next `count` live messages of these kinds."""
    told: list[dict[str, Any]] = []
    while len(told) < count:
        message = json.loads(ws.recv(timeout=5))
        if message["type"] in kinds:
            told.append(message)
    return told


def test_walk_ins_and_party_corrections_are_told_live_at_the_time_the_catch_up_gives(server: Any) -> None:
    host = server.people()[0]
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        since = json.loads(ws.recv(timeout=5))["server_time"]
        assert server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True}).status_code == 201
        assert server.post(f"/api/attendees/{host['id']}/checkin", "volunteer", json={}).status_code == 201
        assert server.post(f"/api/attendees/{host['id']}/checkin", "volunteer",
                           json={"guests": 2, "correction": True}).status_code == 200
        live = _live(ws, {"walk_in", "party"}, 2)
    told = {(m["type"], m["attendee"]["id"]): m["at"] for m in caught_up(server, since) if m["type"] in ("walk_in", "party")}
    assert {(m["type"], m["attendee"]["id"]): m["at"] for m in live} == told
    assert all(told.values())


def test_the_console_lists_a_walk_in_told_twice_once(server: Any, chromium: Any) -> None:
    with signed_in_page(chromium, server, "volunteer") as (page, watch):
        counts = page.evaluate("""async () => {
            const { LiveFeed } = await import("/static/js/livefeed.js");
            const list = document.createElement("ul"), empty = document.createElement("p");
            const feed = new LiveFeed({ list, empty });
            const walkIn = { type: "walk_in", at: "2026-11-26T18:40:00.000+00:00", checked_in: true,
                             attendee: { id: 7, name: "Wanda Walkin", guests: 0 } };
            const party = { type: "party", at: "2026-11-26T18:41:00.000+00:00", by: "desk",
                            attendee: { id: 8, name: "Hal Host", guests: 2 } };
            const told = [walkIn, party, { ...walkIn, catch_up: true }, { ...party, catch_up: true }].map((m) => feed.add(m));
            return { items: list.children.length, told };
        }""")
        watch.assert_clean()
    assert counts == {"items": 2, "told": [True, True, False, False]}
