"""A walk-in's name must show something (session 21): a name of invisible letters is no name."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["\u3164", "\u2800 \u2800", "\u115f\u200b"])
def test_a_walk_in_whose_name_shows_nothing_is_refused_and_nobody_is_registered(server, name):
    """Was 201: a Hangul filler alone ('ㅤ', a popular "invisible nickname") registered a nameless
    walk-in, checked in with a blank badge, where an import refuses the same name."""
    before = server.get("/api/headcount").json()
    answer = server.post("/api/attendees", "volunteer", json={"name": name, "check_in": True})
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"result": "invalid", "message": "A walk-in needs a name."}
    assert server.get("/api/headcount").json() == before
    assert not [p for p in server.people() if p["is_walk_in"]]


def test_a_name_in_hangul_is_still_a_name(server):
    answer = server.post("/api/attendees", "volunteer", json={"name": "김민준", "check_in": True})
    assert answer.status_code == 201 and answer.json()["attendee"]["name"] == "김민준"
