"""The pairing panel's words fit how the kiosk is served and who asked (session 23).

Found by a pairing review: the console's pairing panel always said the phone would warn about a
self-signed certificate, "and it is what lets the phone's camera scan tickets", also under the
default `https = false`, where there is no certificate and a paired phone's camera cannot work
at all. And the refusal of a 21st pairing link told a script with a bearer token to "sign out and
in again", which a token cannot do."""

from __future__ import annotations

import dataclasses

import test_pairing_link_ends_session23 as pairing
from test_pairing_limit_session23 import MAX_LIVE_PAIRINGS, pair_with


def _pairing_panel(server) -> str:
    browser, _csrf = pairing.pin_browser(server, "volunteer")
    page = browser.get(server.url + "/volunteer", timeout=10).text
    return page[page.index('id="pairing"'):page.index('id="pair-status"')]


def test_over_plain_http_the_panel_says_the_camera_needs_https(server):
    panel = _pairing_panel(server)
    assert "served without HTTPS" in panel and "https = true" in panel
    assert "self-signed" not in panel


def test_over_https_the_panel_explains_the_certificate_warning(server):
    server.state.settings = dataclasses.replace(server.state.settings, https=True)
    panel = _pairing_panel(server)
    assert "self-signed" in panel and "Proceed" in panel
    assert "served without HTTPS" not in panel


def test_a_script_is_not_told_to_sign_in_again_when_it_has_made_too_many_links(server):
    volunteer = server.client("volunteer")
    for _ in range(MAX_LIVE_PAIRINGS):
        assert pair_with(server, volunteer).status_code == 201
    refused = pair_with(server, volunteer)
    assert refused.status_code == 429
    assert "an organizer can revoke them" in refused.json()["message"]
    assert "sign out" not in refused.json()["message"]


def test_a_browser_is_told_to_sign_in_again_when_it_has_made_too_many_links(server):
    browser, csrf = pairing.pin_browser(server, "volunteer")
    for _ in range(MAX_LIVE_PAIRINGS):
        assert pair_with(server, browser, {"X-CSRF-Token": csrf}).status_code == 201
    refused = pair_with(server, browser, {"X-CSRF-Token": csrf})
    assert refused.status_code == 429 and "sign out and in again" in refused.json()["message"]
