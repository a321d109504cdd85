"""More hostile input, against a real server on 127.0.0.1: each case is refused with a 4xx and
changes nothing, or is answered as the contract says; never a 500, a hang or a leak.

Each test here failed before the fix it names (the commit message says which).
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import socket
import time
from typing import Any

import pytest
import requests
import simple_websocket
from websockets.sync.client import connect

from conftest import PINS


def fingerprint(server: Any) -> str:
    """Everything a request could change: people, check-ins, scans, tokens, the audit trail."""
    with server.state.store.read() as db:
        rows = [tuple(r) for table in ("attendees", "scans", "tokens", "audit")
                for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.parametrize("body", [{"role": ["kiosk"]}, {"role": {"kiosk": 1}}, {"role": "kiosk", "label": {"a": [1]}},
                                  {"role": "kiosk", "label": ["x"]}])
def test_a_token_request_with_a_role_or_label_that_is_not_text_is_refused(server, body):
    before = fingerprint(server)
    response = server.post("/api/tokens", "organizer", json=body)
    assert (response.status_code, response.json()["result"]) == (422, "invalid"), response.text
    assert fingerprint(server) == before


def login_form(server: Any) -> tuple[requests.Session, str]:
    """A browser on the login page: its session and the form's CSRF token."""
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10).text
    return browser, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("next_url, location", [
    ("/\\evil.example", "/kiosk"),              # a browser goes to //evil.example
    ("/\\/evil.example/x", "/kiosk"),
    ("/\r\nSet-Cookie: planted=1", "/kiosk"),  # was a 500: no line break in a header
    ("/display\x00", "/kiosk"),
    ("/display", "/display"),                   # a local page is still where the login goes
])
def test_a_login_goes_only_to_a_local_page(server, next_url, location):
    browser, csrf = login_form(server)
    response = browser.post(server.url + "/login", data={"pin": PINS["kiosk"], "csrf": csrf, "next": next_url},
                            timeout=10, allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302, location)
    assert "planted" not in response.headers.get("Set-Cookie", "")


def raw_http(server: Any, request: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Send bytes as they are (no client library to tidy them up); the status and body answered."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _length(answer: bytes) -> int:
    found = re.search(rb"(?i)\r\ncontent-length: *(\d+)", answer)
    return int(found.group(1)) if found else 1 << 30


@pytest.mark.parametrize("path", ["/ws/headcount", "/ws/live?token={volunteer}"])
@pytest.mark.parametrize("headers", [
    b"Sec-WebSocket-Version: 13\r\n",                                        # no key
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n",
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",                      # no version
])
def test_a_malformed_websocket_handshake_is_a_400_not_a_500(server, path, headers):
    target = path.format(volunteer=server.tokens["volunteer"]).encode()
    status, body = raw_http(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                            b"Connection: Upgrade\r\n" + headers + b"Connection: close\r\n\r\n")
    assert (status, json.loads(body)["result"]) == (400, "bad_request")
    assert server.get("/api/headcount", None).status_code == 200


def _unread_bytes() -> int:
    """What this process's websocket servers hold that their handlers have not read."""
    return sum(len(m) for o in gc.get_objects() if _is_websocket(o) for m in o.input_buffer)


def _is_websocket(o: object) -> bool:
    """isinstance() on a weak proxy whose object has gone raises ReferenceError: such a one is none."""
    try:
        return isinstance(o, simple_websocket.Server)
    except ReferenceError:
        return False


@pytest.mark.parametrize("path", ["/ws/headcount", "/ws/live?token={volunteer}"])
def test_frames_sent_into_a_feed_are_not_kept_by_the_server(server, path):
    """The feeds never read what a client sends: a stranger streaming frames must not fill memory."""
    frame = b"x" * 500_000
    with connect(server.ws_url + path.format(volunteer=server.tokens["volunteer"]), open_timeout=5) as ws:
        ws.recv(timeout=5)
        for _ in range(20):
            ws.send(frame)
        ws.ping().wait(timeout=5)  # the server has read everything sent before the ping
        time.sleep(0.2)
        assert _unread_bytes() < len(frame)
        server.scan(server.people()[0]["ticket_code"])
        message = json.loads(ws.recv(timeout=5))  # and the feed goes on
        assert message.get("headcount", message)["checked_in"] == 1


def _served(proc: Any) -> Any:
    """A `kiosk serve` process where raw_http expects a server."""
    return type("Served", (), {"url": proc.url})()


BROKEN_CHUNKS = [b"zz\r\nabc\r\n0\r\n\r\n",            # a chunk size that is no number
                 b"3\r\nabcXY0\r\n\r\n",                 # a chunk without its CRLF
                 b"3;\x01\r\nabc\r\n0\r\n\r\n"]          # a control character in an extension


def test_a_broken_chunked_body_is_a_400_under_gunicorn_and_changes_nothing(kiosk_process):
    """gunicorn's chunked decoder raised from inside request.get_json(): a 500 with a traceback."""
    proc, tokens = kiosk_process()
    served = _served(proc)
    organizer = {"Authorization": f"Bearer {tokens['organizer']}"}
    state = lambda: [requests.get(proc.url + path, headers=organizer, timeout=10).json()  # noqa: E731
                     for path in ("/api/headcount", "/api/tokens", "/api/attendees?q=a&limit=500")]
    before = state()
    for path, role in (("/api/checkins", "kiosk"), ("/api/attendees", "volunteer"), ("/api/tokens", "organizer")):
        for body in BROKEN_CHUNKS:
            status, answer = raw_http(served, b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                      + tokens[role].encode() + b"\r\nContent-Type: application/json\r\n"
                                      b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body)
            assert (status, json.loads(answer)["result"]) == (400, "bad_request"), (path, body, answer)
    assert state() == before
    code = json.dumps({"code": before[2]["attendees"][0]["ticket_code"]}).encode()
    status, _ = raw_http(served, b"POST /api/checkins HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tokens["kiosk"].encode()
                         + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                         + b"%x\r\n%s\r\n0\r\n\r\n" % (len(code), code))
    assert status == 201  # a well-formed chunked scan still checks in
    proc.stop()
    assert "Traceback" not in proc.proc.stderr.read().decode()


WRONG_TYPES = [{"station": {"x": 1}}, {"station": ["door-1"]}, {"station": 7}, {"station": True},
               {"nonce": 1.5}, {"nonce": ["n"]}, {"nonce": {"n": 1}}, {"nonce": True}]


@pytest.mark.parametrize("fields", WRONG_TYPES)
def test_a_scan_whose_station_or_nonce_has_the_wrong_type_is_refused_both_ways(server, fields):
    """Was a check-in at station "{'x': 1}", or one whose nonce was silently dropped."""
    from test_access_control import pin_session

    browser, csrf = pin_session(server, "kiosk")
    before = fingerprint(server)
    body = {"code": server.people()[0]["ticket_code"], "station": "door-1", **fields}
    for send in (lambda: server.post("/api/checkins", "kiosk", json=body),   # bearer: kiosk.fast_scan
                 lambda: browser.post(server.url + "/api/checkins", json=body, headers={"X-CSRF-Token": csrf}, timeout=10)):
        response = send()
        assert (response.status_code, response.json()["result"]) == (400, "bad_request"), response.text
        assert next(iter(fields)) in response.json()["message"]
    assert fingerprint(server) == before


@pytest.mark.parametrize("station", [{"x": 1}, ["door-1"], 7])
@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/attendees/{id}/checkin", {}), ("POST", "/api/attendees", {"name": "Typed Station"}),
    ("POST", "/api/attendees/{id}/badge", {}), ("DELETE", "/api/checkins/{checked_in}", {}),
    ("POST", "/api/tokens", {"role": "kiosk"}),
])
def test_a_volunteer_change_with_a_station_that_is_not_text_is_refused(server, station, method, path, body):
    first, second = server.people()[:2]
    server.scan(second["ticket_code"])
    before = fingerprint(server)
    response = server.client("organizer").request(method, server.url + path.format(id=first["id"], checked_in=second["id"]),
                                                  json={**body, "station": station}, timeout=10)
    assert (response.status_code, response.json()["result"]) == (400, "bad_request"), response.text
    assert fingerprint(server) == before


@pytest.mark.parametrize("site, signed_out", [("cross-site", False), ("same-site", False),  # another port counts
                                               ("same-origin", True), (None, True)])        # our form; a script
def test_only_the_kiosks_own_pages_can_sign_a_browser_out(server, site, signed_out):
    from test_access_control import pin_session

    browser, _ = pin_session(server, "kiosk")
    response = browser.post(server.url + "/logout", headers={"Sec-Fetch-Site": site} if site else {}, timeout=10,
                            allow_redirects=False)
    assert response.status_code == (302 if signed_out else 403)
    assert browser.get(server.url + "/api/csrf", timeout=10).json()["role"] == (None if signed_out else "kiosk")
