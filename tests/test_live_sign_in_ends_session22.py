"""A console signed in by PIN whose sign-in ends while its live feed is open.

Flask looks at a session cookie's age only when a request arrives. A websocket opened with it
stayed open past the session's lifetime: every request of the page was refused (401), while the
live feed went on carrying each arrival's name to the phone, which said "Live".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import PINS, wait_until


def pin_session(server: Any, role: str = "volunteer") -> requests.Session:
    """A browser's session signed in with the role's PIN through the login form."""
    browser = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(server.url + "/login").text).group(1)
    answer = browser.post(server.url + "/login", data={"csrf": csrf, "pin": PINS[role]}, allow_redirects=False)
    assert answer.status_code == 302
    return browser


def test_the_live_feed_closes_when_the_pin_sign_in_ends(server: Any) -> None:
    server.app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(seconds=3)  # the evening's 16 hours, shortened
    server.app.config["LIVE_HEARTBEAT_SECONDS"] = 0.5
    browser = pin_session(server)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    first, second = server.people()[:2]
    with connect(f"{server.ws_url}/ws/live", additional_headers={"Cookie": cookie, "Origin": server.url},
                 open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        assert server.scan(first["ticket_code"]).status_code == 201
        names = []
        while first["name"] not in names:
            message = json.loads(ws.recv(timeout=5))
            names.append((message.get("attendee") or {}).get("name"))
        wait_until(lambda: browser.get(server.url + "/api/attendees?q=a").status_code == 401, timeout=10,
                   what="the sign-in to end")
        assert server.scan(second["ticket_code"]).status_code == 201
        # Until the server's close frame: the in-process test server (Werkzeug, unlike gunicorn) can keep
        # the TCP connection open after it while it drains the client's reply, so recv may only time out.
        with pytest.raises((ConnectionClosed, TimeoutError)):
            for _ in range(40):  # heartbeats until the server closes it
                message = json.loads(ws.recv(timeout=3))
                assert (message.get("attendee") or {}).get("name") != second["name"], "a name after the sign-in ended"
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1008
