"""A kiosk's scans saved at the end of last month's evening, sent when it is opened at this month's
door: they count in last month's report, not tonight's, and are refused nowhere."""

from __future__ import annotations

import csv
import io
import json

from conftest import run_kiosk, start_in_process
from test_export import NOV_SLUG, november_then_december


def test_last_months_saved_scan_is_checked_into_last_month_at_the_time_it_was_saved(tmp_path):
    december = november_then_december(tmp_path)
    november = json.loads(run_kiosk(december, "attendees", "--event", NOV_SLUG, "--format", "json").stdout)
    kept, not_then = november[0], november[1]
    server = start_in_process(december)
    try:
        saved = {"late": True, "station": "door-1"}
        answer = server.post("/api/checkins", "kiosk", json={
            **saved, "code": kept["ticket_code"], "nonce": "kept-1", "saved_at": "2026-11-26T19:42:05.000Z"})
        again = server.post("/api/checkins", "kiosk", json={
            **saved, "code": kept["ticket_code"], "nonce": "kept-1", "saved_at": "2026-11-26T19:42:05.000Z"})
        weeks_later = server.post("/api/checkins", "kiosk", json={
            **saved, "code": not_then["ticket_code"], "nonce": "kept-2", "saved_at": "2026-12-10T19:00:00.000Z"})
        tonight = server.get("/api/headcount", None).json()
        report = server.get("/api/export", params={"event": NOV_SLUG})
        with server.state.store.read() as db:
            waiting = db.execute("SELECT count(*) FROM print_jobs WHERE status = 'queued'").fetchone()[0]
    finally:
        server.stop()
    assert (answer.status_code, answer.json()["result"]) == (201, "checked_in")
    assert again.status_code == 201 and again.json() == answer.json()  # a retry: answered from the log
    assert weeks_later.status_code == 404 and weeks_later.json()["evening"]["date"] == "Thu 26 Nov 2026"
    assert tonight["checked_in"] == 0
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(report.text))}
    assert rows[kept["email"]]["checked_in_at"] == "2026-11-26T19:42:05.000+00:00"
    assert rows[not_then["email"]]["checked_in_at"] == ""
    assert waiting == 0  # no badge for someone who came a month ago
