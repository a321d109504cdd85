"""A walk-in who brings guests: the party is counted and badged as an RSVP's with guests is.

Found by a fuzzing review (session 14): `guests` on POST /api/attendees was ignored, any value,
so a walk-in's +1 never counted against the room."""

from __future__ import annotations

import pytest


def _badges(server) -> list[str]:
    with server.state.store.read() as db:
        return [row[0] for row in db.execute("SELECT reason FROM print_jobs ORDER BY id")]


def test_a_walk_in_with_two_guests_counts_and_badges_three(server):
    answer = server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "guests": 2, "check_in": True})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["check_in"] == "checked_in" and body["attendee"]["guests"] == 2
    counts = server.get("/api/headcount", None).json()
    assert (counts["checked_in"], counts["walk_ins"], counts["expected"]) == (3, 3, 237)
    assert sorted(_badges(server)) == ["check-in", "guest", "guest"]
    audit = server.get("/api/audit").json()["audit"]
    registered = [entry for entry in audit if entry["action"] == "walk_in"]
    assert len(registered) == 1 and registered[0]["details"]["guests"] == 2


def test_a_walk_in_without_guests_is_one_person(server):
    answer = server.post("/api/attendees", "volunteer", json={"name": "Solo Walkin", "guests": None, "check_in": True})
    assert answer.status_code == 201 and answer.json()["attendee"]["guests"] == 0
    assert server.get("/api/headcount", None).json()["checked_in"] == 1 and _badges(server) == ["check-in"]


@pytest.mark.parametrize("guests", [-1, 100, 10**20, 1.5, "3", True, [2], {"n": 2}])
def test_a_walk_in_with_a_guest_count_that_is_no_count_is_refused_and_registers_nobody(server, guests):
    answer = server.post("/api/attendees", "volunteer", json={"name": "Odd Party", "guests": guests, "check_in": True})
    assert answer.status_code == 422 and "guests must be a whole number" in answer.json()["message"]
    found = server.get("/api/attendees", "volunteer", params={"q": "odd party"}).json()["attendees"]
    assert found == [] and server.get("/api/headcount", None).json()["checked_in"] == 0 and _badges(server) == []
