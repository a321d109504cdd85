"""The volunteers' feed says who undid a check-in in words, live and in a console's catch-up alike."""

from __future__ import annotations

import json
from typing import Any

from websockets.sync.client import connect

from test_console_catch_up_session22 import caught_up


def _undone_by(ws: Any, count: int) -> list[str]:
    """The `by` of the next `count` undos the live feed tells."""
    told: list[str] = []
    while len(told) < count:
        message = json.loads(ws.recv(timeout=5))
        if message["type"] == "undone":
            told.append(message["by"])
    return told


def test_undos_are_said_by_station_or_by_role_not_by_the_audit_trails_labels(server: Any) -> None:
    """It read "by token:2" and "by pin:volunteer"."""
    ada, bob = server.people()[:2]
    token_id = server.get("/api/tokens", "organizer").json()["tokens"]
    volunteer_token = next(t["id"] for t in token_id if t["role"] == "volunteer")
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        since = json.loads(ws.recv(timeout=5))["server_time"]
        for person in (ada, bob):
            assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer", json={}).status_code == 201
        assert server.delete(f"/api/checkins/{ada['id']}?station=desk", "volunteer").status_code == 200
        assert server.delete(f"/api/checkins/{bob['id']}", "volunteer").status_code == 200
        live = _undone_by(ws, 2)
    assert live == ["desk", f"volunteer token {volunteer_token}"]
    assert [m["by"] for m in caught_up(server, since) if m["type"] == "undone"] == live
