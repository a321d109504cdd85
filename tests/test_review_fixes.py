"""Edges found in review: each once answered 500, hid who acted, or printed for someone undone."""

from __future__ import annotations

import io
import json
import re

import requests
from PIL import Image
from websockets.sync.client import connect

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


def test_pairing_with_a_body_that_is_not_an_object_pairs_a_kiosk(server):
    response = server.post("/api/pairings", "volunteer", json=[1])
    assert response.status_code == 201 and response.json()["role"] == "kiosk"


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
