"""A saved scan takes the room past its capacity rather than be refused: its person is inside.

A kiosk that could not reach the server told the person "Please go in" and saved the scan. When
it was sent, someone else (a fresh scan here, or at a kiosk that never lost the network) had
taken the last place meanwhile, and the saved scan was refused `capacity_reached`: the person was
still in the room, listed as "venue full", and the headcount said one less than the room held.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from websockets.sync.client import connect

from kiosk import clock


def _ago(**delta: float) -> str:
    return (clock.now() - timedelta(**delta)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _late(server: Any, person: dict, nonce: str, saved_at: str | None, role: str = "kiosk") -> Any:
    body: dict[str, Any] = {"code": person["ticket_code"], "station": "door-2", "nonce": nonce, "late": True}
    if saved_at is not None:
        body["saved_at"] = saved_at
    return server.post("/api/checkins", role, json=body)


def _full(make_server: Any, capacity: int = 2) -> tuple[Any, list[dict]]:
    """A venue of `capacity` places, all taken by fresh scans; the people not scanned yet (no guests)."""
    server = make_server(capacity=capacity)
    people = [p for p in server.people() if not p["guests"]]
    for person in people[:capacity]:
        assert server.scan(person["ticket_code"]).status_code == 201
    return server, people[capacity:]


def _next_warning(ws: Any) -> dict:
    while True:
        message = json.loads(ws.recv(timeout=5))
        if message["type"] in ("over_capacity", "late_refusal"):
            return message


def test_a_saved_scan_is_checked_in_past_a_full_venue_and_the_volunteers_are_warned(make_server: Any) -> None:
    server, (saved, fresh, *_) = _full(make_server)
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        answer = _late(server, saved, "n-saved", _ago(minutes=3))
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["result"] == "checked_in" and body["over_capacity"] is True
        assert body["headcount"]["checked_in"] == 3 and body["attendee"]["name"] == saved["name"]
        warning = _next_warning(ws)
        assert warning["type"] == "over_capacity"
        assert (warning["checked_in"], warning["capacity"], warning["attendee"]["id"]) == (3, 2, saved["id"])
    assert server.get(f"/api/attendees/{saved['id']}").json()["attendee"]["checked_in_at"]
    # A fresh scan still meets the full venue, and a retry of the saved one writes nothing new.
    assert server.scan(fresh["ticket_code"]).json()["result"] == "capacity_reached"
    again = _late(server, saved, "n-saved", _ago(minutes=3))
    assert (again.status_code, again.json()["over_capacity"]) == (201, True)
    assert server.get("/api/headcount").json()["checked_in"] == 3


def test_a_console_back_from_the_outage_is_told_of_the_over_capacity(make_server: Any) -> None:
    server, (saved, *_) = _full(make_server)
    url = f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}"
    since = "1970-01-01T00:00:00+00:00"
    assert _late(server, saved, "n1", _ago(minutes=1)).status_code == 201
    with connect(f"{url}&since={quote(since)}", open_timeout=5) as ws:
        messages = [json.loads(ws.recv(timeout=5))]
        while messages[-1]["type"] != "snapshot":
            messages.append(json.loads(ws.recv(timeout=5)))
    warnings = [(m["checked_in"], m["capacity"], m["catch_up"]) for m in messages if m["type"] == "over_capacity"]
    assert warnings == [(3, 2, True)]


def test_a_party_saved_offline_is_checked_in_whole_past_the_last_places(make_server: Any) -> None:
    server = make_server(capacity=3)
    host, *others = server.people()[:3]
    with server.state.store.write() as db:
        db.execute("UPDATE attendees SET guests = 1 WHERE id = ?", [host["id"]])
    server.state.door.external_change()
    assert server.scan(others[0]["ticket_code"]).status_code == 201
    assert server.scan(others[1]["ticket_code"]).status_code == 201  # one place left, a party of two
    answer = _late(server, host, "n-party", _ago(seconds=30))
    assert (answer.status_code, answer.json().get("over_capacity")) == (201, True)
    assert answer.json()["headcount"]["checked_in"] == 4


def test_a_saved_scan_that_fits_says_nothing_of_capacity(make_server: Any) -> None:
    server = make_server(capacity=5)
    person = server.people()[0]
    answer = _late(server, person, "n-fits", _ago(minutes=2))
    assert answer.status_code == 201 and "over_capacity" not in answer.json()


def test_saved_scans_refused_for_anything_but_the_room_are_still_refused(make_server: Any) -> None:
    server, (inside, *_) = _full(make_server)
    with server.state.store.write() as db:
        not_coming = dict(db.execute("SELECT * FROM attendees WHERE attending = 0 LIMIT 1").fetchone())
    assert _late(server, not_coming, "n-not", _ago(minutes=2)).json()["result"] == "not_attending"
    first_in = server.people()[0]
    assert _late(server, first_in, "n-again", _ago(minutes=2)).json()["result"] == "already_checked_in"
    forged = {"ticket_code": first_in["ticket_code"][:-3] + ("AAA" if not first_in["ticket_code"].endswith("AAA") else "BBB")}
    assert _late(server, forged, "n-forged", _ago(minutes=2)).status_code in (404, 422)
    assert _late(server, {"ticket_code": "NOT-A-TICKET"}, "n-unknown", _ago(minutes=2)).status_code in (404, 422)
    assert server.get("/api/headcount").json()["checked_in"] == 2


def test_late_cannot_carry_a_fresh_scan_past_a_full_venue(make_server: Any) -> None:
    """The late flag is the client's word: only a saved time in the recent past lets a scan in."""
    server, people = _full(make_server)
    in_an_hour = (clock.now() + timedelta(hours=1)).isoformat()
    cases = [None, "", "not a time", "2026-11-26T18:42:00", in_an_hour, _ago(hours=13)]
    for person, saved_at in zip(people, cases):
        answer = _late(server, person, f"n-{person['id']}", saved_at)
        assert answer.json()["result"] == "capacity_reached", (saved_at, answer.text)
    assert _late(server, people[len(cases)], "n-anon", _ago(minutes=1), role=None).status_code == 401
    assert server.get("/api/headcount").json()["checked_in"] == 2


def test_a_refusal_the_kiosk_never_heard_is_decided_again_when_it_sends_the_scan_as_saved(make_server: Any) -> None:
    """The answer to a scan took longer than the kiosk waits (4 s): the kiosk saved the scan, told
    the person to go in, and sent it again later with the same nonce. The server had refused the
    first send for the full venue, and answered the retry from its log: "venue full" for someone
    inside."""
    server, (slow, *_) = _full(make_server)
    first = server.post("/api/checkins", "kiosk", json={"code": slow["ticket_code"], "station": "door-2", "nonce": "n-slow"})
    assert first.json()["result"] == "capacity_reached"  # this answer never reached the kiosk
    retry = _late(server, slow, "n-slow", _ago(seconds=20))
    assert (retry.status_code, retry.json()["result"], retry.json().get("over_capacity")) == (201, "checked_in", True)
    again = _late(server, slow, "n-slow", _ago(seconds=20))  # its answer lost too: told from the log
    assert (again.status_code, again.json()["over_capacity"]) == (201, True)
    assert server.get("/api/headcount").json()["checked_in"] == 3
    with server.state.store.read() as db:
        logged = [tuple(r) for r in db.execute("SELECT result, nonce FROM scans WHERE code = ? AND station = 'door-2' "
                                                "ORDER BY id", [slow["ticket_code"]])]
    assert logged == [("capacity_reached", None), ("checked_in", "n-slow")]  # the refused attempt stays logged
