"""Scans answered in front of Flask (kiosk/fast_scan.py) must be the Flask view's answers, exactly.

A station with a bearer token takes the fast path; a browser with a PIN session (and
anything unusual) takes the Flask view. Each case here is sent both ways, against a
real server on 127.0.0.1, and the answers compared.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import request_started

from test_access_control import pin_session


def flask_saw(server: Any, send: Any) -> tuple[requests.Response, bool]:
    """Send a request; also whether it went through Flask's request machinery."""
    seen: list[str] = []

    def note(sender: Any, **_: Any) -> None:
        from flask import request

        seen.append(request.path)

    request_started.connect(note, server.app)
    try:
        response = send()
    finally:
        request_started.disconnect(note, server.app)
    return response, "/api/checkins" in seen


def without_times(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("checked_in_at", "message", "headcount")}


def test_a_bearer_scan_skips_flask_and_a_session_scan_does_not(server):
    first, second = server.people()[:2]
    fast, via_flask = flask_saw(server, lambda: server.scan(first["ticket_code"], role="volunteer"))
    assert fast.status_code == 201 and not via_flask
    session, csrf = pin_session(server, "volunteer")
    slow, via_flask = flask_saw(server, lambda: session.post(
        server.url + "/api/checkins", json={"code": second["ticket_code"], "station": "door-1"},
        headers={"X-CSRF-Token": csrf}, timeout=10))
    assert slow.status_code == 201 and via_flask
    assert fast.headers["Content-Type"] == slow.headers["Content-Type"] == "application/json"
    assert set(without_times(fast.json())) == set(without_times(slow.json()))
    assert set(fast.json()["attendee"]) == set(slow.json()["attendee"])
    assert fast.json()["attendee"]["email"] == first["email"]
    assert fast.json()["headcount"]["checked_in"] == 1 and slow.json()["headcount"]["checked_in"] == 2


def test_every_answer_matches_the_flask_view(server):
    """The same scans, once with a bearer token (fast) and once with a PIN session (Flask)."""
    people = server.people()
    absent = server.people(attending=False)
    session, csrf = pin_session(server, "kiosk")

    def by_session(body: Any) -> requests.Response:
        return session.post(server.url + "/api/checkins", json=body, headers={"X-CSRF-Token": csrf}, timeout=10)

    def by_token(body: Any) -> requests.Response:
        return server.post("/api/checkins", "kiosk", json=body)

    server.scan(people[10]["ticket_code"], station="door-9")
    cases = [
        {"code": people[10]["ticket_code"], "station": "door-2"},          # already checked in
        {"code": "K1-AAAAAAAA-AAAAAAAAAAAAA"},                               # forged
        {"code": "hello"},                                                   # not a code
        {"code": absent[0]["ticket_code"]} if absent else {"code": ""},      # not attending
        {"code": ["a list"]},                                                # not text
        {"station": "door-1"},                                               # no code
        {"code": "]Q1" + people[10]["ticket_code"]},                         # AIM identifier in front
        {"code": people[10]["ticket_code"].lower() + "\r\n"},               # Caps Lock, CR+LF
        {"code": "BEGIN:VCARD\nN:Doe;John\nEND:VCARD"},                       # a vCard
        {"code": "]C0" + "9" * 25},                                           # Code 128, unknown
    ]
    for body in cases:
        fast, slow = by_token(body), by_session(body)
        assert (fast.status_code, fast.json()["result"]) == (slow.status_code, slow.json()["result"]), body
        assert fast.json().get("message") == slow.json().get("message"), body
        assert fast.json().get("attendee") == slow.json().get("attendee"), body


@pytest.mark.parametrize("send", [
    lambda url, h: requests.post(url, data=b"{not json", headers={**h, "Content-Type": "application/json"}, timeout=10),
    lambda url, h: requests.post(url, data=b"[1, 2]", headers={**h, "Content-Type": "application/json"}, timeout=10),
    lambda url, h: requests.post(url, data=b"\xff\xfe\x00garbage", headers={**h, "Content-Type": "application/json"}, timeout=10),
    lambda url, h: requests.post(url, data=b"[" * 100_000, headers={**h, "Content-Type": "application/json"}, timeout=10),
    lambda url, h: requests.post(url, data=b'{"code": "x"}', headers={**h, "Content-Type": "text/plain"}, timeout=10),
])
def test_bad_bodies_are_refused_with_400_and_change_nothing(server, send):
    headers = {"Authorization": f"Bearer {server.tokens['kiosk']}"}
    before = server.get("/api/headcount", None).json()
    response = send(server.url + "/api/checkins", headers)
    assert response.status_code == 400
    assert response.json()["result"] == "bad_request"
    assert server.get("/api/headcount", None).json() == before


def test_credentials_are_checked_before_the_body(server):
    url = server.url + "/api/checkins"
    code = server.people()[0]["ticket_code"]
    none = requests.post(url, json={"code": code}, timeout=10)
    wrong = requests.post(url, json={"code": code}, headers={"Authorization": "Bearer nope"}, timeout=10)
    garbage = requests.post(url, data=b"{", headers={"Authorization": "Bearer nope",
                                                     "Content-Type": "application/json"}, timeout=10)
    assert [r.status_code for r in (none, wrong, garbage)] == [401, 401, 401]
    assert {r.json()["result"] for r in (none, wrong, garbage)} == {"unauthorized"}
    assert server.get("/api/headcount", None).json()["checked_in"] == 0


def test_a_revoked_token_stops_working_within_the_cache_time(server):
    """The fast path uses the same token cache as Flask: revocation is seen within its 5 s TTL."""
    people = server.people()
    assert server.scan(people[0]["ticket_code"]).status_code == 201
    tokens = server.get("/api/tokens").json()["tokens"]
    kiosk_token = next(t for t in tokens if t["label"] == "test-kiosk")
    assert server.delete(f"/api/tokens/{kiosk_token['id']}").status_code in (200, 204)
    server.state.token_cache.clear()
    refused = server.scan(people[1]["ticket_code"])
    assert refused.status_code == 401


def test_a_large_body_goes_to_flask_and_is_still_answered(server):
    code = server.people()[0]["ticket_code"]
    body = {"code": code, "station": "door-1", "padding": "x" * 40_000}
    response, via_flask = flask_saw(server, lambda: server.post("/api/checkins", "kiosk", json=body))
    assert via_flask and response.status_code == 201


def test_an_unexpected_error_is_a_json_500_and_the_server_goes_on(server, monkeypatch):
    door = server.state.door
    real_scan = door.scan

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(door, "scan", broken)
    response = server.scan(server.people()[0]["ticket_code"])
    assert response.status_code == 500
    assert response.json()["result"] == "internal_server_error"
    assert "disk on fire" not in response.text
    monkeypatch.setattr(door, "scan", real_scan)
    assert server.scan(server.people()[0]["ticket_code"]).status_code == 201


@pytest.mark.parametrize("length", ["+37", "3_7", " 37x", "-1"])
def test_an_odd_content_length_is_left_to_flask_and_changes_nothing(server, length):
    """A declared length the fast path does not trust exactly is not parsed by it at all."""
    import socket
    from urllib.parse import urlparse

    code = server.people()[0]["ticket_code"]
    body = ('{"code": "%s", "station": "d"}' % code).encode()
    url = urlparse(server.url)
    request = (f"POST /api/checkins HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {server.tokens['kiosk']}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500 or status == 201, answer[:200]
    assert status != 500
    counted = server.get("/api/headcount", None).json()["checked_in"]
    assert counted == (1 if status == 201 else 0)
