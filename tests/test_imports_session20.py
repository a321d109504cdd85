"""Lists as organisers hand them over after a spreadsheet had them (session 20).

Each list is uploaded to a real server on 127.0.0.1, as the organizer page does.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import start_in_process, write_config
from test_imports import IMPORTS, by_name, count, upload
from kiosk.importers import read_attendee_file
from kiosk.importers.reading import MAX_FILE_BYTES


def _with_rows_repeated(path: Path, folder: Path) -> Path:
    """The platform's file with its first two people pasted again under the list, in its own encoding."""
    data = path.read_bytes()
    encoding = "utf-16" if data[:2] == b"\xff\xfe" else "utf-8-sig"
    lines = data.decode(encoding).splitlines(keepends=True)
    if not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\r\n"
    copy = folder / path.name
    copy.write_bytes(("".join(lines + lines[1:3])).encode("utf-16" if encoding == "utf-16" else "utf-8"))
    return copy


@pytest.mark.parametrize("name", ["meetup.xls", "eventbrite.csv", "luma.csv", "tito.csv", "pretix_comma.csv",
                                  "plain.csv"])
def test_a_row_pasted_twice_imports_its_person_once(empty_server, tmp_path: Path, name: str) -> None:
    """Two exports pasted one under the other repeat some rows whole: the list was refused at the
    first repeat ("the file lists it twice"), leaving the door with no list at all."""
    expected = read_attendee_file(IMPORTS / name).people
    response = upload(empty_server, name, path=_with_rows_repeated(IMPORTS / name, tmp_path))
    assert response.status_code == 200, response.text
    assert response.json()["added"] == count(empty_server) == len(expected)
    assert set(by_name(empty_server)) == {person.name for person in expected}


def test_a_repeated_row_keeps_the_check_in_on_the_next_import(empty_server, tmp_path: Path) -> None:
    """The updated list with a repeated row still finds the person checked in, once."""
    upload(empty_server, "eventbrite.csv")
    ada = by_name(empty_server)["Ada Lovelace"]
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    again = upload(empty_server, "eventbrite.csv", path=_with_rows_repeated(IMPORTS / "eventbrite.csv", tmp_path))
    assert again.status_code == 200, again.text
    assert again.json()["added"] == 0 and again.json()["kept_check_ins"] == 1
    assert by_name(empty_server)["Ada Lovelace"]["checked_in_at"] == empty_server.scan(
        ada["ticket_code"]).json()["checked_in_at"]


def test_one_ticket_on_two_different_rows_is_still_refused(empty_server, tmp_path: Path) -> None:
    """Only a row repeated whole is left out: the same ticket code under two names is two claims
    on one ticket, and the file is refused at the second, as before."""
    path = tmp_path / "list.csv"
    path.write_text("Name,Ticket code\nAda Lovelace,T-1\nAda Lovelace,T-1\nBob Stone,T-1\n", encoding="utf-8")
    response = upload(empty_server, "list.csv", path=path)
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("list.csv line 4: has the same ticket code as line 2")
    assert count(empty_server) == 0


def _workbook(path: Path, rows: list[list[object]], merges: list[str]) -> Path:
    """An .xlsx as an organiser lays one out in Excel: rows, then cells merged over others."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for area in merges:
        book.active.merge_cells(area)
    book.save(path)
    return path


def test_a_two_row_header_with_merged_group_titles_reads_the_titles_below(empty_server, tmp_path: Path) -> None:
    """"Attendee" merged over "First name" and "Last name", "Contact" over "Email" and "Phone", "Status"
    merged down over both rows: the group row was read as the header, so a person named "First
    name" was let in, everyone lost their family name and email, and nobody was refused."""
    path = _workbook(tmp_path / "door list.xlsx", [
        ["#", "Attendee", None, "Contact", None, "Status"],
        [None, "First name", "Last name", "Email", "Phone", None],
        [1, "Ada", "Lovelace", "ada@example.org", "0123", "Confirmed"],
        [2, "Bob", "Stone", "bob@example.org", "0456", "Cancelled"],
    ], ["A1:A2", "B1:C1", "D1:E1", "F1:F2"])
    response = upload(empty_server, path.name, path=path)
    assert response.status_code == 200, response.text
    people = by_name(empty_server)
    assert set(people) == {"Ada Lovelace", "Bob Stone"}
    assert people["Ada Lovelace"]["email"] == "ada@example.org"
    assert people["Bob Stone"]["status"] == "not_attending"


def test_a_name_title_merged_over_two_columns_keeps_the_whole_name(empty_server, tmp_path: Path) -> None:
    """"Name" merged over the given and the family name (a title row above): only the column under
    the title's own cell was read, and Ada Lovelace came in as "Ada". A company merged down over
    the rows of its people is each one's, as the sheet shows it."""
    path = _workbook(tmp_path / "list.xlsx", [
        ["Attendees of the November meetup"],
        ["Email", "Company", "Name", None],
        ["ada@example.org", "Analytical Engines", "Ada", "Lovelace"],
        ["grace@example.org", None, "Grace", "Hopper"],
        ["alan@example.org", "Bletchley", "Alan", "Turing"],
    ], ["A1:D1", "C2:D2", "B3:B4"])
    response = upload(empty_server, path.name, path=path)
    assert response.status_code == 200, response.text
    people = by_name(empty_server)
    assert set(people) == {"Ada Lovelace", "Grace Hopper", "Alan Turing"}
    assert people["Grace Hopper"]["company"] == "Analytical Engines"
    assert people["Alan Turing"]["company"] == "Bletchley"


def test_an_upload_over_the_size_limit_says_the_limit_and_that_nothing_was_imported(empty_server) -> None:
    """A script's upload over the limit got Werkzeug's "The data value transmitted exceeds the
    capacity limit.", where `kiosk import` names the file and the limit; a list just over the
    importer's limit now gets the importer's own answer, since the form's bytes have room."""
    far_over = b"Name\n" + b"Ada Lovelace\n" * (MAX_FILE_BYTES // 12)
    refused = empty_server.post("/api/imports", files={"file": ("everyone.csv", far_over)})
    assert refused.status_code == 413, refused.text
    assert refused.json()["message"] == "The file is too large (the limit is 20 MB). Nothing was imported."
    just_over = b"Name\n" + b"Ada Lovelace\n" * (MAX_FILE_BYTES // 13 + 1000)
    named = empty_server.post("/api/imports", files={"file": ("everyone.csv", just_over)})
    assert named.status_code == 422, named.text
    assert named.json()["message"].startswith("everyone.csv: is too large (")
    assert "the limit is 20 MB). Nothing was imported." in named.json()["message"]
    assert count(empty_server) == 0


@pytest.mark.parametrize("name", ["luma.csv", "meetup.xls"])
def test_another_platforms_list_imported_as_pretix_by_mistake_is_refused(empty_server, name: str) -> None:
    """"pretix" picked from the source menu for a Luma or Meetup export was read as a pretix list
    with a "Name" column alone: the approval status or the RSVP went unread, and every guest
    who declined, said No or waited on the waitlist would have been let in."""
    response = upload(empty_server, name, source="pretix")
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{name} line 1: has none of pretix's own columns")
    assert count(empty_server) == 0


def test_a_pretix_list_of_names_and_api_statuses_is_still_read_as_pretix(empty_server, tmp_path: Path) -> None:
    """A list made from pretix's API, names and its one-letter order status, with the source
    chosen: its status is pretix's, so the pending and cancelled orders stay refused."""
    path = tmp_path / "api.csv"
    path.write_text("Name,Email,Status\nAda Lovelace,ada@example.org,p\nBob Stone,bob@example.org,n\n"
                    "Cy Young,cy@example.org,c\n", encoding="utf-8")
    response = upload(empty_server, "api.csv", source="pretix", path=path)
    assert response.status_code == 200, response.text
    assert [person["name"] for person in empty_server.people()] == ["Ada Lovelace"]


def test_the_attendance_report_edited_and_imported_again_updates_everyone(empty_server, tmp_path: Path) -> None:
    """The report downloaded, a row added in a spreadsheet, uploaded again: it was read as a new
    plain list and everyone was added a second time, their check-ins left with the first records,
    and the names the report protects from spreadsheets came back as "'=Ada"."""
    upload(empty_server, "eventbrite.csv")
    walk_in = empty_server.post("/api/attendees", role="volunteer",
                                json={"name": "=Larry Late", "email": "larry@example.org", "check_in": True})
    assert walk_in.status_code == 201, walk_in.text
    ada = by_name(empty_server)["Ada Lovelace"]
    assert empty_server.scan("1121191224317645032101001").status_code == 201  # her Eventbrite barcode
    report = empty_server.get("/api/export?format=csv").text
    path = tmp_path / "attendance.csv"
    path.write_text(report + "99,New Person,new@example.org,,,,,,,,,,\n", encoding="utf-8")
    again = upload(empty_server, "attendance.csv", path=path)
    assert again.status_code == 200, again.text
    assert (again.json()["added"], again.json()["kept_check_ins"]) == (1, 2)
    people = by_name(empty_server)
    assert len(people) == count(empty_server) == 10
    assert people["=Larry Late"]["checked_in_at"] and people["=Larry Late"]["is_walk_in"]
    assert people["Ada Lovelace"]["id"] == ada["id"] and people["Ada Lovelace"]["source"] == "eventbrite"
    assert empty_server.scan("1121191224317645032101001").json()["result"] == "already_checked_in"
    eventbrite_again = upload(empty_server, "eventbrite.csv")  # the platform's list still finds its people
    assert eventbrite_again.json()["added"] == 0, eventbrite_again.text


@pytest.mark.parametrize("secret", ["test-secret-not-for-production", "another-laptops-own-secret-0123456789"])
def test_tickets_of_a_laptop_that_died_scan_where_its_report_was_imported(empty_server, tmp_path: Path,
                                                                          secret: str) -> None:
    """The door laptop dies; the report downloaded from it is imported on another one. Its people
    came with the ticket codes the kiosk had printed for them, stored as the list's door codes, yet
    every such ticket was refused at the new door: "unknown_code" (same secret), or "invalid_code"
    (a laptop with its own secret) before the list was even looked at."""
    upload(empty_server, "plain.csv")
    ada = by_name(empty_server)["Ada Lovelace"]
    report = empty_server.get("/api/export?format=csv").content
    config = write_config(tmp_path / "second")
    config.write_text(config.read_text(encoding="utf-8").replace("test-secret-not-for-production", secret),
                      encoding="utf-8")
    second = start_in_process(config)
    try:
        assert second.post("/api/imports", files={"file": ("attendance.csv", report)}).status_code == 200
        scanned = second.scan(ada["ticket_code"])
        assert scanned.status_code == 201, scanned.text
        assert scanned.json()["attendee"]["name"] == "Ada Lovelace"
        assert second.scan(ada["ticket_code"]).json()["result"] == "already_checked_in"
        assert second.scan("K1-AAAAAAAA-BBBBBBBBBBBBB").json()["result"] == "invalid_code"  # forged: refused
    finally:
        second.stop()


def test_kiosk_codes_pasted_onto_the_wrong_rows_rename_nobody(empty_server, tmp_path: Path) -> None:
    """A sheet re-sorted after its ticket codes were pasted in holds each code beside someone else:
    such a row is not taken for the code's owner, whose name and check-in stay theirs."""
    upload(empty_server, "plain.csv")
    people = by_name(empty_server)
    ada, grace = people["Ada Lovelace"], people["Grace Hopper"]
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    path = tmp_path / "mixed.csv"
    path.write_text(f"Name,Email,ticket_code\nAlan Turing,alan@example.org,{ada['ticket_code']}\n", encoding="utf-8")
    assert upload(empty_server, "mixed.csv", path=path).status_code == 200
    after = by_name(empty_server)
    assert after["Ada Lovelace"]["id"] == ada["id"] and after["Ada Lovelace"]["checked_in_at"]
    assert after["Grace Hopper"]["id"] == grace["id"] and not after["Alan Turing"]["checked_in_at"]
