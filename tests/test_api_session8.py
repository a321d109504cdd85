"""Session 8 review of the HTTP API, roles and websockets: each test is a request that a real
server answered wrongly (a check-in undone through an id written in other digits, a form or body
whose decoding held the door's one worker for seconds, HTML where a script reads JSON)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import requests

from test_access_control import pin_session


def checked_in_person(server):
    """Someone on the list, checked in by a kiosk scan."""
    person = server.people()[0]
    assert server.scan(person["ticket_code"]).status_code == 201
    return person


@pytest.mark.parametrize("digits", ["\u0661", "\uff11", "\u0967"])  # Arabic-Indic, full-width, Devanagari one
def test_an_id_written_in_other_digits_names_nobody(server, digits):
    person = checked_in_person(server)
    assert person["id"] == 1
    for method, path in [("DELETE", "/api/checkins/{}"), ("GET", "/api/attendees/{}"),
                         ("POST", "/api/attendees/{}/checkin"), ("POST", "/api/attendees/{}/badge"),
                         ("GET", "/api/attendees/{}/badge.png"), ("DELETE", "/api/tokens/{}")]:
        response = server.client("organizer").request(method, server.url + path.format(digits), json={}, timeout=10)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["result"] == "not_found"
    assert server.get("/api/attendees/1").json()["attendee"]["checked_in_at"] is not None
    assert all(token["revoked_at"] is None for token in server.get("/api/tokens").json()["tokens"])


def test_a_login_form_too_large_to_be_one_is_refused_unread(server):
    response = requests.post(server.url + "/login", data={"pin": "1" * 100_000, "csrf": "x"}, timeout=10)
    assert response.status_code == 413
    session, _ = pin_session(server, "volunteer")  # a real PIN form still signs in
    assert session.get(server.url + "/api/printers", timeout=10).status_code == 200


@pytest.mark.parametrize("field", ["station", "nonce", "saved_at"])
@pytest.mark.parametrize("padding", [0, 40_000])  # a small body takes kiosk.fast_scan, a large one the Flask view
def test_a_scan_field_too_long_to_be_one_checks_in_nobody(server, field, padding):
    person = server.people()[0]
    body = {"code": person["ticket_code"], "station": "door-1", field: "\u00e9" * 1001}
    if padding:
        body["padding"] = "x" * padding
    response = server.post("/api/checkins", "kiosk", json=body)
    assert response.status_code == 400 and response.json()["result"] == "bad_request", response.text
    assert field in response.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    with server.state.store.read() as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0


@pytest.mark.parametrize("field", ["name", "email", "company"])
def test_a_walk_in_with_a_field_too_long_to_be_one_registers_nobody(server, field):
    before = len(server.people())
    body = {"name": "Sam Lee", "check_in": True, field: "\u00e9" * 100_000}
    response = server.post("/api/attendees", "volunteer", json=body)
    assert response.status_code == 422 and response.json()["result"] == "invalid", response.text
    assert field in response.json()["message"]
    assert len(server.people()) == before
    assert server.get("/api/headcount", None).json()["walk_ins"] == 0


def test_a_token_label_too_long_makes_no_token(server):
    before = len(server.get("/api/tokens").json()["tokens"])
    response = server.post("/api/tokens", json={"role": "kiosk", "label": "x" * 1001})
    assert response.status_code == 422 and "label" in response.json()["message"]
    assert len(server.get("/api/tokens").json()["tokens"]) == before


def test_an_api_body_over_a_megabyte_is_refused_before_it_is_read(server):
    before = len(server.people())
    body = json.dumps({"name": "Sam Lee", "padding": "x" * (1024 * 1024)})
    response = server.post("/api/attendees", "volunteer", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["result"] == "request_entity_too_large"
    assert len(server.people()) == before


def test_an_attendee_list_over_a_megabyte_is_still_read(empty_server):
    """The 1 MB cap is for JSON bodies: an upload is judged by the importer (here: not a list)."""
    upload = {"file": ("list.csv", b"\x00\x01" * 600_000)}
    response = empty_server.post("/api/imports", files=upload)
    assert response.status_code == 422 and response.json()["result"] == "import_failed", response.text


def test_a_huge_form_is_not_decoded_for_its_csrf_field(server):
    session, csrf = pin_session(server, "kiosk")
    url = server.url + "/api/checkins"
    small = session.post(url, data={"csrf": csrf}, timeout=10)
    assert small.status_code == 400 and small.json()["result"] == "bad_request"  # past CSRF: not JSON
    huge = session.post(url, data={"csrf": csrf, "padding": "x" * 100_000}, timeout=10)
    assert huge.status_code == 403 and huge.json()["result"] == "csrf"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/ws/headcount", 400), ("GET", "/ws/live", 400), ("POST", "/ws/headcount", 405), ("PUT", "/ws/live", 405),
])
def test_a_websocket_path_refuses_plain_http_in_json(server, method, path, status):
    response = server.client("volunteer").request(method, server.url + path, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json" and response.json()["message"]


@pytest.mark.parametrize("role", [["kiosk"], {"role": "kiosk"}, None, "admin", 5])
def test_a_pairing_for_no_role_is_invalid_not_forbidden(server, role):
    response = server.post("/api/pairings", "volunteer", json={"role": role})
    assert response.status_code == 422 and response.json()["result"] == "invalid"
    assert server.post("/api/pairings", "volunteer", json={"role": "organizer"}).status_code == 403


def test_a_pin_session_ends_when_its_pin_is_changed(server):
    """The config's PINs are read at start: a restart with a new volunteer PIN (the old one leaked)."""
    volunteer, _ = pin_session(server, "volunteer")
    kiosk, _ = pin_session(server, "kiosk")
    paired = requests.Session()
    assert paired.get(f"{server.url}/pair?token={server.tokens['volunteer']}", timeout=10).status_code == 200
    settings = server.state.settings
    server.state.settings = dataclasses.replace(settings, pins={**settings.pins, "volunteer": "97531"})
    assert volunteer.get(server.url + "/api/printers", timeout=10).status_code == 401
    assert volunteer.get(server.url + "/api/csrf", timeout=10).json()["role"] is None
    assert kiosk.get(server.url + "/api/csrf", timeout=10).json()["role"] == "kiosk"  # its PIN did not change
    assert paired.get(server.url + "/api/printers", timeout=10).status_code == 200  # a token, not the PIN
    page = volunteer.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert volunteer.post(server.url + "/login", data={"pin": "97531", "csrf": csrf}, timeout=10).status_code == 200
    assert volunteer.get(server.url + "/api/printers", timeout=10).status_code == 200


def test_the_display_page_has_the_count_in_its_text_and_no_name(server):
    people = server.people()[:2]
    for person in people:
        assert server.scan(person["ticket_code"]).status_code == 201
    page = requests.get(server.url + "/display", timeout=10).text  # no script runs here
    assert re.search(r'id="checked-in"[^>]*>2<', page) and re.search(r'id="expected"[^>]*>237<', page)
    assert re.search(r'id="walk-ins"[^>]*>0<', page)
    assert not any(part in page for person in people for part in (person["name"], person["email"]))


@pytest.mark.parametrize("late", [{"saved_at": 1764284400}, {"saved_at": {"t": 1}}, {"saved_at": True},
                                  {"late": "yes"}, {"late": 1}])
@pytest.mark.parametrize("padding", [0, 40_000])  # kiosk.fast_scan, then the Flask view
def test_a_late_scan_whose_saved_time_is_not_text_is_refused_not_taken_as_on_time(server, late, padding):
    """An epoch number for saved_at used to drop the late flag: a refusal of someone let in on
    trust then never reached the volunteers. Now the kiosk that sends it is told at once."""
    person = server.people()[0]
    body = {"code": person["ticket_code"], "station": "door-1", **late, "padding": "x" * padding}
    response = server.post("/api/checkins", "kiosk", json=body)
    assert response.status_code == 400 and response.json()["result"] == "bad_request", response.text
    assert next(iter(late)) in response.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert server.post("/api/checkins", "kiosk", json={"code": person["ticket_code"], "late": True,
                                                       "saved_at": "2026-11-26T18:42:05Z"}).status_code == 201
