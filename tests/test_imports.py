"""Importing the lists organisers download, through a real server and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_kiosk
from kiosk.importers import read_attendee_file

IMPORTS = FIXTURES / "imports"


def upload(server, name: str, source: str = "auto", path: Path | None = None):
    path = path or IMPORTS / name
    with path.open("rb") as fh:
        return server.post("/api/imports", files={"file": (path.name, fh)}, data={"source": source})


def by_name(server) -> dict[str, dict]:
    return {a["name"]: a for a in server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]}


def count(server) -> int:
    with server.state.store.read() as db:
        return db.execute("SELECT count(*) FROM attendees").fetchone()[0]


@pytest.mark.parametrize("name,source", [
    ("meetup.xls", "meetup"), ("eventbrite.csv", "eventbrite"), ("luma.csv", "luma"), ("tito.csv", "tito"),
    ("pretix_comma.csv", "pretix"), ("pretix_semicolon.csv", "pretix"), ("plain.csv", "csv"), ("plain.xlsx", "xlsx"),
])
def test_each_platform_list_is_detected_and_imported(empty_server, name, source):
    expected = read_attendee_file(IMPORTS / name).people
    response = upload(empty_server, name)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == source
    assert body["added"] == count(empty_server) == len(expected)
    assert body["not_attending"] == sum(not p.attending for p in expected) >= 1
    imported = by_name(empty_server)
    assert {p.name for p in expected} == set(imported)
    for person in imported.values():
        assert person["ticket_code"].startswith("K")


def test_eventbrite_order_rows_share_the_buyer_email_but_stay_people(empty_server):
    upload(empty_server, "eventbrite.csv")
    people = by_name(empty_server)
    assert {"Ada Lovelace", "Grace Hopper"} <= set(people)
    assert people["Grace Hopper"]["company"] == "US Navy"


@pytest.mark.parametrize("fixture,scanned", [
    ("eventbrite.csv", "1121191224317645032101001"),
    ("luma.csv", "https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk=g-2U61lr65dtD1YXI"),
    ("luma.csv", "https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-XyZ789AbCdEf"),
    ("tito.csv", "giao-1"),
    ("pretix_comma.csv", "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"),
    ("plain.csv", "DOOR-0001"),
])
def test_codes_printed_on_platform_tickets_are_accepted(empty_server, fixture, scanned):
    upload(empty_server, fixture)
    response = empty_server.scan(scanned)
    assert response.status_code == 201, response.text
    assert response.json()["attendee"]["name"] in ("Ada Lovelace", "Grace Hopper")


def test_platform_code_of_a_void_ticket_is_not_attending(empty_server):
    upload(empty_server, "tito.csv")
    void = [a for a in by_name(empty_server).values() if a["status"] == "not_attending"]
    assert void
    response = empty_server.scan(void[0]["ticket_code"])
    assert (response.status_code, response.json()["result"]) == (409, "not_attending")


@pytest.mark.parametrize("first,second", [("eventbrite.csv", "eventbrite_v2.csv"), ("meetup.xls", "meetup_v2.xls")])
def test_reimport_updates_people_and_never_loses_a_check_in(empty_server, first, second):
    upload(empty_server, first)
    before = by_name(empty_server)
    arrived = [p for p in before.values() if p["status"] == "attending"][:3]
    for person in arrived:
        assert empty_server.scan(person["ticket_code"]).status_code == 201
    response = upload(empty_server, second)
    assert response.status_code == 200
    summary = response.json()
    assert summary["added"] == 1 and summary["updated"] >= 2 and summary["kept_check_ins"] == 3
    after = {a["id"]: a for a in by_name(empty_server).values()}
    for person in arrived:
        assert after[person["id"]]["checked_in_at"] == person["checked_in_at"] or after[person["id"]]["checked_in_at"]
        assert after[person["id"]]["ticket_code"] == person["ticket_code"]
        assert empty_server.scan(person["ticket_code"]).json()["result"] == "already_checked_in"
    assert len(after) == len(before) + 1
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == 3
    upload(empty_server, second)
    assert len(by_name(empty_server)) == len(after)


def test_reimport_changes_status_to_cancelled(empty_server):
    upload(empty_server, "eventbrite.csv")
    jose = next(p for p in by_name(empty_server).values() if p["name"].startswith("José"))
    assert jose["status"] == "attending"
    upload(empty_server, "eventbrite_v2.csv")
    assert empty_server.scan(jose["ticket_code"]).json()["result"] == "not_attending"


def test_binary_file_imports_nothing_and_says_why(empty_server, tmp_path):
    upload(empty_server, "plain.csv")
    before = count(empty_server)
    png = tmp_path / "attendees.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    response = upload(empty_server, "", path=png)
    assert response.status_code == 422
    assert "attendees.csv" in response.json()["message"]
    assert "Nothing was imported" in response.json()["message"]
    assert count(empty_server) == before


def test_malformed_row_names_the_line_and_imports_nothing(empty_server, tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("Name,Email\nAda Lovelace,ada@example.org\nGrace Hopper,grace@example.com,extra,cells\n", encoding="utf-8")
    response = upload(empty_server, "", path=bad)
    assert response.status_code == 422
    assert "line 3" in response.json()["message"]
    assert count(empty_server) == 0


def test_cli_import_shows_progress_and_lists_attendees_as_json(tmp_path):
    from conftest import write_config

    config = write_config(tmp_path)
    result = run_kiosk(config, "import", str(IMPORTS / "eventbrite.csv"))
    assert "8 added" in result.stdout
    listed = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    assert len(listed) == 8
    for key in ("id", "name", "email", "company", "status", "ticket_code", "checked_in_at"):
        assert key in listed[0]
    assert all(p["checked_in_at"] is None for p in listed)


def test_cli_import_of_a_bad_file_fails_with_the_line(tmp_path):
    from conftest import write_config

    config = write_config(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Email\n,nobody@example.org\n", encoding="utf-8")
    result = run_kiosk(config, "import", str(bad), check=False)
    assert result.returncode != 0
    assert "bad.csv line 2" in result.stderr
    assert json.loads(run_kiosk(config, "attendees", "--format", "json").stdout) == []


def test_cli_import_while_server_runs_reaches_the_screens(empty_server, tmp_path):
    copy = tmp_path / "luma.csv"
    shutil.copy(IMPORTS / "luma.csv", copy)
    run_kiosk(empty_server.config_path, "import", str(copy))
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and empty_server.get("/api/headcount", None).json()["expected"] == 0:
        time.sleep(0.1)
    assert empty_server.get("/api/headcount", None).json()["expected"] > 0
