"""A sign-in keeps at most MAX_LIVE_PAIRINGS live pairing links (session 23).

With a volunteer bearer token, 200 x `POST /api/pairings` answered 201 in 2.8 s: 200 tokens that
each worked for 16 hours. Now the 21st live link of one credential (a bearer token, or one browser's
sign-in) is refused with a 429 JSON message, and no link made before is revoked (the oldest may be
the door's kiosk). Colleagues signed in with the same PIN are not held up; a link revoked or a new
sign-in makes room."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

import test_pairing_link_ends_session23 as pairing
from browser import chromium, pw, signed_in_page  # noqa: F401 (fixtures)
MAX_LIVE_PAIRINGS = 20  # as README says (kiosk.pages.MAX_LIVE_PAIRINGS)


def pair_with(server, browser: requests.Session, headers: dict[str, str] | None = None) -> requests.Response:
    return browser.post(server.url + "/api/pairings", json={"role": "kiosk"}, headers=headers or {}, timeout=10)


def test_a_volunteer_token_cannot_make_pairing_links_without_end(server):
    volunteer = server.client("volunteer")
    made = [pair_with(server, volunteer) for _ in range(MAX_LIVE_PAIRINGS)]
    assert [m.status_code for m in made] == [201] * MAX_LIVE_PAIRINGS
    tokens_before = len(server.get("/api/tokens").json()["tokens"])

    refused = pair_with(server, volunteer)
    assert refused.status_code == 429
    assert refused.json()["result"] == "too_many_pairings" and "pairing links that still work" in refused.json()["message"]
    assert len(server.get("/api/tokens").json()["tokens"]) == tokens_before

    # None of the links made is revoked: the first (the door's kiosk, maybe) still pairs.
    first = "/pair?" + made[0].json()["url"].split("/pair?", 1)[1]
    assert pairing.open_link(server, first).headers["Location"] == "/kiosk"
    # Another credential is not held up; one link revoked makes room for one more.
    assert pair_with(server, server.client("organizer")).status_code == 201
    tokens = server.get("/api/tokens").json()["tokens"]
    volunteer_id = next(t["id"] for t in tokens if t["label"] == "test-volunteer")
    mine = [t for t in tokens if t["label"] == f"paired by token:{volunteer_id}" and t["revoked_at"] is None]
    assert len(mine) == MAX_LIVE_PAIRINGS
    assert server.delete(f"/api/tokens/{mine[-1]['id']}").status_code == 200
    assert pair_with(server, volunteer).status_code == 201
    assert pair_with(server, volunteer).status_code == 429


def test_each_pin_sign_in_has_its_own_links_and_a_new_sign_in_starts_afresh(server):
    first, csrf = pairing.pin_browser(server, "volunteer")
    for _ in range(MAX_LIVE_PAIRINGS):
        assert pair_with(server, first, {"X-CSRF-Token": csrf}).status_code == 201
    assert pair_with(server, first, {"X-CSRF-Token": csrf}).status_code == 429

    colleague, colleague_csrf = pairing.pin_browser(server, "volunteer")  # the same PIN, another phone
    assert pair_with(server, colleague, {"X-CSRF-Token": colleague_csrf}).status_code == 201

    first.post(server.url + "/logout", headers={"X-CSRF-Token": csrf}, timeout=10)
    again, again_csrf = pairing.pin_browser(server, "volunteer")
    assert pair_with(server, again, {"X-CSRF-Token": again_csrf}).status_code == 201


def test_the_console_says_why_it_makes_no_more_pairing_codes(server, chromium):  # noqa: F811
    with signed_in_page(chromium, server, "volunteer", by_pin=True) as (page, watch):
        page.get_by_role("button", name="Pair as kiosk").click()
        expect(page.locator("#pair-role")).to_have_text("kiosk")
        csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
        for _ in range(MAX_LIVE_PAIRINGS - 1):  # the same sign-in's cookie, as the button sends it
            assert page.context.request.post(server.url + "/api/pairings", data={"role": "kiosk"},
                                             headers={"X-CSRF-Token": csrf}).status == 201
        page.get_by_role("button", name="Pair as volunteer").click()
        expect(page.locator("#pair-status")).to_contain_text(f"This sign-in has {MAX_LIVE_PAIRINGS} pairing links")
        watch.assert_clean()
