"""A console back from sleep (a phone locked for ten minutes) is told what it missed as the live
feed told the others: walk-ins as walk-ins, registered ones too, party corrections, who undid.

Its catch-up used to hold only arrivals and undos: a walk-in checked in came as a plain arrival,
a walk-in registered only and a party corrected to 2 guests not at all (the headcount jumped by
two with nothing in the feed to say why), and a volunteer's check-in lost its "by a volunteer".
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from websockets.sync.client import connect


def caught_up(server: Any, since: str) -> list[dict[str, Any]]:
    """The catch-up messages of a console reconnecting with ?since=, up to its snapshot."""
    url = f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}&since={quote(since)}"
    with connect(url, open_timeout=5) as ws:
        messages = [json.loads(ws.recv(timeout=5))]
        while messages[-1]["type"] != "snapshot":
            messages.append(json.loads(ws.recv(timeout=5)))
    return [m for m in messages if m.get("catch_up")]


def test_a_console_back_from_sleep_is_told_the_walk_ins_and_party_corrections_it_missed(server: Any) -> None:
    ada, bob, cy = server.people()[:3]
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        since = json.loads(ws.recv(timeout=5))["server_time"]
    # asleep: a kiosk scan, a volunteer's check-in and its party corrected, two walk-ins, an undo
    assert server.scan(ada["ticket_code"]).status_code == 201
    assert server.post(f"/api/attendees/{bob['id']}/checkin", "volunteer", json={}).status_code == 201
    assert server.post(f"/api/attendees/{bob['id']}/checkin", "volunteer",
                       json={"guests": 2, "correction": True}).status_code == 200
    assert server.post("/api/attendees", "volunteer", json={"name": "Rita Registered", "check_in": False}).status_code == 201
    assert server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True}).status_code == 201
    assert server.post(f"/api/attendees/{cy['id']}/checkin", "volunteer", json={}).status_code == 201
    assert server.delete(f"/api/checkins/{cy['id']}", "volunteer").status_code == 200

    missed = caught_up(server, since)
    told = [(m["type"], m["attendee"]["name"]) for m in missed]
    assert told == [("checked_in", ada["name"]), ("checked_in", bob["name"]), ("party", bob["name"]),
                    ("walk_in", "Rita Registered"), ("walk_in", "Wanda Walkin"), ("undone", cy["name"])]
    by_kind = {(m["type"], m["attendee"]["name"]): m for m in missed}
    assert by_kind[("checked_in", ada["name"])]["manual"] is False  # the kiosk
    assert by_kind[("checked_in", bob["name"])]["manual"] is True   # "by a volunteer", as told live
    assert by_kind[("party", bob["name"])]["attendee"]["guests"] == 2
    assert by_kind[("walk_in", "Rita Registered")]["checked_in"] is False
    assert by_kind[("walk_in", "Wanda Walkin")]["checked_in"] is True
    assert by_kind[("undone", cy["name"])]["by"]
    assert all(m["at"] > since and m["server_time"] == m["at"] for m in missed)
    assert missed[-1]["headcount"]["checked_in"] == 1 + 3 + 1  # Ada, Bob's party of three, Wanda


def test_a_walk_in_undone_and_scanned_again_is_an_arrival_of_the_kiosk(server: Any) -> None:
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        since = json.loads(ws.recv(timeout=5))["server_time"]
    walk_in = server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True}).json()["attendee"]
    assert server.delete(f"/api/checkins/{walk_in['id']}", "volunteer").status_code == 200
    assert server.scan(walk_in["ticket_code"]).status_code == 201  # her badge's QR, at the kiosk
    missed = caught_up(server, since)
    assert [(m["type"], m.get("checked_in"), m.get("manual")) for m in missed] == [
        ("walk_in", True, None), ("undone", None, None), ("checked_in", None, False)]


def test_a_walk_in_refused_at_capacity_then_admitted_is_told_as_the_live_feed_told_it(make_server: Any) -> None:
    server = make_server(capacity=1)
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        since = json.loads(ws.recv(timeout=5))["server_time"]
    assert server.scan(server.people()[0]["ticket_code"]).status_code == 201  # the room is full
    walk_in = server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True}).json()
    assert walk_in["check_in"] == "capacity_reached"
    assert server.post(f"/api/attendees/{walk_in['attendee']['id']}/checkin", "volunteer",
                       json={"override": True}).status_code == 201  # "Admit anyway"
    missed = [m for m in caught_up(server, since) if m["attendee"]["name"] == "Wanda Walkin"]
    assert [(m["type"], m.get("checked_in"), m.get("manual")) for m in missed] == [
        ("walk_in", False, None), ("checked_in", None, True)]  # "walk-in, registered", then "by a volunteer"
