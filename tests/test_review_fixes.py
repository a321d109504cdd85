"""Edges found in review: each once answered 500, hid who acted, or printed for someone undone."""

from __future__ import annotations

import io
import json
import re
import time

import requests
from PIL import Image
from websockets.sync.client import connect

import pytest

from kiosk import auth, clock
from printers import queue as print_queue


def test_deeply_nested_json_is_a_400_not_a_500(server):
    response = server.client("kiosk").post(server.url + "/api/checkins", data="[" * 50_000,
                                           headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400 and response.json()["result"] == "bad_request"


def test_a_non_ascii_csrf_header_is_refused_not_a_crash(server):
    from test_access_control import pin_session

    session, _ = pin_session(server, "volunteer")
    response = session.post(server.url + "/api/attendees", json={"name": "X"}, headers={"X-CSRF-Token": "Ã©"}, timeout=10)
    assert response.status_code == 403


def test_pairing_with_a_body_that_is_not_an_object_is_refused(server):
    """It used to be a 500, then a kiosk pairing for a body that asked for something else."""
    response = server.post("/api/pairings", "volunteer", json=[1])
    assert response.status_code == 400 and response.json()["result"] == "bad_request"
    assert server.post("/api/pairings", "volunteer").json()["role"] == "kiosk"  # no body: the default


def test_an_upload_named_dot_dot_is_read_safely(empty_server):
    response = empty_server.post("/api/imports", files={"file": ("..", io.BytesIO(b"Name\nAda Lovelace\n"))})
    assert response.status_code == 200 and response.json()["added"] == 1


def test_a_pairing_token_stops_working_when_it_expires(server):
    with server.state.store.write() as db:
        expired = auth.create_token(db, "volunteer", "old pairing", expires_at="2000-01-01T00:00:00.000+00:00")
        fresh = auth.create_token(db, "volunteer", "new pairing", expires_at="2999-01-01T00:00:00.000+00:00")
    assert requests.get(server.url + "/api/attendees", headers={"Authorization": f"Bearer {expired}"}, timeout=5).status_code == 401
    assert requests.get(server.url + "/api/attendees", headers={"Authorization": f"Bearer {fresh}"}, timeout=5).status_code == 200
    pairing = server.post("/api/pairings", "volunteer", json={"role": "kiosk"}).json()
    token = re.search(r"token=(\S+)", pairing["url"]).group(1)
    listed = {t["label"]: t for t in server.get("/api/tokens").json()["tokens"]}
    assert listed[next(label for label in listed if label.startswith("paired by"))]["expires_at"] > clock.now_iso()
    assert token


def test_a_huge_webcam_frame_is_ignored_and_the_camera_keeps_working(server):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    with connect(f"{server.ws_url}/ws/camera?token={server.tokens['kiosk']}", open_timeout=5) as ws:
        ws.send(bomb.getvalue())
        assert json.loads(ws.recv(timeout=10)) == {"codes": []}
        from kiosk.ticket_images import qr_image

        frame = io.BytesIO()
        qr_image(server.people()[0]["ticket_code"]).save(frame, "PNG")
        ws.send(frame.getvalue())
        assert json.loads(ws.recv(timeout=10))["codes"] == [server.people()[0]["ticket_code"]]


def test_a_badge_undone_while_it_was_being_sent_is_not_printed_later(make_server):
    srv = make_server()
    srv.state.stop.set()  # no worker: this test plays the printer's part by hand
    person = srv.people()[0]
    srv.scan(person["ticket_code"])
    with srv.state.store.write() as db:
        job = db.execute("SELECT id FROM print_jobs WHERE attendee_id = ?", [person["id"]]).fetchone()[0]
        db.execute("UPDATE print_jobs SET status = 'printing' WHERE id = ?", [job])
    srv.delete(f"/api/checkins/{person['id']}", "volunteer")
    with srv.state.store.write() as db:
        print_queue.requeue(db, job, "The printer refused the connection.")
        status = db.execute("SELECT status FROM print_jobs WHERE id = ?", [job]).fetchone()[0]
    assert status == "cancelled"


@pytest.mark.parametrize("depth", [100, 900, 940, 960, 990])
def test_a_code_nested_just_under_the_parsers_limit_is_refused_not_a_500(server, depth):
    from test_access_control import pin_session

    body = '{"code": ' + "[" * depth + "]" * depth + ', "station": "door-1"}'
    browser, csrf = pin_session(server, "kiosk")
    for session, headers in ((server.client("kiosk"), {}), (browser, {"X-CSRF-Token": csrf})):  # fast path, Flask view
        response = session.post(server.url + "/api/checkins", data=body, timeout=10,
                                headers={"Content-Type": "application/json", **headers})
        assert response.status_code in (400, 422), response.text
        assert response.json()["result"] in ("bad_request", "invalid_code")


def test_a_pairing_role_nested_deeply_is_refused_not_a_500(server):
    body = '{"role": ' + "[" * 960 + "]" * 960 + "}"
    response = server.client("volunteer").post(server.url + "/api/pairings", data=body, timeout=10,
                                               headers={"Content-Type": "application/json"})
    assert response.status_code in (201, 400, 403, 422), response.text


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/checkins/{n}"), ("GET", "/api/attendees/{n}"), ("GET", "/api/attendees/{n}/badge.png"),
    ("POST", "/api/attendees/{n}/checkin"), ("POST", "/api/attendees/{n}/badge"), ("DELETE", "/api/tokens/{n}"),
])
def test_an_id_too_large_for_sqlite_is_not_found_not_a_500(server, method, path):
    for n in (2**63 - 1, 2**63, 10**30):
        response = server.client("organizer").request(method, server.url + path.format(n=n), json={}, timeout=10)
        assert response.status_code == 404, (n, response.status_code, response.text[:200])


def test_yes_or_no_fields_must_be_true_or_false_not_text(server):
    waitlisted = server.people(attending=False)[0]
    refused = server.post(f"/api/attendees/{waitlisted['id']}/checkin", "volunteer", json={"override": "false"})
    assert refused.status_code == 422 and "override" in refused.json()["message"]
    walk_in = server.post("/api/attendees", "volunteer", json={"name": "Text Flag", "check_in": "false"})
    assert walk_in.status_code == 422 and "check_in" in walk_in.json()["message"]
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert server.get("/api/attendees", "volunteer", params={"q": "Text Flag"}).json()["attendees"] == []
    plain = server.post("/api/attendees", "volunteer", json={"name": "No Flag"})
    assert plain.status_code == 201 and plain.json()["attendee"]["checked_in_at"] is None


def _closed_by_server(ws, seconds: float) -> list[str]:
    """Read until the server closes the socket (failing after `seconds`); returns what arrived."""
    from websockets.exceptions import ConnectionClosed

    received: list[str] = []
    with pytest.raises(ConnectionClosed):
        deadline = time.monotonic() + seconds
        while True:
            received.append(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
    assert ws.close_code == 1008
    return received


def test_revoking_a_token_closes_its_open_live_feed(kiosk_process):
    """At once when revoked through the server; within seconds when revoked with the CLI."""
    from conftest import run_kiosk

    proc, tokens = kiosk_process(seed=False)
    organizer = {"Authorization": f"Bearer {tokens['organizer']}"}
    phones = [requests.post(proc.url + "/api/tokens", json={"role": "volunteer", "label": f"phone {n}"}, headers=organizer,
                            timeout=10).json()["token"] for n in (1, 2)]
    ids = [t["id"] for t in requests.get(proc.url + "/api/tokens", headers=organizer, timeout=10).json()["tokens"][-2:]]
    ws_url = proc.url.replace("http://", "ws://")
    with connect(f"{ws_url}/ws/live?token={phones[0]}", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        assert requests.delete(f"{proc.url}/api/tokens/{ids[0]}", headers=organizer, timeout=10).json()["result"] == "revoked"
        requests.post(proc.url + "/api/attendees", json={"name": "Private Person", "email": "private@example.org"},
                      headers={"Authorization": f"Bearer {tokens['volunteer']}"}, timeout=10)
        assert not any("private@example.org" in message for message in _closed_by_server(ws, 3))
    with connect(f"{ws_url}/ws/live?token={phones[1]}", open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        run_kiosk(proc.config_path, "token", "revoke", str(ids[1]))
        _closed_by_server(ws, 12)


def test_unknown_api_paths_and_methods_answer_json_and_pages_html(server):
    missing = server.get("/api/no-such-thing")
    assert missing.status_code == 404 and missing.json()["result"] == "not_found"
    wrong_method = server.client("organizer").put(server.url + "/api/headcount", timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.json()["result"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    page = server.get("/no-such-page", None)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")


def test_revoking_a_token_closes_its_idle_camera_socket_too(kiosk_process):
    """/ws/camera looked at its sign-in only when a frame came: an idle one stayed open after its
    token was revoked (an auth review, session 15)."""
    proc, tokens = kiosk_process(seed=False)
    organizer = {"Authorization": f"Bearer {tokens['organizer']}"}
    made = requests.post(proc.url + "/api/tokens", json={"role": "kiosk", "label": "door camera"}, headers=organizer,
                         timeout=10).json()
    token_id = requests.get(proc.url + "/api/tokens", headers=organizer, timeout=10).json()["tokens"][-1]["id"]
    with connect(f"{proc.url.replace('http://', 'ws://')}/ws/camera?token={made['token']}", open_timeout=5) as ws:
        revoked = requests.delete(f"{proc.url}/api/tokens/{token_id}", headers=organizer, timeout=10)
        assert revoked.json()["result"] == "revoked"
        assert _closed_by_server(ws, 5) == []
