"""Lists that imported cleanly and then went wrong at the door: a second list numbered like the first
renamed the first list's people (check-ins included), people who said no came in, a zero-padded or
link-shaped ticket code that would not scan, names turned into "?" by an Excel re-save, and a walk-in
who then bought a ticket counted twice.

Each test writes a small file shaped like the organiser's and imports it the way they do (`kiosk
import`, or an upload to a real server), then looks at the list or scans.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import run_kiosk, write_config
from test_imports import by_name, upload_text
from test_imports_session7 import listed, write


def imported(config: Path, tmp_path: Path, name: str, text: str, encoding: str = "utf-8"):
    """`kiosk import` of a file written on the spot."""
    return run_kiosk(config, "import", str(write(tmp_path, name, text, encoding)), check=False)


def statuses(config: Path) -> dict[str, str]:
    return {person["name"]: person["status"] for person in listed(config)}


# --- 1. Two plain lists numbered alike ------------------------------------------------------------

SPEAKERS = "Ticket number,Name,Email,Role\r\n1,Sam Speaker,sam@example.org,Speaker\r\n2,Sue Speaker,sue@example.org,Speaker\r\n"
GUESTS = "Ticket number,Name,Email\r\n1,Ada Lovelace,ada@example.org\r\n2,Bob Byte,bob@example.org\r\n"


def test_a_second_list_numbered_like_the_first_is_refused_and_changes_nobody(empty_server, tmp_path: Path) -> None:
    """Speakers 1-2, then guests 1-2: the guests used to take over the speakers' records, and Ada was
    greeted with Sam's check-in."""
    assert upload_text(empty_server, tmp_path, "speakers.csv", SPEAKERS).status_code == 200
    assert empty_server.scan("1").json()["attendee"]["name"] == "Sam Speaker"
    answer = upload_text(empty_server, tmp_path, "guests.csv", GUESTS)
    assert answer.status_code == 422
    message = answer.json()["message"]
    assert "guests.csv line 2" in message and "'1' belongs to Sam Speaker on the stored list" in message
    assert "Nothing was imported" in message
    people = by_name(empty_server)
    assert sorted(people) == ["Sam Speaker", "Sue Speaker"] and people["Sam Speaker"]["checked_in_at"]
    again = empty_server.scan("1").json()
    assert (again["result"], again["attendee"]["name"]) == ("already_checked_in", "Sam Speaker")


def test_a_list_renumbered_alike_is_refused_even_when_names_share_a_particle(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "speakers.csv", "Code,Name\r\n1,Maria de Souza\r\n2,Pedro van Dijk\r\n")
    result = imported(config, tmp_path, "guests.csv", "Code,Name\r\n1,Jan de Vries\r\n2,Anna van Dam\r\n")
    assert result.returncode == 1 and "guests.csv line 2" in result.stderr, result.stderr
    assert sorted(statuses(config)) == ["Maria de Souza", "Pedro van Dijk"]


def test_an_update_of_the_same_list_with_a_ticket_passed_on_is_taken(tmp_path: Path) -> None:
    """Excel's "?" for Greek letters, a handle replaced by the real name, one ticket passed on: the
    same list, updated, not a second list numbered alike."""
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "v1.csv", "Ticket code,Name,Email\r\nS1,Ελένη Παππά,\r\nS2,jdoe42,\r\n"
             "S3,Grace Hopper,grace@example.org\r\nS4,Alan Turing,alan@example.org\r\n"
             "S5,Ada Lovelace,ada@example.org\r\n")
    result = imported(config, tmp_path, "v2.csv", "Ticket code,Name,Email\r\nS1,????? ?????,\r\n"
                      "S2,Jane Doe,jane@example.org\r\nS3,Grace Hopper,grace@example.org\r\n"
                      "S4,Maria Rossi,maria@example.org\r\nS5,Ada Lovelace,ada@example.org\r\n", "cp1252")
    assert result.returncode == 0, result.stderr
    assert sorted(statuses(config)) == ["Ada Lovelace", "Grace Hopper", "Jane Doe", "Maria Rossi", "Ελένη Παππά"]


def test_the_same_list_with_a_name_corrected_still_updates_its_people(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    assert imported(config, tmp_path, "v1.csv", SPEAKERS).returncode == 0
    fixed = SPEAKERS.replace("Sam Speaker", "Samuel Speaker").replace("Sue Speaker,", "Sue Talker,")
    result = imported(config, tmp_path, "v2.csv", fixed)
    assert result.returncode == 0 and "0 added, 2 updated" in result.stdout
    assert sorted(statuses(config)) == ["Samuel Speaker", "Sue Talker"]


# --- 2. People who said no -----------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    "No, I can't make it", "No - sorry", "Not coming", "Will not attend", "Can't make it", "Unable to attend",
    "Withdrawn", "Refused", "Rechazado", "Anulado", "Abgemeldet", "Refusé", "Désinscrit", "Décliné",
])
def test_a_refusal_in_a_plain_lists_status_is_not_attending(answer: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "list.csv", f"Name,Email,Status\r\nAda Lovelace,ada@example.org,\"{answer}\"\r\n")
    assert statuses(config) == {"Ada Lovelace": "not_attending"}


@pytest.mark.parametrize("answer", ["Non-member", "Not sure", "Member", "Confirmed", "Maybe", "No charge (speaker)",
                                    "Unable to pay online - pays at door", "No payment required", "No pagado"])
def test_answers_that_are_not_a_no_still_let_people_in(answer: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "list.csv", f"Name,Email,Status\r\nAda Lovelace,ada@example.org,{answer}\r\n")
    assert statuses(config) == {"Ada Lovelace": "attending"}


def test_an_rsvp_no_beside_a_membership_status_is_not_attending(tmp_path: Path) -> None:
    """A list merged from two: the first status column (Member / Guest) hid the RSVP's no."""
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "merged.csv", "Name,Email,Status,RSVP\r\nAda Lovelace,ada@example.org,Member,Yes\r\n"
             "Bob Byte,bob@example.org,Guest,No\r\n")
    assert statuses(config) == {"Ada Lovelace": "attending", "Bob Byte": "not_attending"}


def test_a_forms_will_you_attend_no_is_refused_at_the_door(empty_server, tmp_path: Path) -> None:
    """Only the question whether they come: a no to the dinner, to parking or to coming before is no refusal."""
    form = ("Timestamp,Email Address,What is your name?,Have you attended before?,Are you coming by car? (parking),"
            "Will you attend the dinner after the talks?,Will you attend?\r\n"
            "2026/11/01 10:00:00 AM GMT,ada@example.org,Ada Lovelace,No,No,No,Yes\r\n"
            "2026/11/01 10:05:00 AM GMT,bob@example.org,Bob Byte,Yes,Yes,Yes,\"No, I can't make it\"\r\n")
    assert upload_text(empty_server, tmp_path, "form.csv", form).status_code == 200
    people = by_name(empty_server)
    assert (people["Ada Lovelace"]["status"], people["Bob Byte"]["status"]) == ("attending", "not_attending")
    assert empty_server.scan(people["Bob Byte"]["ticket_code"]).json()["result"] == "not_attending"


def test_a_plus_one_answered_yes_or_no_is_one_guest_or_none(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "form.csv", "Timestamp,What is your name?,Email Address,+1\r\n"
                      "2026/11/01,Ada Lovelace,ada@example.org,Yes\r\n2026/11/01,Bob Byte,bob@example.org,No\r\n")
    assert result.returncode == 0, result.stderr
    assert {person["name"]: person["guests"] for person in listed(config)} == {"Ada Lovelace": 1, "Bob Byte": 0}


# --- 3. Ticket codes that would not scan ------------------------------------------------------------

def test_a_zero_padded_number_in_a_workbook_scans_as_the_ticket_shows_it(empty_server, tmp_path: Path) -> None:
    """Excel shows 00123 (number format "00000") but stores 123: the ticket says 00123."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Email", "Ticket code"])
    for row, (name, number) in enumerate([("Ada Lovelace", 123), ("Bob Byte", 124)], start=2):
        sheet.append([name, f"{name.split()[0].lower()}@example.org", number])
        sheet.cell(row=row, column=3).number_format = "00000"
    path = tmp_path / "list.xlsx"
    book.save(path)
    with path.open("rb") as fh:
        assert empty_server.post("/api/imports", files={"file": (path.name, fh)}, data={"source": "auto"}).ok
    scanned = empty_server.scan("00123")
    assert scanned.status_code == 201 and scanned.json()["attendee"]["name"] == "Ada Lovelace"
    bare = empty_server.scan("124")  # a mail merge prints the number without the sheet's zeros
    assert bare.status_code == 201 and bare.json()["attendee"]["name"] == "Bob Byte"


def test_ticket_codes_that_are_links_scan(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "list.csv", "Name,Email,QR code\r\n"
                "Ada Lovelace,ada@example.org,https://tickets.example.com/t/ABC123\r\n")
    scanned = empty_server.scan("https://tickets.example.com/t/ABC123")
    assert scanned.status_code == 201 and scanned.json()["attendee"]["name"] == "Ada Lovelace"
    assert empty_server.scan("https://tickets.example.com/t/XYZ789").json()["result"] == "invalid_code"  # on no list


# --- 4. An Excel re-save that lost letters -------------------------------------------------------------

MEETUP = ("Name\tUser ID\tTitle\tEvent Host\tRSVPed on\tLast Attended\tGuests\tRSVP\tURL of Member Profile\r\n"
          "{greek}\t11111\t\tNo\t2026-11-01\t\t0\tYes\thttps://www.meetup.com/members/11111/\r\n"
          "{viet}\t22222\t\tNo\t2026-11-01\t\t0\tYes\thttps://www.meetup.com/members/22222/\r\n")


def test_names_excel_wrote_as_question_marks_keep_their_letters(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "rsvps.xls", MEETUP.format(greek="Γιώργος Παπαδόπουλος", viet="Nguyễn Thị Minh Khai"),
             "utf-16")
    resaved = MEETUP.format(greek="??????? ????????????", viet="Nguy?n Th? Minh Khai").replace("\t", ",")
    result = imported(config, tmp_path, "rsvps.csv", resaved, "cp1252")
    assert result.returncode == 0, result.stderr
    assert "2 stored name(s) kept" in result.stdout
    assert sorted(statuses(config)) == ["Nguyễn Thị Minh Khai", "Γιώργος Παπαδόπουλος"]


# --- 5. A walk-in who then got a ticket -----------------------------------------------------------------

EVENTBRITE = ("\ufeffOrder #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,"
              "Attendee Status\r\n"
              "1000000010,11/20/26 10:00,Ada,Lovelace,ada@example.org,1,General Admission,1000000011,Attending\r\n")
LARRY = "1000000020,11/26/26 18:40,Larry,Late,larry@example.org,1,General Admission,1000000021,Attending\r\n"


def test_a_walk_in_on_the_next_list_is_one_person_checked_in_once(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "report.csv", EVENTBRITE)
    registered = empty_server.post("/api/attendees", "volunteer", json={
        "name": "Larry Late", "email": "Larry@example.org", "check_in": True})
    assert registered.status_code == 201, registered.text
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == 1
    assert upload_text(empty_server, tmp_path, "report2.csv", EVENTBRITE + LARRY).status_code == 200
    larrys = [person for person in empty_server.people() if person["name"] == "Larry Late"]
    assert len(larrys) == 1 and larrys[0]["checked_in_at"]
    scanned = empty_server.scan("1000000020" + "1000000021" + "001").json()
    assert (scanned["result"], scanned["attendee"]["name"]) == ("already_checked_in", "Larry Late")
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == 1


def test_a_family_sharing_an_email_is_not_merged_into_the_walk_in(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "report.csv", EVENTBRITE)
    assert empty_server.post("/api/attendees", "volunteer", json={
        "name": "Anna Schmidt", "email": "family.schmidt@example.org", "check_in": True}).status_code == 201
    peter = LARRY.replace("Larry,Late,larry@example.org", "Peter,Schmidt,family.schmidt@example.org")
    assert upload_text(empty_server, tmp_path, "report2.csv", EVENTBRITE + peter).status_code == 200
    people = by_name(empty_server)
    assert people["Anna Schmidt"]["checked_in_at"] and not people["Peter Schmidt"]["checked_in_at"]
    assert empty_server.scan("1000000020" + "1000000021" + "001").json()["result"] == "checked_in"
