"""Real export files that still broke an import: a tab or semicolon list whose bad row was blamed on
the wrong line, a Luma guest invited by email alone, Eventbrite's "Info Requested" placeholder, a
spreadsheet's failed formulas (#N/A) printed on badges, and a plain list whose corrected email made
the same person twice.

Each test writes a small file shaped like the real export and imports it the way an organiser does:
`kiosk import` on the command line, or an upload to a real server, then looks at the list or scans.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import run_kiosk, write_config
from test_imports import by_name, upload_text
from test_imports_session7 import listed, write

def imported(tmp_path: Path, name: str, text: str) -> tuple[Path, list[dict]]:
    """A fresh door's config and everyone `kiosk attendees --format json` lists after importing a file."""
    config = write_config(tmp_path / "door")
    run_kiosk(config, "import", str(write(tmp_path, name, text)))
    return config, listed(config)


# --- 1. A bad row in a tab or semicolon list is reported at its own line ---------------------------

# Excel's "Unicode Text" (UTF-16, tabs) and a semicolon CSV both quote an answer holding a line
# break; the row under it has one cell too many. The answer's second line, one cell with no
# delimiter, was taken for the header below "title lines", and the error was about that misreading.
TWO_LINE_ANSWER = ('Name{d}Email{d}Notes\r\nAda Lovelace{d}ada@example.org{d}"Vegetarian,\r\nno nuts"\r\n'
                   'Bob Byte{d}bob@example.org{d}none{d}extra\r\n')


@pytest.mark.parametrize(("name", "delimiter", "encoding"), [
    ("unicode_text.txt", "\t", "utf-16"), ("semicolons.csv", ";", "utf-8-sig"),
], ids=["excel-unicode-text", "semicolon-csv"])
def test_a_row_too_wide_under_a_two_line_answer_is_refused_at_its_own_line(
        name: str, delimiter: str, encoding: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    path = write(tmp_path, name, TWO_LINE_ANSWER.format(d=delimiter), encoding)
    result = run_kiosk(config, "import", str(path), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{name} line 4: has 4 fields but the header has 3" in result.stderr
    assert listed(config) == []


def test_a_title_with_commas_above_a_semicolon_header_is_still_a_title(tmp_path: Path) -> None:
    """The line's own delimiter counts only above a one-cell header: a title with commas in it stays a
    title above the semicolons of a list Excel saved in a European locale."""
    _, people = imported(tmp_path, "liste.csv", "London Tech Meetup, 26 November, attendees\r\n\r\n"
                         "Name;Email;Company\r\nAda Lovelace;ada@example.org;Analytical Engines\r\n")
    assert [(person["name"], person["company"]) for person in people] == [("Ada Lovelace", "Analytical Engines")]


# --- 2. Luma: a guest added or invited by email alone --------------------------------------------

# Luma's guest export (header as in tests/fixtures/imports/luma.csv, current "guest_id" title). A
# guest the host invited or added by email has no name yet; the whole list was refused for it.
LUMA = ("\ufeffguest_id,name,first_name,last_name,email,phone_number,created_at,approval_status,"
        "checked_in_at,qr_code_url,ticket_name\r\n"
        "gst-Qlwi4e4mqdtWDvN,Ada Lovelace,Ada,Lovelace,ada@example.org,,2025-04-28T09:15:02.113Z,"
        "approved,,https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk=g-2U61lr65dtD1YXI,General\r\n"
        "gst-8fHw2KdPq0aZx1B,,,,grace@example.com,,2025-04-28T09:16:00.000Z,invited,,,General\r\n"
        "gst-Zr4Wq9Lm2Xc7Vb1,,,,alan@example.net,,2025-04-28T09:17:00.000Z,approved,,"
        "https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-Tur1ngAbCdEf,General\r\n")


def test_a_luma_guest_without_a_name_is_imported_under_their_email(tmp_path: Path) -> None:
    people = {person["email"]: person for person in imported(tmp_path, "luma-guests.csv", LUMA)[1]}
    assert len(people) == 3
    assert people["grace@example.com"]["name"] == "grace@example.com"
    assert people["grace@example.com"]["status"] == "not_attending"  # invited, never registered
    assert (people["alan@example.net"]["name"], people["alan@example.net"]["status"]) == (
        "alan@example.net", "attending")


def test_a_nameless_luma_guest_scans_in_with_their_luma_ticket(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "luma-guests.csv", LUMA)
    scanned = empty_server.scan("https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-Tur1ngAbCdEf", role="volunteer")
    assert scanned.status_code == 201
    assert scanned.json()["attendee"]["name"] == "alan@example.net"


# --- 3. Eventbrite: "Info Requested" -------------------------------------------------------------

# Eventbrite's attendee report (header as in tests/fixtures/imports/eventbrite.csv). An event that
# collects details per attendee writes "Info Requested" in a ticket's name and email cells until the
# buyer fills them in; that ticket was named "Info Requested Info Requested" and greeted "Info".
EVENTBRITE = (
    "\ufeffOrder #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,"
    "Attendee Status,Buyer Last Name,Buyer First Name,Buyer Email,Company\r\n"
    "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,General Admission,17645032101,"
    "Attending,Lovelace,Ada,ada@example.org,Analytical Engines\r\n"
    "11211912243,11/29/24 22:28,Info Requested,Info Requested,Info Requested,1,General Admission,"
    "17645032102,Attending,Lovelace,Ada,ada@example.org,Info Requested\r\n")


def test_an_eventbrite_ticket_awaiting_its_holders_details_takes_the_buyers_name(tmp_path: Path) -> None:
    people = imported(tmp_path, "report.csv", EVENTBRITE)[1]
    assert sorted(person["name"] for person in people) == ["Ada Lovelace", "Ada Lovelace"]
    second = next(person for person in people if person["email"] is None)
    assert second["company"] is None
    assert not any("Info Requested" in str(value) for person in people for value in person.values())


# --- 4. Failed formulas ----------------------------------------------------------------------------

def _workbook(tmp_path: Path, rows: list[list[str]]) -> Path:
    """A sheet made in Excel, where a VLOOKUP that found nothing shows #N/A (an error cell)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "list.xlsx"
    book.save(path)
    return path


def test_a_failed_lookup_is_no_company_on_the_badge(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    path = _workbook(tmp_path, [["Name", "Email", "Company"], ["Ada Lovelace", "ada@example.org", "#N/A"],
                                ["Grace Hopper", "#REF!", "US Navy"]])
    run_kiosk(config, "import", str(path))
    people = {person["name"]: person for person in listed(config)}
    assert people["Ada Lovelace"]["company"] is None
    assert (people["Grace Hopper"]["email"], people["Grace Hopper"]["company"]) == (None, "US Navy")
    saved = write(tmp_path, "saved.csv", "Name,Email,Company\r\nAlan Turing,alan@example.net,#VALUE!\r\n")
    run_kiosk(config, "import", str(saved))
    assert {person["name"]: person for person in listed(config)}["Alan Turing"]["company"] is None


def test_a_name_that_is_a_failed_formula_is_refused_at_its_row(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    path = _workbook(tmp_path, [["Name", "Email"], ["Ada Lovelace", "ada@example.org"], ["#N/A", "cy@example.org"]])
    result = run_kiosk(config, "import", str(path), check=False)
    assert result.returncode == 1 and "list.xlsx sheet 'Sheet' line 3: the name is empty" in result.stderr
    assert listed(config) == []


# --- 5. A plain list re-imported with a corrected email ---------------------------------------------

def test_a_corrected_email_updates_the_same_person_and_keeps_their_check_in(empty_server, tmp_path: Path) -> None:
    """Plain lists key people on their email: the corrected address made a second Bob, unchecked,
    beside the first one, and the door let the new ticket in as well."""
    upload_text(empty_server, tmp_path, "v1.csv", "Name,Email\nAda Lovelace,ada@example.org\n"
                "Bob Byte,bob@exmaple.org\nCy Coder,cy@example.org\n")
    bob = by_name(empty_server)["Bob Byte"]
    assert empty_server.scan(bob["ticket_code"]).status_code == 201
    summary = upload_text(empty_server, tmp_path, "v2.csv", "Name,Email\nAda Lovelace,ada@example.org\n"
                          "Bob Byte,bob@example.org\nCy Coder,cy@example.org\nDi Data,di@example.org\n").json()
    assert (summary["added"], summary["updated"], summary["missing"], summary["kept_check_ins"]) == (1, 1, 0, 1)
    people = empty_server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]
    assert [person["id"] for person in people if person["name"] == "Bob Byte"] == [bob["id"]]
    assert by_name(empty_server)["Bob Byte"]["email"] == "bob@example.org"
    assert empty_server.scan(bob["ticket_code"]).json()["result"] == "already_checked_in"


def test_a_list_that_gains_an_email_column_keeps_its_people(tmp_path: Path) -> None:
    config, people = imported(tmp_path, "names.csv", "Name\nAda Lovelace\nGrace Hopper\n")
    first = {person["name"]: person["id"] for person in people}
    run_kiosk(config, "import", str(write(tmp_path, "emails.csv", "Name,Email\nAda Lovelace,ada@example.org\n"
                                          "Grace Hopper,grace@example.com\n")))
    assert {person["name"]: person["id"] for person in listed(config)} == first


def test_a_namesake_in_another_plain_list_stays_another_person(tmp_path: Path) -> None:
    """Two plain lists (the guests, then the speakers) share no one: a speaker who bears a guest's
    name is someone else, and is added."""
    config, _ = imported(tmp_path, "guests.csv", "Name,Email\nSam Smith,sam@example.org\n"
                         "Ada Lovelace,ada@example.org\nGrace Hopper,grace@example.com\n")
    run_kiosk(config, "import", str(write(tmp_path, "speakers.csv", "Name,Email\nSam Smith,sam@speaker.example\n"
                                          "Alan Turing,alan@example.net\n")))
    assert sorted(person["email"] for person in listed(config) if person["name"] == "Sam Smith") == [
        "sam@example.org", "sam@speaker.example"]



def test_a_namesake_in_a_larger_list_imported_after_the_speakers_stays_another_person(tmp_path: Path) -> None:
    """The three speakers first, then the guest list holding two of them and a guest who bears the
    third speaker's name: that guest was merged into the speaker (already checked in, so refused at
    the door as "welcome back"). A list that only contains the stored one is no update of it."""
    config, _ = imported(tmp_path, "speakers.csv", "Name,Email\nWei Zhang,wei@talks.org\n"
                         "Ada Lovelace,ada@example.org\nGrace Hopper,grace@example.com\n")
    guests = "".join(f"Guest {n},guest{n}@example.org\n" for n in range(5))
    run_kiosk(config, "import", str(write(tmp_path, "guests.csv", "Name,Email\nAda Lovelace,ada@example.org\n"
                                          "Grace Hopper,grace@example.com\nWei Zhang,wei.zhang88@example.net\n"
                                          + guests)))
    assert sorted(person["email"] for person in listed(config) if person["name"] == "Wei Zhang") == [
        "wei.zhang88@example.net", "wei@talks.org"]

# --- 6. Codes an export wrote as ="00123" ------------------------------------------------------------

def test_a_code_written_as_an_excel_text_formula_is_its_text(empty_server, tmp_path: Path) -> None:
    """Exports write codes as ="00123" so that Excel keeps their leading zeros; the whole list was
    refused, the code having characters a scanner cannot type."""
    summary = upload_text(empty_server, tmp_path, "codes.csv", 'Name,Ticket code,Phone\n'
                          'Ada Lovelace,="00123",="07700900123"\nGrace Hopper,="00124",\n').json()
    assert summary["added"] == 2
    scanned = empty_server.scan("00123")
    assert (scanned.status_code, scanned.json()["attendee"]["name"]) == (201, "Ada Lovelace")


# --- 7. Eventbrite's two reports of one event ---------------------------------------------------------

# The attendee report (Attendee #) and the Attendee summary report (header as a PyCon Sweden script
# lists it: Order ID, no Attendee #) of the same two orders: the second download added every ticket
# again, beside the first, and took the Eventbrite barcode off the first ones at the next re-import.
ATTENDEE_REPORT = (
    "\ufeffOrder #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Attendee Status\r\n"
    "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,General Admission,17645032101,Attending\r\n"
    "11211912243,11/29/24 22:28,Grace,Hopper,grace@example.com,1,General Admission,17645032102,Attending\r\n"
    "11211912244,11/29/24 22:40,Alan,Turing,alan@example.net,1,General Admission,17645032103,Attending\r\n")
SUMMARY_REPORT = (
    "Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,Ticket Type,Ticket Price,"
    "Buyer Name,Buyer Email\r\n"
    "11211912243,2024-11-29,Attending,Ada Lovelace,ada@example.org,Door,1,General Admission,0,Ada Lovelace,"
    "ada@example.org\r\n"
    "11211912243,2024-11-29,Attending,Grace B. Hopper,grace@example.com,Door,1,General Admission,0,"
    "Ada Lovelace,ada@example.org\r\n"
    "11211912244,2024-11-29,Attending,Alan Turing,alan@example.net,Door,1,General Admission,0,Alan Turing,"
    "alan@example.net\r\n")
ADA_BARCODE = "1121191224317645032101001"  # Order # + Attendee # + "001"


@pytest.mark.parametrize("first,second", [(ATTENDEE_REPORT, SUMMARY_REPORT), (SUMMARY_REPORT, ATTENDEE_REPORT)],
                         ids=["attendee-then-summary", "summary-then-attendee"])
def test_the_other_eventbrite_report_updates_the_same_tickets(empty_server, tmp_path: Path,
                                                              first: str, second: str) -> None:
    upload_text(empty_server, tmp_path, "first.csv", first)
    ids = sorted(person["id"] for person in by_name(empty_server).values())
    summary = upload_text(empty_server, tmp_path, "second.csv", second).json()
    assert (summary["added"], summary["missing"]) == (0, 0)
    people = empty_server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]
    assert sorted(person["id"] for person in people) == ids


def test_an_eventbrite_barcode_still_scans_after_the_summary_report(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "report.csv", ATTENDEE_REPORT)
    assert empty_server.scan(ADA_BARCODE).status_code == 201
    for name in ("summary.csv", "summary-again.csv"):
        summary = upload_text(empty_server, tmp_path, name, SUMMARY_REPORT).json()
        assert (summary["added"], summary["kept_check_ins"]) == (0, 1)
        assert empty_server.scan(ADA_BARCODE).json()["result"] == "already_checked_in"
    assert by_name(empty_server)["Grace B. Hopper"]["status"] == "attending"
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == 1


# --- 8. Files that are no list, said by name --------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "words"), [
    # The platform's sign-in page, saved when the session had expired instead of the export.
    ("attendees.csv", b"\n<!DOCTYPE html>\n<html lang=\"en\"><head><title>Log in</title></head>"
                      b"<body><form>Email, password</form></body></html>\n", "web page (HTML)"),
    # Excel 2003's XML spreadsheet, which some sites still export as ".xls".
    ("attendees.xls", b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
                      b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">\r\n'
                      b'<Worksheet><Table><Row><Cell><Data>Name</Data></Cell></Row></Table></Worksheet>'
                      b'</Workbook>\r\n', "Excel 2003 XML spreadsheet"),
    # A workbook a password or a sensitivity label encrypted: an OLE2 file with an EncryptedPackage
    # stream (MS-OFFCRYPTO), which was called "an old binary Excel workbook (.xls)".
    ("attendees.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le")
     + bytes(50) + "EncryptedPackage".encode("utf-16-le") + bytes(200), "encrypted workbook"),
], ids=["sign-in-page", "xml-spreadsheet", "encrypted-xlsx"])
def test_a_file_that_is_no_list_is_refused_saying_what_it_is(name: str, data: bytes, words: str,
                                                             tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    path = tmp_path / name
    path.write_bytes(data)
    result = run_kiosk(config, "import", str(path), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{name} line 1: is " in result.stderr and words in result.stderr
    assert listed(config) == []
