"""A script that builds its URL wrong (session 23): `POST /api//checkins` was answered with an HTML
308 to `/api/checkins`, which `requests` followed and checked the person in; other doubled slashes
were a 405 as if the path were right. Now such a path is no route: a 404 in JSON, nothing done."""

from __future__ import annotations

import pytest


def test_a_scan_posted_to_a_path_with_a_doubled_slash_is_a_json_404_and_checks_nobody_in(server):
    person = server.people()[0]
    answer = server.post("/api//checkins", "kiosk", json={"code": person["ticket_code"], "station": "door-1"})
    assert answer.history == []  # no redirect followed
    assert answer.status_code == 404 and "Location" not in answer.headers
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["result"] == "not_found"
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert server.people()[0]["checked_in_at"] is None


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/attendees//1/checkin"),
    ("POST", "/api/attendees//1"),
    ("GET", "/api//headcount"),
    ("GET", "/api/headcount//"),
    ("GET", "/ws//live"),
    ("DELETE", "/api//tokens/1"),
])
def test_doubled_slashes_anywhere_under_the_api_are_no_route(server, method, path):
    answer = server.client("organizer").request(method, server.url + path, json={}, allow_redirects=False, timeout=10)
    assert answer.status_code == 404, (answer.status_code, answer.text[:200])
    assert answer.json()["result"] == "not_found"
    assert server.get("/api/tokens").status_code == 200 and all(
        token["revoked_at"] is None for token in server.get("/api/tokens").json()["tokens"])
