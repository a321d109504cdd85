"""The database file deleted, or another file moved over it, under a running `kiosk serve`.

Found by a crash-testing review (session 19): SQLite writes on into the file it has open, so every
scan after `rm data/kiosk.db` was answered 201 into a file that no name leads to any more; the
next start found none of those arrivals, and the print process, opening the name afresh, made an
empty database there and printed none of their badges. Now such a scan is a 503 that asks for a
volunteer (the kiosk page keeps it and sends it again), and writing resumes once the file is back.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from conftest import run_kiosk


def _scan(proc, token: str, code: str, nonce: str) -> requests.Response:
    return requests.post(proc.url + "/api/checkins", json={"code": code, "station": "door-1", "nonce": nonce},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_scan_after_the_database_file_is_moved_away_is_a_503_and_goes_through_once_it_is_back(kiosk_process):
    proc, tokens = kiosk_process()
    people = json.loads(run_kiosk(proc.config_path, "attendees", "--format", "json").stdout)
    codes = [p["ticket_code"] for p in people if p["status"] == "attending"]
    database = proc.config_path.parent / "data" / "kiosk.db"
    assert _scan(proc, tokens["kiosk"], codes[0], "n-0").status_code == 201

    moved = database.with_name("moved-away.db")
    database.rename(moved)  # a clean-up of the data folder; `rm` is the same to the server
    refused = _scan(proc, tokens["kiosk"], codes[1], "n-1")
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["result"] == "busy" and "deleted or replaced" in refused.json()["message"]
    assert not database.exists(), "nobody may make an empty database in its place"

    moved.rename(database)
    again = _scan(proc, tokens["kiosk"], codes[1], "n-1")  # the kiosk page's retry, same nonce
    assert again.status_code == 201, again.text
    arrived = {p["ticket_code"] for p in json.loads(run_kiosk(proc.config_path, "attendees", "--format",
                                                              "json").stdout) if p["checked_in_at"]}
    assert arrived == {codes[0], codes[1]}


def test_a_scan_after_another_file_is_moved_over_the_database_is_a_503(kiosk_process):
    proc, tokens = kiosk_process()
    people = json.loads(run_kiosk(proc.config_path, "attendees", "--format", "json").stdout)
    code = next(p["ticket_code"] for p in people if p["status"] == "attending")
    database = proc.config_path.parent / "data" / "kiosk.db"
    copy = Path(str(database) + ".copy")
    copy.write_bytes(database.read_bytes())
    copy.replace(database)  # `mv backup.db kiosk.db` while the server runs
    refused = _scan(proc, tokens["kiosk"], code, "n-0")
    assert refused.status_code == 503 and "deleted or replaced" in refused.json()["message"], refused.text
