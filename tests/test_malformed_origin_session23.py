"""An Origin header that is no URL (session 23): `Origin: http://[::1` (urlsplit refuses it) on a
websocket handshake signed in by cookie was a 500 with a traceback; it names no server of ours,
so the handshake is refused as another site's (403 `cross_site`), and the PIN form posted with
it is "The form expired" (400), as another site's form is."""

from __future__ import annotations

import re
from typing import Any

import requests

from conftest import PINS

BAD_ORIGIN = "http://[::1"


def volunteer_cookie(server: Any) -> str:
    browser = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(server.url + "/login", timeout=10).text).group(1)
    assert browser.post(server.url + "/login", data={"csrf": csrf, "pin": PINS["volunteer"]}, allow_redirects=False,
                        timeout=10).status_code == 302
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def test_a_live_feed_handshake_with_an_origin_that_is_no_url_is_refused_not_a_500(server):
    answer = requests.get(server.url + "/ws/live", timeout=10, headers={
        "Cookie": volunteer_cookie(server), "Origin": BAD_ORIGIN, "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert answer.status_code == 403, answer.text[:300]
    assert answer.json()["result"] == "cross_site"


def test_a_pin_form_posted_with_an_origin_that_is_no_url_is_refused_not_a_500(server):
    answer = requests.post(server.url + "/login", data={"pin": PINS["organizer"], "csrf": "stale"},
                           headers={"Origin": BAD_ORIGIN}, allow_redirects=False, timeout=10)
    assert answer.status_code == 400 and "The form expired" in answer.text
