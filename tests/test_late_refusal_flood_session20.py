"""A kiosk token cannot flood the volunteers' feed with late refusals, and real ones still arrive."""

from __future__ import annotations

import json
import time

from websockets.sync.client import connect

from kiosk import door as door_module

LATE = {"late": True, "saved_at": "2026-11-26T18:42:00.000Z"}


def _late_refusals(ws, quiet: float = 1.0) -> list[dict]:
    """The late refusals the feed sends until it has been quiet for `quiet` seconds."""
    found = []
    while True:
        try:
            message = json.loads(ws.recv(timeout=quiet))
        except TimeoutError:
            return found
        if message["type"] == "late_refusal":
            found.append(message)


def _late_scan(server, code: str, station: str, n: int) -> int:
    """A scan sent as saved during an outage; its HTTP status."""
    body = {"code": code, "station": station, "nonce": f"flood-{n}", **LATE}
    return server.post("/api/checkins", "kiosk", json=body).status_code


def test_one_ticket_sent_late_again_and_again_is_one_feed_item(server):
    """50 late scans of one ticket already in, from changing stations and nonces: one warning;
    another ticket refused late meanwhile still reaches the volunteers."""
    people = server.people()
    first, second = people[0], people[1]
    assert server.scan(first["ticket_code"]).status_code == 201
    assert server.scan(second["ticket_code"]).status_code == 201
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"
        statuses = {_late_scan(server, first["ticket_code"], f"door-{n % 7}", n) for n in range(50)}
        assert statuses == {200}  # each is still answered: the kiosk hears it is already checked in
        assert _late_scan(server, second["ticket_code"].lower(), "door-2", 99) == 200
        refusals = _late_refusals(live)
    assert [(m["attendee"]["id"], m["result"]) for m in refusals] == [
        (first["id"], "already_checked_in"), (second["id"], "already_checked_in")]


def test_a_late_code_guessing_refusal_is_no_feed_item(make_server):
    """429 is "wait", not a verdict: the kiosk sends the saved scan again, and each of its retries
    was another warning on every console."""
    srv = make_server(max_failed_scans=2)
    for n in range(2):
        srv.scan(f"GUESS-{n}", station="door-7")
    with connect(f"{srv.ws_url}/ws/live?token={srv.tokens['volunteer']}", open_timeout=5) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"
        assert {_late_scan(srv, "GIAO-1", "door-7", n) for n in range(5)} == {429}
        assert _late_refusals(live) == []


def test_the_same_ticket_refused_late_again_after_the_window_is_told_again(server):
    """The window is short: a ticket reused again later is a new warning."""
    person = server.people()[0]
    server.scan(person["ticket_code"])
    server.state.door.late_told = door_module.OncePer(0.5)  # the window, shortened for the test
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"
        _late_scan(server, person["ticket_code"], "door-1", 1)
        _late_scan(server, person["ticket_code"], "door-1", 2)
        time.sleep(0.6)
        _late_scan(server, person["ticket_code"], "door-1", 3)
        refusals = _late_refusals(live)
    assert [m["attendee"]["id"] for m in refusals] == [person["id"], person["id"]]
