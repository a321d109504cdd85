"""A login page opened before another tab signed in (session 23): the right PIN typed there was
answered "The form expired", because the other tab's sign-in had given the browser's session a new
CSRF token. Now the browser's word that the form is this server's own page is taken as the token
is, and a PIN for the role the browser is signed in with already keeps that sign-in."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from browser import PINS, chromium, new_context, pin_login, pw, watch_page  # noqa: F401  (fixtures)


def test_the_right_pin_in_a_login_tab_opened_before_another_tab_signed_in_signs_in(server, chromium):
    person = server.people()[5]
    context = new_context(chromium, server)
    try:
        first = context.new_page()
        watch = watch_page(first)
        first.goto("/login?next=/volunteer")                    # opened first, left waiting
        second, closed = context.new_page(), []
        second.on("websocket", lambda socket: socket.on("close", lambda s: closed.append(s.url)))
        pin_login(second, "volunteer")                         # the other tab signs in
        expect(second.locator("#connection")).to_have_text("Live")

        first.get_by_label("PIN").fill(PINS["volunteer"])
        first.get_by_role("button", name="Sign in").click()
        first.wait_for_url(re.compile(r"/volunteer$"))
        expect(first.locator("#connection")).to_have_text("Live")
        assert "form expired" not in first.content()

        # The tab signed in first keeps its sign-in: its live feed stays open (a new sign-in would
        # have closed it), and its page's CSRF token still makes changes.
        second.locator("#search").fill(person["email"])
        card = second.locator(f'#results > li[data-id="{person["id"]}"]')
        card.get_by_role("button", name="Check in").click()
        expect(card).to_have_attribute("data-status", "checked-in")
        expect(second.locator("#connection")).to_have_text("Live")
        assert closed == []
        watch.assert_clean()
    finally:
        context.close()
    assert [p for p in server.people() if p["id"] == person["id"]][0]["checked_in_at"] is not None


def stale_login(server, headers: dict[str, str], pin: str) -> requests.Response:
    """A browser signs in as kiosk, then posts the PIN form of a page it opened before that."""
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10).text
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # both tabs' forms carry it
    assert browser.post(server.url + "/login", data={"pin": PINS["kiosk"], "csrf": form_csrf}, allow_redirects=False,
                        timeout=10).status_code == 302
    return browser.post(server.url + "/login", data={"pin": pin, "csrf": form_csrf}, headers=headers,
                        allow_redirects=False, timeout=10)


def test_a_phone_on_the_plain_http_address_is_believed_by_its_origin(server):
    """Over plain HTTP on the LAN address browsers send no Sec-Fetch-Site, but Origin."""
    answer = stale_login(server, {"Origin": server.url}, PINS["volunteer"])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/volunteer")


def test_another_sites_form_with_a_stale_token_is_still_refused(server):
    for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                    {"Origin": "https://evil.example"}, {}):
        answer = stale_login(server, headers, PINS["organizer"])
        assert answer.status_code == 400 and "The form expired" in answer.text, headers


def test_the_pin_typed_in_a_browser_paired_by_a_link_makes_a_pin_sign_in(server):
    """A sign-in by pairing link ends with its token; the PIN typed over it is kept as a PIN
    sign-in, which the token's revocation does not end."""
    browser = requests.Session()
    assert browser.get(f"{server.url}/pair?token={server.tokens['volunteer']}", allow_redirects=False,
                       timeout=10).status_code == 302
    page = browser.get(server.url + "/login", timeout=10).text
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert browser.post(server.url + "/login", data={"pin": PINS["volunteer"], "csrf": form_csrf},
                        allow_redirects=False, timeout=10).status_code == 302
    token_id = [t["id"] for t in server.get("/api/tokens").json()["tokens"] if t["label"] == "test-volunteer"][0]
    assert server.delete(f"/api/tokens/{token_id}").status_code == 200
    assert browser.get(server.url + "/api/csrf", timeout=10).json()["role"] == "volunteer"
