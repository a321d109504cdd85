"""Importing the lists organisers download, through a real server and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_kiosk, write_config
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
    party = sum(1 + after[person["id"]]["guests"] for person in arrived)  # a Meetup host's guests come too
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == party
    upload(empty_server, second)
    assert len(by_name(empty_server)) == len(after)


def test_reimport_changes_status_to_cancelled(empty_server):
    upload(empty_server, "eventbrite.csv")
    jose = next(p for p in by_name(empty_server).values() if p["name"].startswith("José"))
    assert jose["status"] == "attending"
    upload(empty_server, "eventbrite_v2.csv")
    assert empty_server.scan(jose["ticket_code"]).json()["result"] == "not_attending"


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),  # a picture picked by mistake
    bytes(range(1, 256)) * 4,  # no NUL byte, not UTF-8, full of control characters
], ids=["png", "binary-without-nul"])
def test_binary_file_imports_nothing_and_says_why(empty_server, tmp_path, data):
    upload(empty_server, "plain.csv")
    before = count(empty_server)
    binary = tmp_path / "attendees.csv"
    binary.write_bytes(data)
    response = upload(empty_server, "", path=binary)
    assert response.status_code == 422
    assert "attendees.csv" in response.json()["message"]
    assert "Nothing was imported" in response.json()["message"]
    assert count(empty_server) == before


def test_windows_excel_csv_imports_with_its_accents(empty_server, tmp_path):
    """Excel on Windows saves "CSV (Comma delimited)" in Windows-1252, not UTF-8."""
    excel = tmp_path / "list.csv"
    excel.write_bytes("Name,Company\r\nJosé Núñez,Café €uro\r\nRenée O’Brien,Señor Ltd\r\n"
                      .encode("cp1252"))
    response = upload(empty_server, "", path=excel)
    assert response.status_code == 200, response.text
    people = by_name(empty_server)
    assert people["José Núñez"]["company"] == "Café €uro"
    assert people["Renée O’Brien"]["company"] == "Señor Ltd"
    assert "Windows-1252" in response.json()["encoding_note"]  # the organiser is told to check the accents
    assert response.json()["encoding"] == "cp1252"


def test_the_cli_says_when_a_list_was_read_as_windows_1252(tmp_path):
    config = write_config(tmp_path)
    excel = tmp_path / "list.csv"
    excel.write_bytes("Name\r\nJosé Núñez\r\n".encode("cp1252"))
    result = run_kiosk(config, "import", str(excel))
    assert "1 added" in result.stdout
    assert "read as Windows-1252" in result.stdout
    assert "Windows-1252" not in run_kiosk(config, "import", str(IMPORTS / "eventbrite.csv")).stdout


def test_damaged_utf8_file_names_the_line_and_imports_nothing(empty_server, tmp_path):
    damaged = tmp_path / "list.csv"
    damaged.write_bytes("Name\nJosé Núñez\nBj".encode() + b"\xf6rk\n")  # one stray Latin-1 byte
    response = upload(empty_server, "", path=damaged)
    assert response.status_code == 422
    assert "list.csv line 3: is not valid UTF-8 text" in response.json()["message"]
    assert count(empty_server) == 0


def test_malformed_row_names_the_line_and_imports_nothing(empty_server, tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("Name,Email\nAda Lovelace,ada@example.org\nGrace Hopper,grace@example.com,extra,cells\n", encoding="utf-8")
    response = upload(empty_server, "", path=bad)
    assert response.status_code == 422
    assert "line 3" in response.json()["message"]
    assert count(empty_server) == 0


def test_cli_import_shows_progress_and_lists_attendees_as_json(tmp_path):
    config = write_config(tmp_path)
    result = run_kiosk(config, "import", str(IMPORTS / "eventbrite.csv"))
    assert "8 added" in result.stdout
    listed = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)
    assert len(listed) == 8
    for key in ("id", "name", "email", "company", "status", "ticket_code", "checked_in_at"):
        assert key in listed[0]
    assert all(p["checked_in_at"] is None for p in listed)


def test_cli_import_of_a_bad_file_fails_with_the_line(tmp_path):
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


# --- re-imports that must not move a check-in or forget a cancellation ----------------------

PRETIX_HEADER = "Order code,Attendee name,Product,Secret,E-mail\n"
ADA_SECRET, GRACE_SECRET = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq", "u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e"
ADA = f"ABC12,Ada Lovelace,Regular,{ADA_SECRET},ada@example.org\n"
GRACE = f"ABC12,Grace Hopper,Regular,{GRACE_SECRET},grace@example.com\n"


def upload_text(server, tmp_path: Path, name: str, text: str, **form: str):
    """Upload a list written on the spot, with extra form fields."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with path.open("rb") as fh:
        return server.post("/api/imports", files={"file": (path.name, fh)}, data={"source": "auto", **form})


def test_pretix_re_sorted_list_keeps_each_check_in_with_its_ticket(empty_server, tmp_path):
    upload_text(empty_server, tmp_path, "v1.csv", PRETIX_HEADER + ADA + GRACE)
    assert empty_server.scan(ADA_SECRET).status_code == 201
    renamed = GRACE.replace("Grace Hopper", "Alan Turing")  # pretix sorts by name: Alan comes first
    upload_text(empty_server, tmp_path, "v2.csv", PRETIX_HEADER + renamed + ADA)
    people = by_name(empty_server)
    assert people["Ada Lovelace"]["checked_in_at"] and not people["Alan Turing"]["checked_in_at"]
    assert empty_server.scan(ADA_SECRET).json()["result"] == "already_checked_in"
    assert empty_server.scan(GRACE_SECRET).json()["result"] == "checked_in"


def test_pretix_people_keyed_the_old_way_are_found_by_their_secret(empty_server, tmp_path):
    from kiosk import list_import
    from kiosk.importers import ImportBatch

    old = read_attendee_file(_written(tmp_path, "v0.csv", PRETIX_HEADER + ADA + GRACE))
    for n, person in enumerate(old.people, start=1):
        person.external_id = f"pretix:ABC12-{n}"  # as imports before the secret key stored them
    with empty_server.state.store.write() as db:
        list_import.upsert_batch(db, empty_server.state.door.event, empty_server.state.door.master,
                               ImportBatch("pretix", "v0.csv", old.people))
    ids = {p["name"]: p["id"] for p in by_name(empty_server).values()}
    summary = upload_text(empty_server, tmp_path, "v1.csv", PRETIX_HEADER + GRACE + ADA).json()
    assert (summary["added"], summary["missing"]) == (0, 0)
    assert {p["name"]: p["id"] for p in by_name(empty_server).values()} == ids


def test_german_pretix_list_with_a_pending_order_refuses_the_unpaid_ticket(empty_server, tmp_path):
    """pretix titles its columns in the organiser's language: "bezahlt" is "Paid", "Nein" is "No"."""
    german = ("Bestellnummer;Name Teilnehmer*in;Teilnehmer*innenname: Vorname;"
              "Teilnehmer*innenname: Nachname;Produkt;Eingecheckt;bezahlt;Secret;E-Mail\n"
              f"ABC12;Jürgen Groß;Jürgen;Groß;Ticket;;Ja;{ADA_SECRET};j@example.org\n"
              f"QWE7R;Grace Hopper;Grace;Hopper;Ticket;;Nein;{GRACE_SECRET};grace@example.com\n")
    summary = upload_text(empty_server, tmp_path, "pretix_de.csv", german).json()
    assert (summary["source"], summary["added"], summary["not_attending"]) == ("pretix", 2, 1)
    assert by_name(empty_server)["Grace Hopper"]["status"] == "not_attending"
    refused = empty_server.scan(GRACE_SECRET)
    assert (refused.status_code, refused.json()["result"]) == (409, "not_attending")
    assert empty_server.scan(ADA_SECRET).json()["attendee"]["name"] == "Jürgen Groß"


def _written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_people_missing_from_a_re_import_are_reported_and_kept(empty_server, tmp_path):
    upload_text(empty_server, tmp_path, "v1.csv", PRETIX_HEADER + ADA + GRACE)
    summary = upload_text(empty_server, tmp_path, "v2.csv", PRETIX_HEADER + ADA).json()
    assert (summary["missing"], summary["missing_names"], summary["missing_removed"]) == (
        1, ["Grace Hopper"], False)
    assert by_name(empty_server)["Grace Hopper"]["status"] == "attending"


def test_remove_missing_refuses_them_at_the_door_and_keeps_check_ins(empty_server, tmp_path):
    third = "QWE7R,Cy Young,Regular,ab2cd3ef4gh5jk6mn7pq8rs9tu2vw3xy,cy@example.org\n"
    upload_text(empty_server, tmp_path, "v1.csv", PRETIX_HEADER + ADA + GRACE + third)
    assert empty_server.scan(ADA_SECRET).status_code == 201
    summary = upload_text(empty_server, tmp_path, "v2.csv", PRETIX_HEADER + third,
                          remove_missing="1").json()
    assert (summary["missing"], summary["missing_removed"]) == (2, True)
    people = by_name(empty_server)
    assert people["Grace Hopper"]["status"] == "not_attending"
    assert people["Grace Hopper"]["platform_status"] == "Not in the latest list"
    assert people["Ada Lovelace"]["checked_in_at"]  # her arrival stays on record
    assert empty_server.scan(GRACE_SECRET).json()["result"] == "not_attending"
    assert people["Cy Young"]["status"] == "attending"
    back = upload_text(empty_server, tmp_path, "v3.csv", PRETIX_HEADER + GRACE + third).json()
    assert by_name(empty_server)["Grace Hopper"]["status"] == "attending"
    assert back["missing"] == 0  # Ada, already marked, is not reported again


def test_plain_family_sharing_an_email_keeps_its_check_in_when_re_sorted(empty_server, tmp_path):
    upload_text(empty_server, tmp_path, "v1.csv", "Name,Email\nAnn Smith,family@example.org\n"
                "Bob Smith,family@example.org\n")
    ann = by_name(empty_server)["Ann Smith"]
    assert empty_server.scan(ann["ticket_code"]).status_code == 201
    upload_text(empty_server, tmp_path, "v2.csv", "Name,Email\nBob Smith,family@example.org\n"
                "Ann Smith,family@example.org\n")
    people = by_name(empty_server)
    assert people["Ann Smith"]["checked_in_at"] and not people["Bob Smith"]["checked_in_at"]
    assert people["Ann Smith"]["ticket_code"] == ann["ticket_code"]


def test_a_batch_with_a_repeated_key_is_refused_not_numbered(empty_server):
    from kiosk import list_import
    from kiosk.importers import ImportBatch

    people = read_attendee_file(IMPORTS / "plain.csv").people[:2]
    people[1].external_id = people[0].external_id
    with pytest.raises(ValueError, match="share the key"):
        with empty_server.state.store.write() as db:
            list_import.upsert_batch(db, empty_server.state.door.event, empty_server.state.door.master,
                                   ImportBatch("csv", "plain.csv", people))
    assert count(empty_server) == 0


def test_import_progress_covers_writing_to_the_database(empty_server, tmp_path):
    from kiosk.audit import CLI

    rows = "".join(f"Person {n},p{n}@example.org\n" for n in range(1, 301))
    calls: list[tuple[str, int, int]] = []
    empty_server.state.door.import_file(_written(tmp_path, "big.csv", "Name,Email\n" + rows), "auto", CLI,
                                        progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = [stage for stage, _, _ in calls]
    assert stages.index("Writing") > stages.index("Reading") and set(stages) == {"Reading", "Writing"}
    assert calls[-1] == ("Writing", 300, 300)
    assert [done for stage, done, _ in calls if stage == "Writing"] == sorted(
        done for stage, done, _ in calls if stage == "Writing")


def test_cli_reports_missing_people_and_removes_them_on_request(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "import", str(_written(tmp_path, "v1.csv", PRETIX_HEADER + ADA + GRACE)))
    kept = run_kiosk(config, "import", str(_written(tmp_path, "v2.csv", PRETIX_HEADER + ADA)))
    assert "1 person from earlier lists not in this file was left as they were" in kept.stdout
    assert "Grace Hopper" in kept.stdout and "--remove-missing" in kept.stdout
    removed = run_kiosk(config, "import", "--remove-missing", str(tmp_path / "v2.csv"))
    assert "marked not attending: Grace Hopper" in removed.stdout
    listed = {p["name"]: p for p in json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)}
    assert listed["Grace Hopper"]["status"] == "not_attending"
    assert listed["Ada Lovelace"]["status"] == "attending"


def test_a_refused_file_reads_as_two_sentences_on_the_web_and_the_command_line(empty_server, tmp_path):
    bad = tmp_path / "bad_email.csv"
    bad.write_text("Name,Email\nAda Lovelace,ada@example.org\n,nobody@example.org\n", encoding="utf-8")
    expected = "bad_email.csv line 3: the name is empty. Nothing was imported."
    assert upload(empty_server, "", path=bad).json()["message"] == expected
    result = run_kiosk(empty_server.config_path, "import", str(bad), check=False)
    assert result.returncode != 0 and expected in result.stderr


def test_a_vietnamese_name_in_a_one_column_list_is_greeted_by_the_given_name(empty_server, tmp_path):
    upload_text(empty_server, tmp_path, "meetup-night.csv",
                "Name,Email,Ticket code\nNguyễn Thị Minh Khai,khai@example.vn,VN-0001\n")
    response = empty_server.scan("VN-0001")
    assert response.status_code == 201, response.text
    assert response.json()["message"] == "Welcome, Khai! Your badge is printing."
    assert response.json()["attendee"]["name"] == "Nguyễn Thị Minh Khai"
