"""The door's rush on `kiosk serve` itself (gunicorn + gevent), where scans read together share a
transaction (kiosk.group_commit): still exactly one check-in per person, every answer its own."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests

from conftest import run_kiosk


def scan_all_at_once(url: str, token: str, codes: list[str]) -> list[requests.Response]:
    """One keep-alive session per code, released together by a barrier."""
    sessions = [requests.Session() for _ in codes]
    for session in sessions:  # connected before the barrier, so the scans really arrive together
        assert session.get(url + "/api/headcount", timeout=10).status_code == 200
    start, answers = threading.Barrier(len(codes)), [None] * len(codes)

    def scan(i: int) -> None:
        start.wait(10)
        answers[i] = sessions[i].post(url + "/api/checkins", json={"code": codes[i], "station": f"door-{i % 4}"},
                                      headers={"Authorization": f"Bearer {token}"}, timeout=30)

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(len(codes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers  # type: ignore[return-value]


def test_fifty_scans_of_one_ticket_among_others_give_one_check_in_each(kiosk_process):
    proc, tokens = kiosk_process()
    people = [p for p in json.loads(run_kiosk(proc.config_path, "attendees", "--format", "json").stdout)
              if p["status"] == "attending" and not p["guests"]]
    shared, others = people[0], people[1:11]
    codes = [shared["ticket_code"]] * 50 + [p["ticket_code"] for p in others]
    answers = scan_all_at_once(proc.url, tokens["kiosk"], codes)

    firsts = [a for a in answers[:50] if a.status_code == 201]
    again = [a.json() for a in answers[:50] if a.status_code == 200]
    assert len(firsts) == 1 and len(again) == 49
    first = firsts[0].json()
    assert {(a["result"], a["checked_in_at"], a["station"]) for a in again} == {
        ("already_checked_in", first["checked_in_at"], first["station"])}
    for person, answer in zip(others, answers[50:]):
        assert answer.status_code == 201, answer.text
        assert answer.json()["attendee"]["name"] == person["name"]  # each its own answer, not a neighbour's
    headcount = requests.get(proc.url + "/api/headcount", timeout=10).json()
    assert headcount["checked_in"] == 11
