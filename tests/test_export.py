"""The after-evening report: any evening by its slug, as CSV, JSON or a real XLSX workbook."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import openpyxl
import requests

from conftest import run_kiosk, write_config

NAMES = ["Tomás Ó Briain", "Γιώργος Παπαδόπουλος", "陈静", "Сергей Иванов", '=HYPERLINK("http://x.test","hi")',
         "+Acme", "@corp"]


def people_csv(folder: Path) -> Path:
    """A plain list whose names need Unicode intact and formulas defused."""
    path = folder / "people.csv"
    lines = ["name,email,status"] + [f'"{n.replace(chr(34), chr(34) * 2)}",p{i}@example.org,confirmed'
                                       for i, n in enumerate(NAMES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def next_month(config: Path) -> Path:
    """The same database, the config moved on to December as the organiser does each month."""
    text = config.read_text(encoding="utf-8").replace("Test Meetup", "Test Meetup: December")
    path = config.with_name("december.toml")
    path.write_text(text.replace("2026-11-26T18:30", "2026-12-17T18:30"), encoding="utf-8")
    return path


def current_slug(config: Path) -> str:
    with sqlite3.connect(config.parent / "data" / "kiosk.db") as db:
        return db.execute("SELECT slug FROM events WHERE is_current = 1").fetchone()[0]


NOV_SLUG = "2026-11-26-test-meetup"


def november_then_december(tmp_path: Path) -> Path:
    """November's list imported, then the config moved on to December (made current): December's config."""
    november = write_config(tmp_path)
    run_kiosk(november, "import", str(people_csv(tmp_path)))
    december = next_month(november)
    run_kiosk(december, "events")
    return december


def test_a_past_evening_is_exported_and_listed_by_slug_without_becoming_current(tmp_path):
    december, nov_slug = november_then_december(tmp_path), NOV_SLUG
    assert current_slug(december) != nov_slug

    result = run_kiosk(december, "export", "--event", nov_slug, str(tmp_path / "nov.csv"))
    assert "Event: Test Meetup (2026-11-26)" in result.stderr.splitlines()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "nov.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(NAMES) and "Tomás Ó Briain" in {r["name"] for r in rows}
    listed = json.loads(run_kiosk(december, "attendees", "--event", nov_slug, "--format", "json").stdout)
    assert sorted(p["email"] for p in listed) == sorted(r["email"] for r in rows)
    assert current_slug(december) == "2026-12-17-test-meetup-december"
    assert json.loads(run_kiosk(december, "attendees", "--format", "json").stdout) == []


def test_an_unknown_slug_is_one_line_naming_the_events_there_are(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "events")
    for command in (["export", "--event", "2026-11-26-test-meetp", str(tmp_path / "r.csv")],
                    ["attendees", "--event", "2026-11-26-test-meetp"]):
        result = run_kiosk(config, *command, check=False)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.strip().splitlines() == [
            "Error: no event '2026-11-26-test-meetp' in the database (see `kiosk events`); "
            "events: 2026-11-26-test-meetup"]
    assert not (tmp_path / "r.csv").exists()


def test_import_and_export_name_the_event_they_used(tmp_path):
    config = write_config(tmp_path)
    imported = run_kiosk(config, "import", str(people_csv(tmp_path)))
    exported = run_kiosk(config, "export", str(tmp_path / "r.json"))
    for result in (imported, exported):
        assert "Event: Test Meetup (2026-11-26)" in result.stderr.splitlines()


def test_xlsx_export_holds_the_csv_rows_as_text_and_the_csv_has_no_bom(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "import", str(people_csv(tmp_path)))
    run_kiosk(config, "export", str(tmp_path / "r.csv"))
    run_kiosk(config, "export", str(tmp_path / "R.XLSX"))
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"id,name,")  # exactly UTF-8, no BOM: scripts read it with the csv module
    csv_rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    sheet = openpyxl.load_workbook(tmp_path / "R.XLSX").active
    xlsx_rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows
    names = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in names} >= {"Γιώργος Παπαδόπουλος", "陈静", "'=HYPERLINK(\"http://x.test\",\"hi\")"}
    assert {c.data_type for c in names} == {"s"}  # text cells: nothing is run as a formula


def test_api_serves_xlsx_and_refuses_an_unknown_format(server):
    response = server.get("/api/export?format=xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(server.people()) + len(server.people(attending=False))

    refused = server.get("/api/export?format=pdf")
    assert refused.status_code == 400 and refused.json()["result"] == "unknown_format"
    assert all(fmt in refused.json()["message"] for fmt in ("csv", "json", "xlsx"))
    actions = [e["details"].get("format") for e in server.get("/api/audit").json()["audit"] if e["action"] == "export"]
    assert actions == ["xlsx"]  # the refused export is not in the trail


def test_tickets_and_the_api_report_of_a_past_evening_by_slug(tmp_path):
    from conftest import start_in_process

    december, nov_slug = november_then_december(tmp_path), NOV_SLUG
    written = run_kiosk(december, "tickets", "--event", nov_slug, str(tmp_path / "nov-tickets"))
    assert f"Wrote {len(NAMES)} tickets" in written.stdout and len(list((tmp_path / "nov-tickets").glob("*.png"))) == len(NAMES)
    server = start_in_process(december)
    try:
        past = server.get("/api/export", params={"event": nov_slug})
        tonight = server.get("/api/export")
        unknown = server.get("/api/export", params={"event": "2026-11-26-no-such"})
    finally:
        server.stop()
    assert past.status_code == 200 and len(list(csv.DictReader(io.StringIO(past.text)))) == len(NAMES)
    assert nov_slug in past.headers["Content-Disposition"]
    assert tonight.status_code == 200 and list(csv.DictReader(io.StringIO(tonight.text))) == []
    assert unknown.status_code == 404
    assert current_slug(december) == "2026-12-17-test-meetup-december"


def test_arrival_times_are_in_the_evenings_own_clock_time_in_every_format(tmp_path):
    """A London evening in June is on BST: the report says 19:05+01:00, as on the wall, not 18:05 UTC."""
    from datetime import datetime

    from conftest import start_in_process

    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("2026-11-26T18:30:00+00:00", "2026-06-25T18:30:00+01:00"))
    run_kiosk(config, "import", str(people_csv(tmp_path)))
    server = start_in_process(config)
    try:
        person = server.people()[0]
        scanned = server.scan(person["ticket_code"]).json()["checked_in_at"]
    finally:
        server.stop()
    for name in ("r.csv", "r.xlsx", "r.json"):
        run_kiosk(config, "export", str(tmp_path / name))
    csv_row = next(r for r in csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8")))
                   if r["id"] == str(person["id"]))
    sheet = list(openpyxl.load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    xlsx_time = next(row for row in sheet[1:] if row[0] == person["id"])[sheet[0].index("checked_in_at")]
    json_time = next(p for p in json.loads((tmp_path / "r.json").read_text())["attendees"]
                     if p["id"] == person["id"])["checked_in_at"]
    for reported in (csv_row["checked_in_at"], xlsx_time, json_time):
        assert reported.endswith("+01:00"), reported
        assert datetime.fromisoformat(reported) == datetime.fromisoformat(scanned)  # the same instant


def test_last_months_file_imported_again_by_mistake_is_named_with_the_way_back(tmp_path):
    """November's file imported into December: the import says so, on the CLI and in the API's
    answer, and December's own list with --remove-missing leaves only December's people expected."""
    from conftest import start_in_process

    december = november_then_december(tmp_path)
    december_list = tmp_path / "december.csv"
    december_list.write_text("name,email\nNew Person,new@example.org\n", encoding="utf-8")
    first = run_kiosk(december, "import", str(december_list))
    assert "imported before" not in first.stdout + first.stderr

    again = run_kiosk(december, "import", str(tmp_path / "people.csv"))
    warning = [line for line in again.stderr.splitlines() if line.startswith("Warning:")]
    assert warning == ["Warning: this same file was imported before into Test Meetup (2026-11-26), not tonight's "
                       "evening. If it was that evening's list, import tonight's list again with --remove-missing: "
                       "the people it added will be marked not attending."]
    server = start_in_process(december)
    try:
        with open(tmp_path / "people.csv", "rb") as upload:
            answer = server.post("/api/imports", files={"file": ("people.csv", upload)}).json()
    finally:
        server.stop()
    assert answer["result"] == "imported" and answer["imported_before"] == "Test Meetup (2026-11-26)"

    run_kiosk(december, "import", "--remove-missing", str(december_list))
    listed = json.loads(run_kiosk(december, "attendees", "--format", "json").stdout)
    assert [p["name"] for p in listed if p["status"] == "attending"] == ["New Person"]
    nov = json.loads(run_kiosk(december, "attendees", "--event", NOV_SLUG, "--format", "json").stdout)
    assert len(nov) == len(NAMES) and all(p["status"] == "attending" for p in nov)  # November untouched


def test_a_config_moved_on_while_the_server_runs_says_so_and_leaves_the_door_on_its_evening(tmp_path, kiosk_process):
    """The organiser edits config.toml for December and imports December's list while November's
    `kiosk serve` still runs: the import goes to December, the server keeps November current and
    admitting, and the command says a restart is needed."""
    proc, tokens = kiosk_process()
    november = proc.config_path
    december = next_month(november)
    moved = run_kiosk(december, "import", str(people_csv(tmp_path)))
    assert "restart `kiosk serve`" in moved.stderr and NOV_SLUG in moved.stderr, moved.stderr
    assert current_slug(november) == NOV_SLUG
    same = run_kiosk(november, "attendees", "--format", "json")
    assert "Warning" not in same.stderr
    code = next(p["ticket_code"] for p in json.loads(same.stdout) if p["status"] == "attending")
    answer = requests.post(proc.url + "/api/checkins", json={"code": code, "station": "door-1"},
                           headers={"Authorization": f"Bearer {tokens['kiosk']}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    proc.stop()
    after = run_kiosk(december, "events")
    assert "Warning" not in after.stderr and current_slug(november) == "2026-12-17-test-meetup-december"


def test_the_json_report_and_its_counts_are_one_moment_even_mid_rush(server, monkeypatch):
    """The report's rows and its headcount were two reads: a scan committed between them gave a
    report whose counts disagreed with its own rows (a crash-and-consistency review, session 14).
    Here a scan lands exactly between the two reads."""
    from kiosk import reports

    people = [person for person in server.people() if not person["guests"]]  # one arrival, one person counted
    assert server.scan(people[0]["ticket_code"]).status_code == 201
    read_rows = reports.attendee_rows

    def rows_then_a_scan(db, event):
        rows = read_rows(db, event)
        assert server.state.door.scan(people[1]["ticket_code"], "door-2", None, "127.0.0.1").result == "checked_in"
        return rows

    monkeypatch.setattr(reports, "attendee_rows", rows_then_a_scan)
    report = server.get("/api/export?format=json").json()
    arrived = [row for row in report["attendees"] if row["checked_in_at"]]
    assert [row["name"] for row in arrived] == [people[0]["name"]]
    assert report["headcount"]["checked_in"] == len(arrived) == 1
    assert server.get("/api/headcount", None).json()["checked_in"] == 2  # the scan itself was kept
