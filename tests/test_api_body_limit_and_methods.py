"""The API's limits on what it is sent, against a real server on 127.0.0.1: a chunked JSON body over
1 MiB is refused as a sized one is (413), and OPTIONS is a wrong method like PUT (405, JSON).

Each test here failed before its fix: the chunked body was cut at 1 MiB and answered 400 "send a
JSON object"; OPTIONS answered 200 with an empty HTML body, and every 405 advertised it in Allow.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterator

import pytest
import requests

MIB = 1024 * 1024
# (path, role): a kiosk's bearer-token scan, the request kiosk.fast_scan takes when it has a
# Content-Length (a chunked one goes on to the Flask view), and a Flask-only route (a walk-in)
OVERSIZED_TARGETS = [("/api/checkins", "kiosk"), ("/api/attendees", "volunteer")]


def fingerprint(server: Any) -> str:
    """Everything a request could change: people, check-ins, scans, tokens, the audit trail."""
    with server.state.store.read() as db:
        rows = [tuple(r) for table in ("attendees", "scans", "tokens", "audit")
                for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def json_of_size(size: int, **fields: Any) -> bytes:
    """A JSON object with `fields`, padded to exactly `size` bytes."""
    empty = json.dumps({**fields, "padding": ""}).encode()
    return json.dumps({**fields, "padding": "x" * (size - len(empty))}).encode()


def in_chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked and no Content-Length."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def post_json(url: str, token: str, body: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return requests.post(url, data=body, headers=headers, timeout=60)


@pytest.mark.parametrize("path, role", OVERSIZED_TARGETS)
@pytest.mark.parametrize("size", [MIB + 1, 5 * MIB])
def test_a_chunked_json_body_over_a_mebibyte_is_a_413_like_a_sized_one(server, path, role, size):
    code = server.people()[0]["ticket_code"]
    body = json_of_size(size, code=code, station="door-1", name="Sam Lee", check_in=True)
    before = fingerprint(server)
    sized = post_json(server.url + path, server.tokens[role], body)
    chunked = post_json(server.url + path, server.tokens[role], in_chunks(body))
    assert sized.status_code == 413, sized.text
    assert chunked.status_code == 413, chunked.text
    assert chunked.headers["Content-Type"] == "application/json"
    assert chunked.json() == sized.json()
    assert chunked.json()["result"] == "request_entity_too_large"
    assert fingerprint(server) == before


def test_a_chunked_scan_of_exactly_a_mebibyte_is_read_whole(server):
    """The limit is the README's "over 1 MiB": a body that ends right at it is not too large."""
    person = server.people()[0]
    body = json_of_size(MIB, code=person["ticket_code"], station="door-1")
    response = post_json(server.url + "/api/checkins", server.tokens["kiosk"], in_chunks(body))
    assert response.status_code == 201, response.text
    assert response.json()["result"] == "checked_in"


def test_a_chunked_json_body_over_a_mebibyte_is_a_413_under_gunicorn(kiosk_process):
    """`kiosk serve` reads a chunked body through its own decoder (request_bodies.ChunkedBody, server.BodyWait)
    and reads away what the app left unread: the 413 reaches the client, and nothing changes."""
    proc, tokens = kiosk_process()
    organizer = {"Authorization": f"Bearer {tokens['organizer']}"}
    state = lambda: [requests.get(proc.url + path, headers=organizer, timeout=10).json()  # noqa: E731
                     for path in ("/api/headcount", "/api/attendees?q=a&limit=500")]
    before = state()
    code = before[1]["attendees"][0]["ticket_code"]
    for path, role in OVERSIZED_TARGETS:
        body = json_of_size(5 * MIB, code=code, station="door-1", name="Sam Lee", check_in=True)
        response = post_json(proc.url + path, tokens[role], in_chunks(body))
        assert response.status_code == 413, (path, response.text)
        assert response.json()["result"] == "request_entity_too_large"
    assert state() == before
    proc.stop()
    assert "Traceback" not in proc.proc.stderr.read().decode()


@pytest.mark.parametrize("path, allowed", [
    ("/api/checkins", {"POST"}),
    ("/api/headcount", {"GET", "HEAD"}),
    ("/api/attendees/1", {"GET", "HEAD"}),
    ("/api/pairings", {"POST"}),  # an API route the pages' blueprint holds
    ("/ws/live", {"GET", "HEAD"}),
])
def test_options_on_the_api_is_a_wrong_method_answered_in_json(server, path, allowed):
    """Same-origin only, no CORS: OPTIONS is answered as PUT is, and neither advertises OPTIONS."""
    client = server.client("organizer")
    options = client.options(server.url + path, timeout=10)
    put = client.put(server.url + path, timeout=10)
    for response in (options, put):
        assert response.status_code == 405, (response.request.method, response.text)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["result"] == "method_not_allowed"
        assert set(response.headers["Allow"].split(", ")) == allowed
    assert options.json() == put.json()
