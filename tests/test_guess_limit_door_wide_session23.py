"""Code guessing with a kiosk token (session 23): a new station name and a new address with every
scan no longer buys a fresh limit. Each scan below connects from its own loopback address
(127.0.x.y are all this machine), as a guesser on the venue Wi-Fi changing address would."""

from __future__ import annotations

import http.client
import json
from typing import Any


def scan_from(server: Any, address: str, code: str, station: str) -> http.client.HTTPResponse:
    """POST /api/checkins with the kiosk token, connecting from `address`; the answer, read."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(address, 0))
    try:
        connection.request("POST", "/api/checkins", json.dumps({"code": code, "station": station}),
                           {"Authorization": f"Bearer {server.tokens['kiosk']}", "Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.body = json.loads(answer.read())
        return answer
    finally:
        connection.close()


def test_a_guesser_changing_station_and_address_with_every_scan_is_held_door_wide(make_server):
    """Was: 200 made-up codes, each from its own station and address, were all tried (404)."""
    srv = make_server(max_failed_scans=5)
    answers = [scan_from(srv, f"127.0.{1 + i // 200}.{2 + i % 200}", f"TITO-{i:05d}", f"door-{i}") for i in range(60)]
    statuses = [answer.status for answer in answers]
    assert statuses == [404] * 15 + [429] * 45, statuses  # three times the station's limit, door-wide
    assert all(answer.body["result"] == "too_many_attempts" for answer in answers[15:])
    assert all(1 <= int(answer.getheader("Retry-After")) <= 60 for answer in answers[15:])

    # Meanwhile a genuine signed ticket still gets in at any station, from any address.
    person = srv.people()[0]
    admitted = scan_from(srv, "127.0.9.9", person["ticket_code"], "door-new")
    assert admitted.status == 201 and admitted.body["result"] == "checked_in"
    assert srv.get("/api/headcount", None).json()["checked_in"] == 1


def test_a_busy_door_refusing_codes_at_several_kiosks_is_not_held(make_server):
    """Four kiosks, each refusing three codes in the same minute (12 at the door; a real evening
    refuses a few dozen an hour): under every bound, each refusal is told as such, never a 429."""
    srv = make_server(max_failed_scans=5)
    statuses = [scan_from(srv, f"127.0.4.{kiosk}", f"WRONG-{kiosk}-{i}", f"kiosk-{kiosk}").status
                for i in range(3) for kiosk in range(1, 5)]
    assert statuses == [404] * 12, statuses
