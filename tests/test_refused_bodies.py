"""Volunteer routes refuse a body that says something they cannot read, and change nothing.

Found by a fuzzing review (session 14): `[]`, `null` or broken JSON was read as {} and the route
did its default: a check-in, a reprint, a kiosk pairing. And a badge preview for a printer that
does not exist showed the first printer's badge."""

from __future__ import annotations

import pytest


def _post_raw(server, path: str, data: str):
    return server.client("volunteer").post(server.url + path, data=data, timeout=10,
                                           headers={"Content-Type": "application/json"})


def _jobs(server) -> int:
    with server.state.store.read() as db:
        return db.execute("SELECT count(*) FROM print_jobs").fetchone()[0]


@pytest.mark.parametrize("data", ["[]", "null", '"door-1"', "7", "{broken", "[" * 5000])
def test_a_manual_check_in_with_a_body_that_is_not_an_object_checks_nobody_in(server, data):
    person = server.people()[3]
    response = _post_raw(server, f"/api/attendees/{person['id']}/checkin", data)
    assert response.status_code == 400
    assert response.json()["result"] == "bad_request" and "JSON object" in response.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert _jobs(server) == 0


@pytest.mark.parametrize("data", ["[]", "null", "{broken"])
def test_a_reprint_with_a_body_that_is_not_an_object_queues_nothing(server, data):
    person = server.people()[4]
    response = _post_raw(server, f"/api/attendees/{person['id']}/badge", data)
    assert response.status_code == 400 and response.json()["result"] == "bad_request"
    assert _jobs(server) == 0


def test_no_body_or_an_empty_object_still_takes_the_defaults(server):
    person = server.people()[5]
    assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer").status_code == 201
    assert server.post(f"/api/attendees/{person['id']}/badge", "volunteer", json={}).status_code == 202
    assert _jobs(server) == 2


def test_a_badge_preview_for_a_printer_that_does_not_exist_is_a_404(server):
    person = server.people()[6]
    for name in ("nope", "../../etc", "\x00"):
        response = server.get(f"/api/attendees/{person['id']}/badge.png", "volunteer", params={"printer": name})
        assert response.status_code == 404 and response.json()["message"] == "No such printer."
    for name in [None, *(p["name"] for p in server.get("/api/printers", "volunteer").json()["printers"])]:
        shown = server.get(f"/api/attendees/{person['id']}/badge.png", "volunteer", params={"printer": name})
        assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"


def _post_as_curl(server, path: str, data: str, role: str = "volunteer"):
    """`curl -d '{...}'` without -H 'Content-Type: application/json': typed as a urlencoded form."""
    return server.client(role).post(server.url + path, data=data, timeout=10,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_a_json_body_sent_without_its_content_type_is_refused_not_read_as_no_body(server):
    """It was read as no body and the route did its default: a correction-only request (never a
    check-in) checked someone in."""
    person = server.people()[3]
    response = _post_as_curl(server, f"/api/attendees/{person['id']}/checkin", '{"guests": 1, "correction": true}')
    assert response.status_code == 400 and response.json()["result"] == "bad_request"
    assert "Content-Type: application/json" in response.json()["message"]
    assert server.people()[3]["checked_in_at"] is None
    assert _post_as_curl(server, f"/api/attendees/{person['id']}/badge", '{"guest": true}').status_code == 400
    assert _jobs(server) == 0


def test_a_form_or_a_body_that_is_no_json_object_still_takes_the_defaults(server):
    person = server.people()[4]
    response = _post_as_curl(server, f"/api/attendees/{person['id']}/checkin", "station=door-2")
    assert response.status_code == 201 and response.json()["result"] == "checked_in"
