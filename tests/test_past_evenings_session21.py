"""Last month's evening, named the way an organiser names it: its date, or its name, not only its slug."""

from __future__ import annotations

import csv
import io
import json

from conftest import run_kiosk, start_in_process
from test_export import NAMES, NOV_SLUG, november_then_december


def test_a_past_evening_is_exported_and_listed_by_its_date_or_its_name(tmp_path):
    december = november_then_december(tmp_path)

    by_date = run_kiosk(december, "export", "--event", "2026-11-26", str(tmp_path / "nov.csv"), check=False)
    assert by_date.returncode == 0, by_date.stderr
    assert "Event: Test Meetup (2026-11-26)" in by_date.stderr.splitlines()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "nov.csv").read_text(encoding="utf-8"))))
    assert "Tomás Ó Briain" in {r["name"] for r in rows} and len(rows) == len(NAMES)
    by_name = run_kiosk(december, "attendees", "--event", "test meetup", "--format", "json", check=False)
    assert by_name.returncode == 0, by_name.stderr
    assert len(json.loads(by_name.stdout)) == len(NAMES)


def test_a_date_with_no_evening_is_still_one_line_naming_the_slugs(tmp_path):
    december = november_then_december(tmp_path)
    result = run_kiosk(december, "export", "--event", "2026-11-27", str(tmp_path / "r.csv"), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: no event '2026-11-27' in the database (see `kiosk events`); "
        f"events: {NOV_SLUG}, 2026-12-17-test-meetup-december"]


def test_the_api_report_of_a_past_evening_by_its_date(tmp_path):
    server = start_in_process(november_then_december(tmp_path))
    try:
        past = server.get("/api/export", params={"event": "2026-11-26"})
    finally:
        server.stop()
    assert past.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(past.text)))) == len(NAMES)
    assert NOV_SLUG in past.headers["Content-Disposition"]


def test_last_months_audit_trail_is_downloaded_by_its_slug_or_date(tmp_path):
    from test_export import next_month
    from conftest import write_config

    november = write_config(tmp_path)
    server = start_in_process(november)
    try:
        server.seed_demo()
        person = server.people()[0]
        assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer", json={}).status_code == 201
        assert server.delete(f"/api/checkins/{person['id']}", "volunteer").status_code == 200
    finally:
        server.stop()
    server = start_in_process(next_month(november))
    try:
        tonight = server.get("/api/audit", params={"format": "csv"})
        by_slug = server.get("/api/audit", params={"format": "csv", "event": NOV_SLUG})
        by_date = server.get("/api/audit", params={"event": "2026-11-26"})
        unknown = server.get("/api/audit", params={"event": "2026-11-27"})
    finally:
        server.stop()
    assert "undo" not in {row["action"] for row in csv.DictReader(io.StringIO(tonight.text))}
    assert by_slug.status_code == 200 and NOV_SLUG in by_slug.headers["Content-Disposition"]
    assert {"manual_check_in", "undo"} <= {row["action"] for row in csv.DictReader(io.StringIO(by_slug.text))}
    assert {"manual_check_in", "undo"} <= {entry["action"] for entry in by_date.json()["audit"]}
    assert unknown.status_code == 404
