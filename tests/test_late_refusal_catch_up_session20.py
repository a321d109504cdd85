"""A late refusal told while no volunteer console was connected reaches the next one that connects."""

from __future__ import annotations

import json
from urllib.parse import quote

from websockets.sync.client import connect

LATE = {"late": True, "saved_at": "2026-11-26T18:42:00.000Z", "station": "door-1"}


def _until_snapshot(url: str) -> list[dict]:
    """Everything a console is sent on connecting, up to and including the snapshot."""
    with connect(url, open_timeout=5) as ws:
        messages = [json.loads(ws.recv(timeout=5))]
        while messages[-1]["type"] != "snapshot":
            messages.append(json.loads(ws.recv(timeout=5)))
    return messages


def test_a_console_back_from_the_outage_gets_the_late_refusal_it_missed_once(server):
    """The outage that made the kiosk save scans dropped the volunteers' phones too: the kiosk's
    saved scans arrive before any console is back, and the warning used to reach nobody."""
    reused = server.people()[0]
    url = f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}"
    since = _until_snapshot(url)[-1]["server_time"]
    server.scan(reused["ticket_code"])
    refused = server.post("/api/checkins", "kiosk", json={"code": reused["ticket_code"], "nonce": "n1", **LATE})
    assert refused.json()["result"] == "already_checked_in"

    back = _until_snapshot(f"{url}&since={quote(since)}")
    missed = [m for m in back if m["type"] == "late_refusal"]
    assert [(m["attendee"]["name"], m["station"], m["saved_at"], m["catch_up"]) for m in missed] == [
        (reused["name"], "door-1", LATE["saved_at"], True)]
    assert missed[0]["server_time"] > since

    later = _until_snapshot(f"{url}&since={quote(back[-1]['server_time'])}")
    assert [m["type"] for m in later] == ["snapshot"]  # told once: not again on the next reconnect
    opened = _until_snapshot(f"{url}&since={quote('1970-01-01T00:00:00+00:00')}")  # a console opened now
    assert [m["attendee"]["id"] for m in opened if m["type"] == "late_refusal"] == [reused["id"]]
