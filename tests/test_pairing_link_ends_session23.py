"""A pairing link ends with the sign-in that made it (session 23). A volunteer showed the kiosk's
pairing QR from their phone and signed out; the link (the QR left on screen, or photographed)
still signed any browser in as the kiosk for 16 hours, and its token worked as a bearer token
(a console's QR: names, by search and by the live feed). The browsers it paired meanwhile stay
signed in: the door's kiosk must not stop because the volunteer who paired it went home."""

from __future__ import annotations

import json
import re

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import PINS


def pin_browser(server, role: str) -> tuple[requests.Session, str]:
    """A browser signed in with the role's PIN, and its session's CSRF token."""
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10).text
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert browser.post(server.url + "/login", data={"pin": PINS[role], "csrf": form_csrf}, allow_redirects=False,
                        timeout=10).status_code == 302
    return browser, browser.get(server.url + "/api/csrf", timeout=10).json()["csrf"]


def pairing_link(server, browser: requests.Session, csrf: str, role: str = "kiosk") -> str:
    made = browser.post(server.url + "/api/pairings", json={"role": role}, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert made.status_code == 201
    return "/pair?" + made.json()["url"].split("/pair?", 1)[1]


def open_link(server, link: str, browser: requests.Session | None = None) -> requests.Response:
    return (browser or requests.Session()).get(server.url + link, allow_redirects=False, timeout=10)


def test_a_pairing_link_stops_pairing_once_its_volunteer_signs_out(server):
    volunteer, csrf = pin_browser(server, "volunteer")
    link = pairing_link(server, volunteer, csrf)
    tablet = requests.Session()
    assert open_link(server, link, tablet).headers["Location"].endswith("/kiosk")

    assert volunteer.post(server.url + "/logout", headers={"X-CSRF-Token": csrf}, allow_redirects=False,
                          timeout=10).status_code == 302
    stranger = requests.Session()
    late = open_link(server, link, stranger)
    assert late.status_code == 401 and "This pairing link is not valid any more" in late.text
    assert stranger.get(server.url + "/api/csrf", timeout=10).json()["role"] is None
    token = link.split("token=", 1)[1]  # the same token, as a scanner script's bearer token
    scan = requests.post(server.url + "/api/checkins", json={"code": server.people()[1]["ticket_code"], "station": "x"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert scan.status_code == 401 and server.people()[1]["checked_in_at"] is None

    # The tablet paired before the sign-out is still the kiosk, and still checks people in.
    assert tablet.get(server.url + "/kiosk", allow_redirects=False, timeout=10).status_code == 200
    tablet_csrf = tablet.get(server.url + "/api/csrf", timeout=10).json()
    assert tablet_csrf["role"] == "kiosk"
    scanned = tablet.post(server.url + "/api/checkins", json={"code": server.people()[0]["ticket_code"], "station": "door-1"},
                          headers={"X-CSRF-Token": tablet_csrf["csrf"]}, timeout=10)
    assert scanned.status_code == 201


def test_a_pairing_link_ends_when_its_browser_signs_in_as_someone_else(server):
    """A new sign-in in that browser ends its old one (kiosk.pages._sign_in), and the link with it;
    a link made in another browser still signed in goes on pairing."""
    volunteer, csrf = pin_browser(server, "volunteer")
    link = pairing_link(server, volunteer, csrf, role="volunteer")
    other, other_csrf = pin_browser(server, "volunteer")
    other_link = pairing_link(server, other, other_csrf)

    page = volunteer.get(server.url + "/login", timeout=10).text
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    volunteer.post(server.url + "/login", data={"pin": PINS["organizer"], "csrf": form_csrf}, timeout=10)
    assert volunteer.get(server.url + "/api/csrf", timeout=10).json()["role"] == "organizer"

    assert open_link(server, link).status_code == 401
    assert open_link(server, other_link).headers["Location"].endswith("/kiosk")
    assert requests.get(server.url + "/api/attendees?q=a", headers={"Authorization": f"Bearer {link.split('token=')[1]}"},
                        timeout=10).status_code == 401


def test_a_live_feed_opened_with_a_console_links_token_closes_when_its_volunteer_signs_out(server):
    volunteer, csrf = pin_browser(server, "volunteer")
    token = pairing_link(server, volunteer, csrf, role="volunteer").split("token=", 1)[1]
    with connect(f"{server.ws_url}/ws/live?token={token}", open_timeout=5, close_timeout=1) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        volunteer.post(server.url + "/logout", headers={"X-CSRF-Token": csrf}, timeout=10)
        arrival = server.people()[3]
        assert server.scan(arrival["ticket_code"]).status_code == 201
        # Until the server's close frame (Werkzeug may keep the TCP connection a while after it).
        with pytest.raises((ConnectionClosed, TimeoutError)):
            for _ in range(40):
                message = json.loads(ws.recv(timeout=3))
                assert (message.get("attendee") or {}).get("name") != arrival["name"], "a name after the sign-out"
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1008
