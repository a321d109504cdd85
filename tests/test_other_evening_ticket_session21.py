"""Last month's ticket at this month's door: refused, saying which evening it is for, not "Ticket not found"."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from browser import chromium, pair, pw, scanner_type, signed_in_page  # noqa: F401
from conftest import run_kiosk, start_in_process
from test_export import NOV_SLUG, november_then_december


@pytest.fixture
def december(tmp_path):
    """December's door, serving; November's list (with its tickets) in the same database."""
    config = november_then_december(tmp_path)
    november = json.loads(run_kiosk(config, "attendees", "--event", NOV_SLUG, "--format", "json").stdout)
    server = start_in_process(config)
    yield server, november[0]
    server.stop()


def test_the_refusal_names_the_evening_the_ticket_is_for(december):
    server, person = december
    answer = server.scan(person["ticket_code"])
    assert (answer.status_code, answer.json()["result"]) == (404, "unknown_code")
    assert answer.json()["message"] == (
        "This ticket is for another evening: Test Meetup, Thu 26 Nov 2026. Please see a volunteer.")
    assert answer.json()["evening"] == {"name": "Test Meetup", "date": "Thu 26 Nov 2026"}


def test_the_kiosk_says_ticket_for_another_evening(december, chromium):
    server, person = december
    with signed_in_page(chromium, server, "kiosk") as (page, watch):
        scanner_type(page, person["ticket_code"])
        expect(page.locator("#result-title")).to_have_text("Ticket for another evening")
        expect(page.locator("#result-message")).to_contain_text("Test Meetup, Thu 26 Nov 2026")
        watch.assert_clean()


def test_a_saved_scan_of_last_months_ticket_tells_the_volunteers_which_evening(december):
    """Last month's ticket, scanned while December's door was out of reach: the kiosk let them in on
    trust, and the volunteers should find them. (Saved on November's evening, it would count there.)"""
    from test_late_refusal_flood_session20 import _late_refusals
    from websockets.sync.client import connect

    LATE = {"late": True, "saved_at": "2026-12-17T18:42:00.000Z"}

    server, person = december
    with connect(f"{server.ws_url}/ws/live?token={server.tokens['volunteer']}", open_timeout=5) as live:
        assert json.loads(live.recv(timeout=5))["type"] == "snapshot"
        body = {"code": person["ticket_code"], "station": "door-1", "nonce": "kept-from-november", **LATE}
        assert server.post("/api/checkins", "kiosk", json=body).status_code == 404
        refusals = _late_refusals(live)
    assert [(m["result"], m["evening"]) for m in refusals] == [
        ("unknown_code", {"name": "Test Meetup", "date": "Thu 26 Nov 2026"})]
