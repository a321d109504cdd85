"""The live headcount and feed over real websockets, against a real server."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import quote

import requests
from websockets.sync.client import connect

from conftest import FIXTURES


def recv_json(ws, timeout: float = 5.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_until(ws, predicate, timeout: float = 5.0) -> dict:
    """Read messages until one matches (the server may coalesce several changes into one)."""
    deadline = time.monotonic() + timeout
    while True:
        message = recv_json(ws, max(deadline - time.monotonic(), 0.01))
        if predicate(message):
            return message


def test_headcount_socket_sends_state_on_connect_and_after_every_kind_of_change(server):
    people = server.people()
    with connect(server.ws_url + "/ws/headcount", open_timeout=5) as ws:
        assert recv_json(ws)["checked_in"] == 0
        server.scan(people[0]["ticket_code"], station="door-2")
        assert recv_until(ws, lambda m: m["checked_in"] == 1)["expected"] == 237
        server.delete(f"/api/checkins/{people[0]['id']}", "volunteer")
        assert recv_until(ws, lambda m: m["checked_in"] == 0)["checked_in"] == 0
        server.post("/api/attendees", "volunteer", json={"name": "Walk In", "check_in": True})
        assert recv_until(ws, lambda m: m["walk_ins"] == 1)["checked_in"] == 1
        with (FIXTURES / "imports" / "plain.csv").open("rb") as fh:
            server.post("/api/imports", files={"file": ("plain.csv", fh)})
        assert recv_until(ws, lambda m: m["expected"] > 237)["expected"] > 237


def test_headcount_socket_carries_no_personal_data(server):
    people = server.people()
    frames = []
    with connect(server.ws_url + "/ws/headcount", open_timeout=5) as ws:
        frames.append(ws.recv(timeout=5))
        for person in people[:5]:
            server.scan(person["ticket_code"])
        frames.append(json.dumps(recv_until(ws, lambda m: m["checked_in"] == 5)))
    text = "\n".join(frames)
    for person in people[:5]:
        assert person["name"] not in text and person["email"] not in text and person["ticket_code"] not in text


def test_live_feed_shows_arrivals_undos_and_walk_ins_with_names(server):
    person = server.people()[3]
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        assert recv_json(ws)["type"] == "snapshot"
        server.scan(person["ticket_code"], station="door-3")
        arrival = recv_until(ws, lambda m: m["type"] == "checked_in")
        assert arrival["attendee"]["name"] == person["name"] and arrival["station"] == "door-3"
        assert arrival["headcount"]["checked_in"] == 1
        server.delete(f"/api/checkins/{person['id']}", "volunteer")
        undo = recv_until(ws, lambda m: m["type"] == "undone")
        assert undo["attendee"]["id"] == person["id"] and undo["headcount"]["checked_in"] == 0
        server.post("/api/attendees", "volunteer", json={"name": "Zoë Walk-in", "company": "Acme", "check_in": True})
        walk_in = recv_until(ws, lambda m: m["type"] == "walk_in")
        assert walk_in["attendee"]["name"] == "Zoë Walk-in" and walk_in["checked_in"] is True


def test_reconnecting_client_gets_current_state_at_once(server):
    people = server.people()
    with connect(server.ws_url + "/ws/headcount", open_timeout=5) as ws:
        assert recv_json(ws)["checked_in"] == 0
    for person in people[:4]:
        server.scan(person["ticket_code"])
    with connect(server.ws_url + "/ws/headcount", open_timeout=5) as ws:
        started = time.monotonic()
        assert recv_json(ws, timeout=2)["checked_in"] == 4
        assert time.monotonic() - started < 0.5


def _stalled_socket(url: str, path: str) -> socket.socket:
    """A websocket that completes the handshake and then never reads (a phone gone to sleep)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect((host, int(port)))
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    assert b"101" in sock.recv(12)
    return sock


def test_a_stalled_client_does_not_delay_the_others(kiosk_process):
    proc, tokens = kiosk_process()
    codes = [p["ticket_code"] for p in requests.get(proc.url + "/api/attendees?limit=500", timeout=10,
                                                   headers={"Authorization": f"Bearer {tokens['volunteer']}"}).json()["attendees"]
             if p["status"] == "attending"]
    stalled = [_stalled_socket(proc.url, f"/ws/live?token={tokens['volunteer']}") for _ in range(3)]
    stalled += [_stalled_socket(proc.url, "/ws/headcount") for _ in range(3)]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tokens['kiosk']}"
    worst = 0.0
    with connect(proc.url.replace("http", "ws") + "/ws/headcount", open_timeout=5) as ws:
        recv_json(ws)
        for n, code in enumerate(codes[:150], start=1):
            answered = session.post(proc.url + "/api/checkins", json={"code": code, "station": "door-1"}, timeout=10)
            assert answered.status_code == 201
            sent = time.monotonic()
            recv_until(ws, lambda m: m["checked_in"] >= n, timeout=5)
            worst = max(worst, time.monotonic() - sent)
    for sock in stalled:
        sock.close()
    assert worst < 0.5, f"a reading client waited {worst:.3f}s for a count"


def test_a_late_scan_refused_reaches_the_volunteers_feed_but_not_the_public_headcount(server):
    people = server.people()
    server.scan(people[0]["ticket_code"])  # already in: a reused ticket
    late = {"station": "door-1", "late": True, "saved_at": "2026-11-26T18:42:00.000Z"}
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as live, \
            connect(server.ws_url + "/ws/headcount", open_timeout=5) as public:
        assert recv_json(live)["type"] == "snapshot"
        first_count = public.recv(timeout=5)
        server.post("/api/checkins", "kiosk", json={"code": "K1-ZZZZZZZZ-ZZZZZZZZZZZZZ", "nonce": "n1", **late})
        server.post("/api/checkins", "kiosk", json={"code": people[0]["ticket_code"], "nonce": "n2", **late})
        server.post("/api/checkins", "kiosk", json={"code": people[1]["ticket_code"], "nonce": "n3", **late})
        server.scan("K1-YYYYYYYY-YYYYYYYYYYYYY")  # refused but not late: the kiosk showed it at once
        refusals = [recv_until(live, lambda m: m["type"] == "late_refusal") for _ in range(2)]
        assert [(m["result"], m["station"], m["saved_at"]) for m in refusals] == [
            ("invalid_code", "door-1", late["saved_at"]), ("already_checked_in", "door-1", late["saved_at"])]
        assert refusals[1]["attendee"]["name"] == people[0]["name"]
        arrival = recv_until(live, lambda m: m["type"] in ("checked_in", "late_refusal"))
        assert arrival["type"] == "checked_in"  # the late scan that was fine is an ordinary arrival
        public_frames = [json.loads(public.recv(timeout=5))]
        assert public_frames[0]["checked_in"] == json.loads(first_count)["checked_in"] + 1
        assert "late_refusal" not in first_count + json.dumps(public_frames)
        time.sleep(0.5)
        try:
            extra = live.recv(timeout=0.5)
        except TimeoutError:
            extra = None
        assert extra is None or json.loads(extra)["type"] != "late_refusal"  # the plain refusal is not announced


def test_a_quiet_door_still_sends_a_heartbeat_on_both_sockets(server):
    """Browsers never see websocket pings: a page can tell a quiet door from a dead socket only
    if something arrives now and then."""
    server.app.config["LIVE_HEARTBEAT_SECONDS"] = 0.5
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as live, \
            connect(server.ws_url + "/ws/headcount", open_timeout=5) as public:
        assert recv_json(live)["type"] == "snapshot"
        first = recv_json(public)
        beat = recv_json(live, timeout=2)
        assert beat["type"] == "heartbeat" and beat["headcount"]["checked_in"] == 0 and beat["server_time"]
        assert recv_json(public, timeout=2) == first  # the same count again: the contract's object, nothing else


def test_a_console_reconnecting_with_since_gets_what_it_missed_once(server):
    people = server.people()
    url = f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}"
    server.scan(people[0]["ticket_code"])
    with connect(url, open_timeout=5) as ws:
        since = recv_json(ws)["server_time"]
    # away: two arrivals, one of them undone again, and a walk-in checked in
    for person in people[1:3]:
        server.scan(person["ticket_code"], station="door-2")
    server.delete(f"/api/checkins/{people[2]['id']}", "volunteer")
    server.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin", "check_in": True})
    with connect(f"{url}&since={quote(since)}", open_timeout=5) as ws:
        messages = []
        while not messages or messages[-1]["type"] != "snapshot":
            messages.append(recv_json(ws))
    missed = [(m["type"], m["attendee"]["name"]) for m in messages if m.get("catch_up")]
    assert missed == [("checked_in", people[1]["name"]), ("undone", people[2]["name"]), ("walk_in", "Wanda Walkin")]  # as told live
    assert messages[-1]["headcount"]["checked_in"] == 3
    assert all(m["server_time"] >= since for m in messages)
