"""Last month's tickets are not code guesses: they do not slow the station down for the codes behind them."""

from __future__ import annotations

import json

import pytest

from conftest import run_kiosk, start_in_process, write_config
from test_export import NOV_SLUG, next_month, people_csv

LIMIT = 5  # unknown or invalid codes a minute per station before it is slowed down


@pytest.fixture
def december(tmp_path):
    """December's door, serving; November's tickets in the same database."""
    november_config = write_config(tmp_path, max_failed_scans=LIMIT)
    run_kiosk(november_config, "import", str(people_csv(tmp_path)))
    config = next_month(november_config)
    run_kiosk(config, "events")
    november = json.loads(run_kiosk(config, "attendees", "--event", NOV_SLUG, "--format", "json").stdout)
    server = start_in_process(config)
    yield server, november
    server.stop()


def test_last_months_tickets_do_not_count_toward_the_guessing_limit(december):
    server, november = december
    for n in range(LIMIT + 5):  # people opening last month's e-mail, one after another at one door
        answer = server.post("/api/checkins", "kiosk", json={"code": november[n % len(november)]["ticket_code"],
                                                             "station": "door-1"})
        assert (answer.status_code, answer.json()["result"]) == (404, "unknown_code")
    behind = server.post("/api/checkins", "kiosk", json={"code": "not a ticket", "station": "door-1"})
    assert (behind.status_code, behind.json()["result"]) == (404, "unknown_code")  # looked up, not held up (429)


def test_a_retried_scan_of_last_months_ticket_is_answered_as_the_first_time(december):
    server, november = december
    body = {"code": november[0]["ticket_code"], "station": "door-1", "nonce": "n-1"}
    first = server.post("/api/checkins", "kiosk", json=body)
    again = server.post("/api/checkins", "kiosk", json=body)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.json()["result"] == "unknown_code" and "evening" in again.json()


def test_real_guesses_are_still_limited(december):
    server, _ = december
    answers = [server.post("/api/checkins", "kiosk", json={"code": f"guess {n}", "station": "door-1"}).status_code
               for n in range(LIMIT + 1)]
    assert answers == [404] * LIMIT + [429]
