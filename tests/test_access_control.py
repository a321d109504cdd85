"""Every non-public route refuses a stranger (401) and a too-weak role (403).

The route list is read from the app itself, so a route added later without a
declared role fails here instead of being forgotten.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from conftest import PINS
from kiosk import auth, live

PUBLIC = {"/", "/login", "/logout", "/pair", "/display", "/api/headcount", "/api/event", "/api/csrf",
          "/static/<path:filename>", "/ws/headcount"}
WEAKER = {"kiosk": None, "volunteer": "kiosk", "organizer": "volunteer"}


def routes(app):
    """(path, methods, required role, is websocket) for every rule of the app."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        role = live.WS_ROLES.get(rule.endpoint) if rule.websocket else getattr(view, "required_role", None)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        found.append((rule.rule, methods, role, rule.websocket))
    return found


def concrete(path: str) -> str:
    return re.sub(r"<(?:int:)?[a-z_]+>", "1", path)


def test_every_route_is_public_or_declares_a_role(server):
    undeclared = [path for path, _, role, _ in routes(server.app) if role is None and path not in PUBLIC]
    assert undeclared == []


def http_cases(app):
    for path, methods, role, ws in routes(app):
        if role is None or ws:
            continue
        for method in methods:
            yield path, method, role


def test_http_routes_refuse_strangers_and_weaker_roles(server):
    checked = 0
    for path, method, role in http_cases(server.app):
        url = server.url + concrete(path)
        anonymous = requests.request(method, url, json={}, headers={"Accept": "application/json"}, timeout=10)
        assert anonymous.status_code == 401, f"{method} {path} without credentials: {anonymous.status_code}"
        weaker = WEAKER[role]
        if weaker:
            response = server.client(weaker).request(method, url, json={}, headers={"Accept": "application/json"}, timeout=10)
            assert response.status_code == 403, f"{method} {path} as {weaker}: {response.status_code}"
        checked += 1
    assert checked >= 20


def test_websockets_refuse_strangers_and_weaker_roles(server):
    checked = 0
    for path, _, role, ws in routes(server.app):
        if not ws or role is None:
            continue
        with pytest.raises(InvalidStatus) as refused:
            connect(server.ws_url + path, open_timeout=5).close()
        assert refused.value.response.status_code == 401
        weaker = WEAKER[role]
        if weaker:
            with pytest.raises(InvalidStatus) as refused:
                connect(server.ws_url + path, additional_headers={"Authorization": f"Bearer {server.tokens[weaker]}"},
                        open_timeout=5).close()
            assert refused.value.response.status_code == 403
            with pytest.raises(InvalidStatus):
                connect(f"{server.ws_url}{path}?token={server.tokens[weaker]}", open_timeout=5).close()
        checked += 1
    assert checked >= 2


def test_websocket_accepts_token_in_query_and_header(server):
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as ws:
        assert '"snapshot"' in ws.recv(timeout=5)
    with connect(server.ws_url + "/ws/live", additional_headers={"Authorization": f"Bearer {server.tokens['organizer']}"},
                 open_timeout=5) as ws:
        assert '"snapshot"' in ws.recv(timeout=5)


def pin_session(server, role: str) -> tuple[requests.Session, str]:
    """A browser-like session logged in with the role's PIN; returns it with its CSRF token."""
    session = requests.Session()
    page = session.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = session.post(server.url + "/login", data={"pin": PINS[role], "csrf": csrf}, timeout=10)
    assert response.status_code == 200 and response.url.endswith(auth.HOME[role])
    meta = re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)
    return session, meta


def test_pin_login_gives_a_session_and_changes_need_csrf(server):
    session, csrf = pin_session(server, "volunteer")
    person = server.people()[0]
    url = f"{server.url}/api/attendees/{person['id']}/checkin"
    assert session.post(url, json={}, timeout=10).status_code == 403
    assert session.post(url, json={}, headers={"X-CSRF-Token": "forged"}, timeout=10).status_code == 403
    assert server.get("/api/headcount", None).json()["checked_in"] == 0
    assert session.post(url, json={}, headers={"X-CSRF-Token": csrf}, timeout=10).status_code == 201
    assert session.get(server.url + "/api/export", timeout=10).status_code == 403


def test_csrf_endpoint_gives_the_current_sessions_token_after_a_new_sign_in(server):
    stranger = requests.get(server.url + "/api/csrf", timeout=10).json()
    assert stranger["role"] is None and stranger["csrf"]
    session, old = pin_session(server, "kiosk")
    # signed in again with another role (another tab): a new session with a new token; the page
    # still holds `old` (the same role's PIN keeps the sign-in: test_login_two_tabs_session23.py)
    page = session.get(server.url + "/login", timeout=10).text
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    session.post(server.url + "/login", data={"pin": PINS["volunteer"], "csrf": login_csrf}, timeout=10)
    body = {"code": server.people()[0]["ticket_code"], "station": "door-1"}
    stale = session.post(server.url + "/api/checkins", json=body, headers={"X-CSRF-Token": old}, timeout=10)
    assert (stale.status_code, stale.json()["result"]) == (403, "csrf")
    fresh = session.get(server.url + "/api/csrf", timeout=10)
    assert fresh.json()["role"] == "volunteer" and fresh.json()["csrf"] != old
    assert fresh.headers["Cache-Control"] == "no-store"
    retried = session.post(server.url + "/api/checkins", json=body, headers={"X-CSRF-Token": fresh.json()["csrf"]}, timeout=10)
    assert retried.status_code == 201


def test_wrong_pins_are_rate_limited(server):
    session = requests.Session()
    page = session.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    statuses = [session.post(server.url + "/login", data={"pin": "0000", "csrf": csrf}, timeout=10).status_code
                for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    right = session.post(server.url + "/login", data={"pin": PINS["organizer"], "csrf": csrf}, timeout=10)
    assert right.status_code == 429
    wait = int(right.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert f"Try again in {wait} second" in right.text and "pairing link" in right.text


def test_pairing_link_signs_a_browser_in_with_the_tokens_role(server):
    session = requests.Session()
    response = session.get(f"{server.url}/pair?token={server.tokens['kiosk']}", timeout=10)
    assert response.url.endswith("/kiosk") and response.status_code == 200
    assert session.get(server.url + "/volunteer", headers={"Accept": "application/json"}, timeout=10).status_code == 403
    bad = requests.get(f"{server.url}/pair?token=nope", timeout=10)
    assert bad.status_code == 401


def test_display_page_needs_no_login(server):
    response = requests.get(server.url + "/display", timeout=10)
    assert response.status_code == 200
    for person in server.people()[:50]:
        assert person["name"] not in response.text


def test_a_request_in_flight_at_logout_cannot_sign_the_browser_back_in(server):
    """Reads do not send the session cookie again; only logins and other session changes do."""
    session, _ = pin_session(server, "volunteer")
    read = session.get(server.url + "/api/attendees", timeout=10)
    assert read.status_code == 200 and "kiosk_session" not in read.headers.get("Set-Cookie", "")
    session.post(server.url + "/logout", data={}, timeout=10, allow_redirects=False)
    assert session.get(server.url + "/api/attendees", timeout=10).status_code == 401


def test_a_cookie_signed_live_feed_opens_only_from_the_kiosks_own_pages(server):
    """Another site's page (another port of this laptop counts as the same site) must not read names."""
    session, _ = pin_session(server, "volunteer")
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    own = server.url  # http://127.0.0.1:PORT, as the console's page sends it
    with connect(server.ws_url + "/ws/live", additional_headers={"Cookie": cookie, "Origin": own}, open_timeout=5) as ws:
        assert '"snapshot"' in ws.recv(timeout=5)
    with pytest.raises(InvalidStatus) as refused:
        connect(server.ws_url + "/ws/live", additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1:1"},
                open_timeout=5)
    assert refused.value.response.status_code == 403
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}",  # a token needs no Origin check
                 additional_headers={"Origin": "http://elsewhere.example"}, open_timeout=5) as ws:
        assert '"snapshot"' in ws.recv(timeout=5)


def test_a_copy_of_a_signed_out_cookie_is_refused_everywhere_even_after_a_restart(kiosk_process):
    """Signing out only cleared the browser's cookie: a copy of it (a shared laptop) went on reading
    names, registering walk-ins and opening the live feed for 16 hours (an auth review, session 15)."""
    proc, _ = kiosk_process()
    server = type("Running", (), {"url": proc.url})()
    session, csrf = pin_session(server, "volunteer")
    copied = dict(session.cookies)
    assert requests.get(proc.url + "/api/attendees?q=a", cookies=copied, timeout=10).status_code == 200
    signed_out = session.post(proc.url + "/logout", data={"csrf": csrf}, timeout=10, allow_redirects=False)
    assert signed_out.status_code == 302

    def refused_everywhere() -> None:
        assert requests.get(proc.url + "/api/attendees?q=a", cookies=copied, timeout=10).status_code == 401
        walk_in = requests.post(proc.url + "/api/attendees", json={"name": "Copied Cookie"}, cookies=copied,
                                headers={"X-CSRF-Token": csrf}, timeout=10)
        assert walk_in.status_code == 401
        cookie = "; ".join(f"{name}={value}" for name, value in copied.items())
        with pytest.raises(InvalidStatus) as socket_refused:
            connect(proc.url.replace("http://", "ws://") + "/ws/live",
                    additional_headers={"Cookie": cookie, "Origin": proc.url}, open_timeout=5)
        assert socket_refused.value.response.status_code == 401

    refused_everywhere()
    proc.stop()
    proc.start()
    refused_everywhere()
    again, _ = pin_session(server, "volunteer")  # signing in again is a new session, and works
    assert again.get(proc.url + "/api/attendees?q=a", timeout=10).status_code == 200


def test_another_sites_link_cannot_switch_a_signed_in_browser_to_another_role(server):
    """/pair changed the session for any link: another site could sign the volunteer console in as
    a kiosk token it had read off a pairing QR (an auth review, session 15). A QR code opened from
    the camera (Sec-Fetch-Site: none) and the kiosk's own pages still pair."""
    session, _ = pin_session(server, "volunteer")
    link = f"{server.url}/pair?token={server.tokens['kiosk']}"
    for site in ("cross-site", "same-site"):
        refused = session.get(link, headers={"Sec-Fetch-Site": site}, timeout=10, allow_redirects=False)
        assert refused.status_code == 403 and "Open the pairing link from its QR code" in refused.text
        assert "Set-Cookie" not in refused.headers
    assert session.get(server.url + "/api/attendees?q=a", timeout=10).status_code == 200  # still the volunteer
    opened = session.get(link, headers={"Sec-Fetch-Site": "none"}, timeout=10, allow_redirects=False)
    assert opened.status_code == 200 and "Switch it to kiosk?" in opened.text  # signed in: asked first
    csrf = re.search(r'name="csrf" value="([^"]+)"', opened.text).group(1)
    switched = session.post(server.url + "/pair", data={"token": server.tokens["kiosk"], "csrf": csrf}, timeout=10,
                            allow_redirects=False)
    assert (switched.status_code, switched.headers["Location"]) == (302, "/kiosk")
    assert session.get(server.url + "/api/attendees?q=a", timeout=10).status_code == 403


def paired_token(session: requests.Session, url: str, role: str = "volunteer", **headers: str) -> str:
    """Pair a phone from `session` (a token's or a PIN's); the new token from its /pair link."""
    made = session.post(url + "/api/pairings", json={"role": role}, headers=headers, timeout=10)
    assert made.status_code == 201, made.text
    return parse_qs(urlsplit(made.json()["url"]).query)["token"][0]


def reads_names(url: str, token: str) -> int:
    return requests.get(url + "/api/attendees?q=a", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def test_revoking_a_token_revokes_the_phones_paired_with_it_down_the_line(server):
    """A phone paired from a lost volunteer phone kept reading names for 16 hours after the lost
    one's token was revoked (an auth review, session 15)."""
    lost = server.client("volunteer")
    child = paired_token(lost, server.url)
    grandchild = paired_token(requests.Session(), server.url, Authorization=f"Bearer {child}")
    unrelated = paired_token(server.client("organizer"), server.url)
    assert {reads_names(server.url, token) for token in (child, grandchild, unrelated)} == {200}
    lost_id = next(t["id"] for t in server.get("/api/tokens").json()["tokens"] if t["label"] == "test-volunteer")
    assert server.delete(f"/api/tokens/{lost_id}").status_code == 200
    assert [reads_names(server.url, token) for token in (server.tokens["volunteer"], child, grandchild, unrelated)] \
        == [401, 401, 401, 200]


def test_changing_a_leaked_pin_ends_the_phones_paired_with_it(kiosk_process):
    """The README's answer to a leaked PIN (change it, restart) ended the PIN's sessions but not the
    tokens those sessions had paired (an auth review, session 15)."""
    proc, _ = kiosk_process()
    server = type("Running", (), {"url": proc.url})()
    volunteer, csrf = pin_session(server, "volunteer")
    by_pin = paired_token(volunteer, proc.url, **{"X-CSRF-Token": csrf})
    organizer, organizer_csrf = pin_session(server, "organizer")
    by_other_pin = paired_token(organizer, proc.url, **{"X-CSRF-Token": organizer_csrf})
    assert reads_names(proc.url, by_pin) == reads_names(proc.url, by_other_pin) == 200
    proc.stop()
    config = proc.config_path.read_text()
    proc.config_path.write_text(config.replace(f'volunteer_pin = "{PINS["volunteer"]}"', 'volunteer_pin = "97531"'))
    proc.start()
    assert reads_names(proc.url, by_pin) == 401
    assert reads_names(proc.url, by_other_pin) == 200  # the organizer's PIN did not change
    assert requests.get(f"{proc.url}/pair?token={by_pin}", timeout=10, allow_redirects=False).status_code == 401
