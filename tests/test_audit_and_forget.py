"""Trust after the fact: who did what is recorded; personal data can be forgotten, counts kept."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from conftest import FIXTURES, run_kiosk, write_config


def test_every_manual_action_is_audited_with_who_and_when(server):
    people = server.people()
    server.post(f"/api/attendees/{people[0]['id']}/checkin", "volunteer", json={"station": "desk"})
    server.delete(f"/api/checkins/{people[0]['id']}", "volunteer")
    server.post("/api/attendees", "volunteer", json={"name": "Walk In", "check_in": True})
    server.post(f"/api/attendees/{people[1]['id']}/badge", "volunteer")
    with (FIXTURES / "imports" / "plain.csv").open("rb") as fh:
        server.post("/api/imports", files={"file": ("plain.csv", fh)})
    server.get("/api/export")
    entries = server.get("/api/audit").json()["audit"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["manual_check_in", "undo", "walk_in", "reprint", "import", "export"]
    assert all(e["at"] and e["role"] and e["actor"] for e in entries)
    assert entries[-1]["actor"].startswith("token:") and entries[-1]["role"] == "volunteer"
    assert entries[-1]["details"]["station"] == "desk"  # where, beside who: naming a station hides no one
    assert entries[1]["details"]["file"] == "plain.csv"


def test_audit_exports_as_csv(server):
    server.post(f"/api/attendees/{server.people()[0]['id']}/checkin", "volunteer")
    response = server.get("/api/audit?format=csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["action"] == "manual_check_in"


def test_export_is_the_attendance_report(server):
    people = server.people()
    for person in people[:3]:
        server.scan(person["ticket_code"])
    rows = list(csv.DictReader(io.StringIO(server.get("/api/export").text)))
    assert len(rows) == len(people) + len(server.people(attending=False))
    arrived = {r["name"] for r in rows if r["checked_in_at"]}
    assert arrived == {p["name"] for p in people[:3]}


def test_forget_blanks_people_of_past_events_and_keeps_counts(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    run_kiosk(config, "demo", "--no-serve")
    badges = tmp_path / "badges"
    badges.mkdir()
    (badges / "job-000001.png").write_bytes(b"a badge with a name on it")
    (badges / "job-000001.bin").write_bytes(b"escpos")
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:
        db.execute("INSERT INTO print_jobs (id, event_id, attendee_id, reason, status, next_attempt_at, created_at) "
                   "VALUES (1, 1, 1, 'check-in', 'printed', '', '')")
    people = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    kiosk_token = run_kiosk(config, "token", "create", "--role", "kiosk").stdout.splitlines()[-1]
    assert kiosk_token
    before = run_kiosk(config, "events").stdout
    result = run_kiosk(config, "forget", "--before", "2026-12-01", "--yes")
    assert f"Forgot {len(people)} people in 1 event" in result.stdout
    assert "2 badge files deleted" in result.stdout and not list(badges.iterdir())
    after_people = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    assert len(after_people) == len(people)
    assert all(p["name"] == "" and p["email"] is None and p["company"] is None for p in after_people)
    assert "personal data forgotten" in run_kiosk(config, "events").stdout
    assert before.split()[2:6] == run_kiosk(config, "events").stdout.split()[2:6]
    database = tmp_path / "data" / "kiosk.db"
    wal = database.with_name("kiosk.db-wal")
    raw = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for person in people[:20]:
        assert person["email"].encode() not in raw


def test_forget_needs_a_scope(tmp_path):
    config = write_config(tmp_path)
    result = run_kiosk(config, "forget", "--yes", check=False)
    assert result.returncode != 0 and "--before" in result.stderr
