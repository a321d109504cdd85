"""A party corrected to fewer guests is taken whatever the room: fewer people need no place.

Past the capacity (saved scans checked in on trust), the room left is negative, and correcting a
party from 2 guests to 1 with the venue 2 over was refused 409 "Only 0 more can come in: not -1
guests more.", so the headcount could not be brought down to the people really there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kiosk import clock


def saved_scan(server: Any, person: dict[str, Any], nonce: str) -> dict[str, Any]:
    """A scan a kiosk saved while offline, sent now: checked in even at a full venue."""
    saved_at = (clock.now() - timedelta(minutes=2)).isoformat()
    answer = server.post("/api/checkins", "kiosk", json={
        "code": person["ticket_code"], "station": "door-2", "nonce": nonce, "late": True, "saved_at": saved_at})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_fewer_guests_are_taken_when_the_venue_is_over_capacity(make_server: Any) -> None:
    server = make_server(capacity=3)
    host, first, second = server.people()[:3]
    answer = server.post(f"/api/attendees/{host['id']}/checkin", "volunteer", json={"guests": 2})
    assert answer.status_code == 201 and answer.json()["headcount"]["checked_in"] == 3
    saved_scan(server, first, "late-1")
    assert saved_scan(server, second, "late-2")["headcount"]["checked_in"] == 5  # 2 over

    answer = server.post(f"/api/attendees/{host['id']}/checkin", "volunteer", json={"guests": 1, "correction": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["attendee"]["guests"] == 1
    assert server.get("/api/headcount", role=None).json()["checked_in"] == 4


def test_more_guests_past_a_full_venue_are_still_refused(make_server: Any) -> None:
    server = make_server(capacity=3)
    host, first, second = server.people()[:3]
    assert server.post(f"/api/attendees/{host['id']}/checkin", "volunteer", json={"guests": 1}).status_code == 201
    saved_scan(server, first, "late-1")
    saved_scan(server, second, "late-2")  # 4 in, capacity 3
    answer = server.post(f"/api/attendees/{host['id']}/checkin", "volunteer", json={"guests": 2, "correction": True})
    assert answer.status_code == 409 and answer.json()["result"] == "capacity_reached"
    assert server.get("/api/headcount", role=None).json()["checked_in"] == 4
