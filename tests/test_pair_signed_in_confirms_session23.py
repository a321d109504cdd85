"""A pairing link opened in a browser signed in already asks before it switches (session 23).

A volunteer's phone signed in to the console, on the plain-HTTP LAN address, followed a link on
any page to `/pair?token=<a live kiosk token>` and silently became a kiosk: its console and live
feed were gone. Such a link carries neither Sec-Fetch-Site nor Origin there, so it cannot be told
from the pairing QR opened by the phone's camera. Now a signed-in browser is asked ("This phone
is signed in as volunteer. Switch it to kiosk?") and switches only by its own button, which
carries the session's CSRF token; a browser not signed in still pairs at once (the door's QR)."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

import test_pairing_link_ends_session23 as pairing
from browser import chromium, pw, signed_in_page  # noqa: F401 (fixtures)


def role_of(server, browser: requests.Session) -> str | None:
    return browser.get(server.url + "/api/csrf", timeout=10).json()["role"]


def test_a_link_without_a_word_of_its_origin_does_not_switch_a_signed_in_console(server):
    volunteer, csrf = pairing.pin_browser(server, "volunteer")
    link = f"/pair?token={server.tokens['kiosk']}"
    asked = pairing.open_link(server, link, volunteer)  # plain HTTP: no Sec-Fetch-Site, no Origin
    assert asked.status_code == 200 and "Set-Cookie" not in asked.headers
    assert "This phone is signed in as volunteer. Switch it to kiosk?" in asked.text
    assert role_of(server, volunteer) == "volunteer"
    assert volunteer.get(server.url + "/api/attendees?q=a", timeout=10).status_code == 200

    # Another site's form posting the switch has no CSRF token: refused, still the console.
    token = server.tokens["kiosk"]
    forged = volunteer.post(server.url + "/pair", data={"token": token}, allow_redirects=False, timeout=10)
    assert forged.status_code == 403 and role_of(server, volunteer) == "volunteer"

    form_csrf = re.search(r'name="csrf" value="([^"]+)"', asked.text).group(1)
    assert form_csrf == csrf
    switched = volunteer.post(server.url + "/pair", data={"token": token, "csrf": form_csrf}, allow_redirects=False,
                              timeout=10)
    assert (switched.status_code, switched.headers["Location"]) == (302, "/kiosk")
    assert role_of(server, volunteer) == "kiosk"


def test_a_browser_not_signed_in_pairs_at_once_and_the_same_link_again_goes_home(server):
    phone = requests.Session()
    link = f"/pair?token={server.tokens['kiosk']}"
    first = pairing.open_link(server, link, phone)
    assert (first.status_code, first.headers["Location"]) == (302, "/kiosk")
    again = pairing.open_link(server, link, phone)  # the QR scanned twice: nothing to ask
    assert (again.status_code, again.headers["Location"]) == (302, "/kiosk")
    assert role_of(server, phone) == "kiosk"


def test_the_switch_of_a_link_no_longer_valid_is_refused(server):
    volunteer, csrf = pairing.pin_browser(server, "volunteer")
    gone = volunteer.post(server.url + "/pair", data={"token": "kk_nope", "csrf": csrf}, allow_redirects=False,
                          timeout=10)
    assert gone.status_code == 401 and "not valid any more" in gone.text
    assert role_of(server, volunteer) == "volunteer"


def test_the_console_asks_and_keeps_the_volunteer_or_switches_in_chromium(server, chromium):  # noqa: F811
    with signed_in_page(chromium, server, "volunteer", by_pin=True) as (page, watch):
        expect(page.locator("#connection")).to_have_text("Live")
        page.goto(f"/pair?token={server.tokens['kiosk']}")
        expect(page.locator("h1")).to_have_text("This phone is signed in as volunteer. Switch it to kiosk?")
        page.get_by_role("link", name="Keep volunteer").click()
        page.wait_for_url(re.compile(r"/volunteer$"))
        expect(page.locator("#connection")).to_have_text("Live")

        page.goto(f"/pair?token={server.tokens['kiosk']}")
        page.get_by_role("button", name="Switch to kiosk").click()
        page.wait_for_url(re.compile(r"/kiosk$"))
        assert page.context.request.get(server.url + "/api/csrf").json()["role"] == "kiosk"
        watch.assert_clean()
