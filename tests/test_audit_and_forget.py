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


PAST, LATER = "2025-10-30T18:30:00+00:00", "2099-12-03T18:30:00+00:00"


def evening(config, starts_at: str, name: str = "Test Meetup") -> None:
    """Point the config's [event] at another evening (as the organiser does each month)."""
    text = config.read_text(encoding="utf-8")
    text = "\n".join(f'starts_at = "{starts_at}"' if line.startswith("starts_at =") else
                     f'name = "{name}"' if line.startswith("name =") else line for line in text.splitlines())
    config.write_text(text + "\n", encoding="utf-8")


def test_forget_blanks_people_of_past_events_and_keeps_counts(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    evening(config, PAST)
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
    evening(config, LATER)  # next month: the past evening is no longer the config's
    before = run_kiosk(config, "events").stdout
    result = run_kiosk(config, "forget", "--before", "2026-12-01", "--yes")
    assert f"Forgot {len(people)} people in 1 event" in result.stdout
    evening(config, PAST)  # back to that evening, to look at it
    assert "2 badge files deleted" in result.stdout and not list(badges.iterdir())
    after_people = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    assert len(after_people) == len(people)
    assert all(p["name"] == "" and p["email"] is None and p["company"] is None for p in after_people)
    listed = run_kiosk(config, "events").stdout
    assert "personal data forgotten" in listed
    past_line = lambda text: next(line for line in text.splitlines() if "2025-10-30" in line).strip("* ")
    assert past_line(before).split()[1:6] == past_line(listed).split()[1:6]  # the counts are kept
    database = tmp_path / "data" / "kiosk.db"
    wal = database.with_name("kiosk.db-wal")
    raw = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for person in people[:20]:
        assert person["email"].encode() not in raw


def test_forget_needs_a_scope(tmp_path):
    config = write_config(tmp_path)
    result = run_kiosk(config, "forget", "--yes", check=False)
    assert result.returncode != 0 and "--before" in result.stderr


def test_forget_never_touches_tonights_or_a_future_evening(tmp_path):
    """`--before` a date far ahead, or tonight's slug by mistake: the people at the door stay."""
    config = write_config(tmp_path)
    evening(config, LATER)
    run_kiosk(config, "demo", "--no-serve")
    people = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    slug = run_kiosk(config, "events").stdout.split()[1]
    named = run_kiosk(config, "forget", "--event", slug, "--yes", check=False)
    assert named.returncode != 0 and "tonight's event" in named.stderr
    ahead = run_kiosk(config, "forget", "--before", "2100-01-01", "--yes")
    assert "No past evening to forget" in ahead.stdout
    assert json.loads(run_kiosk(config, "attendees", "--format", "json").stdout) == people


def test_correcting_tonights_name_renames_the_evening_and_keeps_its_people(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    people = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    evening(config, "2026-11-26T19:00:00+00:00", name="Test Meetup: Christmas special")
    assert json.loads(run_kiosk(config, "attendees", "--format", "json").stdout) == people
    listed = run_kiosk(config, "events").stdout.strip().splitlines()
    assert len(listed) == 1 and "christmas-special" in listed[0]


def test_forgetting_shows_in_the_organizers_audit_trail(tmp_path):
    from conftest import start_in_process

    config = write_config(tmp_path)
    evening(config, PAST)
    run_kiosk(config, "demo", "--no-serve")
    evening(config, LATER)
    run_kiosk(config, "forget", "--before", "2026-01-01", "--yes")
    server = start_in_process(config)
    try:
        actions = [entry["action"] for entry in server.get("/api/audit").json()["audit"]]
    finally:
        server.stop()
    assert "forget" in actions
