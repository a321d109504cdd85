"""The organiser downloads a list from their ticketing platform and hands it to the kiosk.

Every platform's export, with its quirks, must come out as the same clean list of
people; every broken file must be refused with the file and line named; and every
code on a platform ticket, scanned at the door, must find the key stored at import.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.importers import SOURCES, ImportBatch, ImportedPerson, ImportFileError, read_attendee_file
from kiosk.importers.reading import read_table
from kiosk.platform_codes import (
    eventbrite_barcode_key, eventbrite_key, luma_key, luma_key_from_url, plain_key, pretix_key,
    scan_keys, tito_key,
)

FIXTURES = Path(__file__).parent / "fixtures" / "imports"

CSV_FIXTURES = ["eventbrite.csv", "eventbrite_v2.csv", "luma.csv", "tito.csv", "pretix_comma.csv",
                "pretix_semicolon.csv", "plain.csv"]
ALL_FIXTURES = [*CSV_FIXTURES, "meetup.xls", "meetup_v2.xls", "plain.xlsx"]
EXPECTED_SOURCE = {
    "eventbrite.csv": "eventbrite", "eventbrite_v2.csv": "eventbrite", "luma.csv": "luma",
    "tito.csv": "tito", "pretix_comma.csv": "pretix", "pretix_semicolon.csv": "pretix",
    "plain.csv": "csv", "plain.xlsx": "xlsx", "meetup.xls": "meetup", "meetup_v2.xls": "meetup",
}


def load(name: str, **kwargs) -> ImportBatch:
    """Import one fixture file."""
    return read_attendee_file(FIXTURES / name, **kwargs)


def by_name(batch: ImportBatch) -> dict[str, ImportedPerson]:
    """People of a batch keyed by display name."""
    return {person.name: person for person in batch.people}


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    """A throwaway file for one test."""
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(path: Path, **kwargs) -> ImportFileError:
    """The error an import of this file raises (failing the test when it does not)."""
    with pytest.raises(ImportFileError) as caught:
        read_attendee_file(path, **kwargs)
    return caught.value


# --- every fixture -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_each_export_is_recognised_from_its_header(name: str) -> None:
    assert load(name).source == EXPECTED_SOURCE[name]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_list_has_clean_people_and_someone_not_attending(name: str) -> None:
    batch = load(name)
    assert batch.path.endswith(name)
    assert len({p.external_id for p in batch.people}) == len(batch.people)
    assert any(not p.attending for p in batch.people)
    for person in batch.people:
        assert person.name and person.name == " ".join(person.name.split())
        assert person.first_name or person.last_name
        assert person.email is None or person.email == person.email.strip().lower()
        assert person.external_id.startswith(
            {"xlsx": "csv", "csv": "csv"}.get(batch.source, batch.source) + ":")
        assert person.role in ("attendee", "speaker")


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_names_in_any_script_survive(name: str) -> None:
    text = " ".join(p.name for p in load(name).people)
    assert "Ångström" in text or "Παπαδόπουλος" in text
    assert "王" in text or "山田" in text
    assert "Nguyễn" in text


@pytest.mark.parametrize("name", CSV_FIXTURES)
def test_columns_are_mapped_by_name_not_position(name: str, tmp_path: Path) -> None:
    """Reverse the columns and add an unknown one: the same people come out."""
    table = read_table(FIXTURES / name)
    header = ["Favourite colour", *reversed(table.header)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in table.rows:
        writer.writerow(["teal", *reversed(row.cells)])
    shuffled = read_attendee_file(write(tmp_path, name, buffer.getvalue()))
    original = load(name)
    assert shuffled.source == original.source
    assert [_without_line(p) for p in shuffled.people] == [_without_line(p) for p in original.people]


def _without_line(person: ImportedPerson) -> dict:
    """A person's fields except the line number, which multi-line cells may shift."""
    fields = dict(vars(person))
    fields.pop("line")
    return fields


# --- Meetup --------------------------------------------------------------------------------


def test_meetup_utf16_tab_separated_xls() -> None:
    assert (FIXTURES / "meetup.xls").read_bytes()[:2] == b"\xff\xfe"
    people = by_name(load("meetup.xls"))
    ada = people["Ada Lovelace"]
    assert ada.external_id == "meetup:12537919"
    assert ada.email is None and ada.codes == []
    assert ada.company == "Analytical Engines Ltd"
    assert ada.line == 2 and ada.platform_status == "Yes"
    assert people["Grace Hopper"].guests == 1 and people["Grace Hopper"].role == "speaker"
    assert people["Nguyễn Thị Minh Khai"].guests == 2
    assert people["王小明"].first_name == "王小明" and people["王小明"].company == "北京科技"


@pytest.mark.parametrize(("name", "status"), [
    ("Νίκος Παπαδόπουλος", "No"), ("Zoë Ångström", "Waitlist"), ("José Álvarez", "Waiting List")])
def test_meetup_no_and_waitlist_are_not_attending(name: str, status: str) -> None:
    person = by_name(load("meetup.xls"))[name]
    assert (person.attending, person.platform_status) == (False, status)


def test_meetup_unquoted_answers_keep_their_quote_marks() -> None:
    assert load("meetup.xls").source == "meetup"  # an answer starting with '"' is plain text


def test_meetup_v2_in_utf8_updates_the_same_members() -> None:
    old, new = by_name(load("meetup.xls")), by_name(load("meetup_v2.xls"))
    assert (FIXTURES / "meetup_v2.xls").read_bytes()[:4] == b"Name"
    renamed = new["Grace Brewster Hopper"]
    assert renamed.external_id == old["Grace Hopper"].external_id
    assert renamed.company == "Yale University"
    assert old["Nguyễn Thị Minh Khai"].attending and not new["Nguyễn Thị Minh Khai"].attending
    added = {p.external_id for p in new.values()} - {p.external_id for p in old.values()}
    assert added == {"meetup:90123456"} and new["Łukasz Żółć"].attending


MEETUP_TSV_HEADER = "Name\tUser ID\tRSVP\tAnything the hosts should know?\r\n"


def test_meetup_stray_quote_does_not_swallow_the_rows_below(tmp_path: Path) -> None:
    rows = ['Ada\tuser 1\tYes\t"Vegetarian or vegan food please', "Bob\tuser 2\tYes\t",
            'Cy\tuser 3\tYes\tbringing a laptop, 13"', "Di\tuser 4\tYes\t"]
    text = MEETUP_TSV_HEADER + "\r\n".join(rows) + "\r\n"
    people = read_attendee_file(write(tmp_path, "m.xls", b"\xff\xfe" + text.encode("utf-16-le"))).people
    assert [p.name for p in people] == ["Ada", "Bob", "Cy", "Di"]
    assert [p.line for p in people] == [2, 3, 4, 5]


def test_tab_file_with_real_quoted_cells_is_read_as_csv(tmp_path: Path) -> None:
    text = ('Name\tCompany\tNote\n"Ada Lovelace"\t"Engines\tLtd"\t"two\nlines"\n'
            'Bob\t"Say ""hi"""\t\n')
    ada, bob = read_attendee_file(write(tmp_path, "l.tsv", text)).people
    assert (ada.name, ada.company, bob.company) == ("Ada Lovelace", "Engines Ltd", 'Say "hi"')


def test_tab_file_whose_quotes_would_lose_rows_is_refused(tmp_path: Path) -> None:
    text = ('Name\tUser ID\tNote\nAda\tuser 1\t"starts here\nBob\tuser 2\n'
            'Cy\tuser 3\tends"\nDi\tuser 4\tx\ty\n')
    error = refused(write(tmp_path, "m.tsv", text))
    assert error.line == 2 and "quote mark" in error.reason


# --- Eventbrite ----------------------------------------------------------------------------


def test_eventbrite_report_with_bom_and_crlf() -> None:
    raw = (FIXTURES / "eventbrite.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    people = by_name(load("eventbrite.csv"))
    ada = people["Ada Lovelace"]
    assert ada.external_id == "eventbrite:17645032101"
    assert ada.codes == ["eventbrite:1121191224317645032101001"]
    assert ada.ticket_type == "General Admission" and ada.company == "Analytical Engines Ltd"
    assert people["Grace Hopper"].role == "speaker" and people["Grace Hopper"].attending
    assert people["Νίκος Παπαδόπουλος"].email == "nikos@example.gr"  # was Nikos@Example.GR
    assert people["Miles O'Brien"].company == 'Starfleet, "Ops" Division'


def test_eventbrite_order_with_three_tickets_shares_the_buyer_email() -> None:
    order = [p for p in load("eventbrite.csv").people if p.email == "ada@example.org"]
    assert [p.name for p in order] == ["Ada Lovelace", "Grace Hopper", "王小明"]
    assert len({p.external_id for p in order}) == 3
    assert len({code for p in order for code in p.codes}) == 3


@pytest.mark.parametrize(("name", "status"), [
    ("Miles O'Brien", "Refunded"), ("Zoë Ångström", "Not Attending")])
def test_eventbrite_refunded_and_not_attending(name: str, status: str) -> None:
    person = by_name(load("eventbrite.csv"))[name]
    assert (person.attending, person.platform_status) == (False, status)


def test_eventbrite_v2_reordered_with_barcodes_matches_v1() -> None:
    old, new = load("eventbrite.csv"), load("eventbrite_v2.csv")
    old_ids = {p.external_id: p for p in old.people}
    new_ids = {p.external_id: p for p in new.people}
    assert set(new_ids) - set(old_ids) == {"eventbrite:17645100601"}
    for key, person in old_ids.items():
        assert new_ids[key].codes == person.codes  # Barcode # agrees with order+attendee+001
    nikos = new_ids["eventbrite:17645100201"]
    assert (nikos.name, nikos.company) == ("Νικόλαος Παπαδόπουλος", "Acme Ελλάς")
    jose = new_ids["eventbrite:17645099001"]
    assert (jose.attending, jose.platform_status) == (False, "Cancelled")


def test_eventbrite_falls_back_to_the_buyer_when_attendee_name_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "eb.csv", "Order #,Attendee #,First Name,Last Name,Buyer First Name,"
                 "Buyer Last Name,Attendee Status\n123456789,987654321,,,Ada,Lovelace,Attending\n")
    (person,) = read_attendee_file(path).people
    assert person.name == "Ada Lovelace"
    assert person.codes == [eventbrite_key("123456789", "987654321")]


def test_eventbrite_attendee_summary_report_refuses_the_refunded(tmp_path: Path) -> None:
    """The newer Attendee summary report has Order ID and no Attendee #: still Eventbrite."""
    path = write(tmp_path, "summary.csv", "\ufeffOrder ID,Order Date,Attendee Status,Name,Email,"
                 "Event Name,Ticket Quantity,Ticket Type,Ticket Price,Buyer Name,Buyer Email\r\n"
                 "1234567890,2026-11-01,Attending,Ada Lovelace,ada@example.org,Meetup,1,GA,0,"
                 "Ada Lovelace,ada@example.org\r\n"
                 "1234567890,2026-11-01,Attending,,,Meetup,1,GA,0,Ada Lovelace,ada@example.org\r\n"
                 "1234567891,2026-11-02,Refunded,Miles O'Brien,miles@example.org,Meetup,1,GA,0,"
                 "Miles O'Brien,miles@example.org\r\n")
    batch = read_attendee_file(path)
    assert batch.source == "eventbrite"
    ada, unassigned, miles = batch.people
    assert ada.attending and unassigned.name == "Ada Lovelace"  # the buyer stands in
    assert len({ada.external_id, unassigned.external_id, miles.external_id}) == 3
    assert (miles.attending, miles.platform_status) == (False, "Refunded")


def test_eventbrite_report_re_saved_by_excel_keeps_its_barcodes(tmp_path: Path) -> None:
    """Excel writes a 25-digit Barcode # as 1.12119E+24; the order and attendee numbers still
    give the barcode, so the row keeps its door code instead of refusing the file."""
    path = write(tmp_path, "eb.csv", "Order #,Attendee #,Barcode #,First Name,Last Name,Attendee Status"
                 "\r\n11211912243,17645032101,1.12119E+24,Ada,Lovelace,Attending\r\n")
    (ada,) = read_attendee_file(path).people
    assert ada.codes == ["eventbrite:1121191224317645032101001"]


def test_a_code_rounded_by_excel_is_refused_at_its_line(tmp_path: Path) -> None:
    """A plain list's 13-digit barcodes saved by Excel are gone; storing "1.23457E+12" as the
    code would only show at the door, where no scan matches it."""
    error = refused(write(tmp_path, "l.csv", "Name,Ticket code\nAda Lovelace,4006381333931\n"
                          "Grace Hopper,1.23457E+12\n"))
    assert error.line == 3 and "Excel" in error.reason


def test_eventbrite_bad_barcode_names_the_line(tmp_path: Path) -> None:
    """Its Attendee # keys the ticket: the row is kept, the odd cell warned of (session 23b)."""
    batch = read_attendee_file(write(tmp_path, "eb.csv", "Order #,Attendee #,Barcode #,First Name,Last Name,Attendee "
                                     "Status\n1,2,12001001,Ada,L,Attending\n3,4,not-a-barcode,Bo,M,Attending\n"))
    assert batch.warnings[0].startswith("line 3: the barcode 'not-a-barcode' is not an Eventbrite barcode; Bo M")
    assert [p.codes for p in batch.people] == [["eventbrite:12001001"], []]


# --- Luma ----------------------------------------------------------------------------------


def test_luma_guest_export() -> None:
    people = by_name(load("luma.csv"))
    ada = people["Ada Lovelace"]
    assert ada.external_id == "luma:gst-Qlwi4e4mqdtWDvN"
    assert ada.codes == ["luma:g-2U61lr65dtD1YXI"]  # from an older lu.ma link
    assert people["Grace Hopper"].codes == ["luma:g-XyZ789AbCdEf"]  # from a luma.com link
    assert people["Grace Hopper"].role == "speaker"
    assert ada.company == "Analytical Engines Ltd"  # from "What company do you work for?"
    assert people["José Álvarez"].email == "jose@example.es"
    wang = people["王小明"]
    assert (wang.first_name, wang.last_name) == ("王小明", "")


@pytest.mark.parametrize(("name", "status"), [
    ("Νίκος Παπαδόπουλος", "declined"), ("Nguyễn Thị Minh Khai", "pending_approval"),
    ("Zoë Ångström", "waitlist")])
def test_luma_declined_pending_and_waitlisted_are_not_attending(name: str, status: str) -> None:
    person = by_name(load("luma.csv"))[name]
    assert (person.attending, person.platform_status) == (False, status)


LUMA_CURRENT_HEADER = (  # Luma renamed api_id to guest_id and custom_source to utm_source in 2025
    "guest_id,name,first_name,last_name,email,phone_number,created_at,approval_status,checked_in_at,"
    "utm_source,referrer,referred_by,qr_code_url,amount,amount_tax,amount_discount,currency,"
    "coupon_code,eth_address,solana_address,survey_response_rating,survey_response_feedback,"
    "ticket_type_id,ticket_name,What company do you work for?")


def _luma_current_row(guest: str, name: str, status: str, pk: str) -> str:
    """One guest of a current Luma export, with its check-in link."""
    first, last = name.split()
    return (f"{guest},{name},{first},{last},{first.lower()}@example.org,,2026-10-01T09:00:00.000Z,"
            f"{status},,,,,https://luma.com/check-in/evt-Ab12Cd34?pk={pk},,,,,,,,,,"
            f"evtticktyp-1,General Admission,\"Engines, Ltd\"")


def test_luma_current_export_with_guest_id(tmp_path: Path) -> None:
    rows = [_luma_current_row("gst-Qlwi4e4mqdtWDvN", "Ada Lovelace", "approved", "g-2U61lr65dtD1YXI"),
            _luma_current_row("gst-Inv1ted0nly0000", "Ivy Invited", "invited", "g-Inv1ted0nly")]
    path = write(tmp_path, "guests.csv", "\ufeff" + "\r\n".join([LUMA_CURRENT_HEADER, *rows, ""]))
    batch = read_attendee_file(path)
    assert batch.source == "luma"
    ada, ivy = batch.people
    assert (ada.external_id, ada.codes) == ("luma:gst-Qlwi4e4mqdtWDvN", ["luma:g-2U61lr65dtD1YXI"])
    assert ada.external_id == by_name(load("luma.csv"))["Ada Lovelace"].external_id
    assert ada.company == "Engines, Ltd"
    assert (ivy.attending, ivy.platform_status) == (False, "invited")


def test_luma_link_to_another_site_is_refused(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "luma.csv", "api_id,name,approval_status,qr_code_url\n"
                          "gst-1,Ada,approved,https://evil.example/check-in/evt-1?pk=g-aaaa\n"))
    assert error.line == 2 and "qr_code_url" in error.reason


# --- Tito ----------------------------------------------------------------------------------


def test_tito_ticket_export() -> None:
    people = load("tito.csv").people
    ada = people[0]
    # the reference a volunteer types, and the slug the ticket's QR code holds (its Unique Ticket URL)
    assert (ada.name, ada.external_id, ada.codes) == ("Ada Lovelace", "tito:GIAO-1", ["tito:GIAO-1", "tito:ti_giao1"])
    assert people[1].role == "speaker" and people[1].ticket_type == "Speaker"
    unassigned = next(p for p in people if p.external_id == "tito:K7QX-2")
    assert unassigned.name == "José Álvarez" and unassigned.email is None  # the order's name
    assert any(p.name == "山田 太郎" for p in people)  # ideographic space normalised


def test_tito_registration_columns_name_an_unassigned_ticket(tmp_path: Path) -> None:
    """Tito now calls orders registrations; an unassigned ticket takes the Registration Name."""
    path = write(tmp_path, "tito.csv",
                 "Ticket,Ticket Full Name,Ticket First Name,Ticket Last Name,Ticket Email,"
                 "Ticket Company Name,Void Status,Ticket Reference,Registration Reference,"
                 "Registration Name,Registration Email,Registration Company Name,Tags\n"
                 "General,Ada Lovelace,Ada,Lovelace,ada@example.org,,,RGST-1,RGST,Ada Lovelace,"
                 "ada@example.org,Buyer Corp,\n"
                 "General,,,,,,,RGST-2,RGST,Ada Lovelace,ada@example.org,Buyer Corp,\n")
    ada, unassigned = read_attendee_file(path).people
    assert ada.company is None  # the buyer's company is not the attendee's
    assert (unassigned.name, unassigned.codes, unassigned.attending) == (
        "Ada Lovelace", ["tito:RGST-2"], True)


def test_tito_void_ticket_is_not_attending() -> None:
    zoe = by_name(load("tito.csv"))["Zoë Ångström"]
    assert (zoe.attending, zoe.platform_status) == (False, "void")


def test_tito_reference_typed_in_lower_case_finds_the_ticket() -> None:
    assert "tito:GIAO-1" in scan_keys("giao-1")


# --- pretix --------------------------------------------------------------------------------


def test_pretix_comma_and_semicolon_exports_agree() -> None:
    comma, semicolon = load("pretix_comma.csv"), load("pretix_semicolon.csv")
    assert [_without_line(p) for p in comma.people] == [_without_line(p) for p in semicolon.people]
    assert read_table(FIXTURES / "pretix_semicolon.csv").delimiter == ";"


def test_pretix_positions_secrets_and_statuses() -> None:
    people = load("pretix_comma.csv").people
    ada, grace = people[0], people[1]
    assert ada.external_id.startswith("pretix:ABC12-secret-")
    assert grace.external_id.startswith("pretix:ABC12-secret-") and grace.external_id != ada.external_id
    assert "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq" not in ada.external_id  # the key is not a door code
    assert ada.codes == ["pretix:hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"]
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert grace.role == "speaker" and grace.ticket_type == "Speaker ticket"
    unpaid = by_name(load("pretix_comma.csv"))["Νίκος Παπαδόπουλος"]
    assert (unpaid.attending, unpaid.platform_status) == (False, "Paid: No")
    blocked = by_name(load("pretix_comma.csv"))["Zoë Ångström"]
    assert not blocked.attending and "Blocked" in blocked.platform_status


def test_pretix_name_parts_without_a_full_name_column(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Order code;Attendee name: Given name;Attendee name: Family "
                 "name;Product;Status\nAB1CD;Νίκος;Παπαδόπουλος;Ticket;canceled\n")
    (person,) = read_attendee_file(path).people
    assert person.name == "Νίκος Παπαδόπουλος" and not person.attending


PRETIX_HEADER = "Order code,Attendee name,Product,Secret,E-mail\n"
ADA_ROW = "ABC12,Ada Lovelace,Regular,hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq,ada@example.org\n"
GRACE_ROW = "ABC12,Grace Hopper,Regular,u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e,grace@example.com\n"


def test_pretix_people_keep_their_key_when_the_list_is_re_sorted(tmp_path: Path) -> None:
    """pretix sorts by name: renaming Grace to Alan puts her first in her order."""
    first = read_attendee_file(write(tmp_path, "v1.csv", PRETIX_HEADER + ADA_ROW + GRACE_ROW))
    renamed = GRACE_ROW.replace("Grace Hopper", "Alan Turing")
    second = read_attendee_file(write(tmp_path, "v2.csv", PRETIX_HEADER + renamed + ADA_ROW))
    before = {p.codes[0]: p.external_id for p in first.people}
    after = {p.codes[0]: p.external_id for p in second.people}
    assert before == after and len(set(after.values())) == 2


def test_pretix_position_id_wins_over_the_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Order code,Position ID,Attendee name,Secret\n"
                 "ABC12,7,Ada,hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq\n")
    assert read_attendee_file(path).people[0].external_id == "pretix:ABC12-7"


def test_pretix_event_without_attendee_names_uses_the_email_or_the_order(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Order code,Attendee name,Product,Secret,E-mail\n"
                 "ABC12,,Free,hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq,ada@example.org\n"
                 "QWE7R,,Free,u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e,\n"
                 "XYZ9A,Grace Hopper,Free,,grace@example.com\n")
    people = read_attendee_file(path).people
    assert [p.name for p in people] == ["ada@example.org", "Order QWE7R", "Grace Hopper"]
    assert people[0].email == "ada@example.org"
    assert [(p.first_name, p.named) for p in people] == [("", False), ("", False), ("Grace", True)]


@pytest.mark.parametrize("text, field, expected", [
    pytest.param("Order code,Attendee name,Company,Which company do you work for?\n"
                 "ABC12,Ada Lovelace,,Analytical Engines\nXYZ9A,Grace Hopper,US Navy,Navy Labs\n"
                 "QWE7R,Alan Turing,,\n", "company", ["Analytical Engines", "US Navy", None],
                 id="pretix: Company column left blank, company question answered"),
    pytest.param("Name,Email,Company,Email\nAda,ada@example.org,Engines,old@example.org\n"
                 "Grace,,Navy,grace@example.com\nAlan,,,\n", "email",
                 ["ada@example.org", "grace@example.com", None], id="two lists merged: two Email columns"),
])
def test_of_two_columns_saying_the_same_thing_the_first_filled_wins(tmp_path: Path, text: str, field: str,
                                                                    expected: list[str | None]) -> None:
    people = read_attendee_file(write(tmp_path, "l.csv", text)).people
    assert [getattr(person, field) for person in people] == expected


def test_a_question_about_the_company_that_is_not_its_name_never_becomes_the_company(tmp_path: Path) -> None:
    """"Company size" and "Company website" mention the company, but "11-50" is not where Ada works."""
    path = write(tmp_path, "p.csv", "Order code,Attendee name,Company size,Company,Company website,"
                 "Which company do you work for?\n"
                 "ABC12,Ada Lovelace,11-50,,https://engines.example,Analytical Engines\n"
                 "XYZ9A,Grace Hopper,500+,,,\n")
    assert [p.company for p in read_attendee_file(path).people] == ["Analytical Engines", None]


def test_pretix_french_export(tmp_path: Path) -> None:
    """Titles as pretix's French translation (locale/fr/LC_MESSAGES/django.po) writes them."""
    path = write(tmp_path, "p.csv", "Code de commande;Nom du participant;Produit;Secret;"
                 "Adresse mail du participant;Société\n"
                 "ABC12;Ada Lovelace;Billet;hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq;ADA@example.org;Engines\n")
    batch = read_attendee_file(path)
    (person,) = batch.people
    assert batch.source == "pretix"
    assert (person.name, person.email, person.company, person.codes) == (
        "Ada Lovelace", "ada@example.org", "Engines", ["pretix:hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"])


def test_pretix_german_export(tmp_path: Path) -> None:
    """Titles as pretix's German translation (locale/de/LC_MESSAGES/django.po) writes them."""
    path = write(tmp_path, "p.csv", "Bestellnummer;Name Teilnehmer*in;Produkt;Preis;Secret;"
                 "E-Mail;Firma;Gesperrt\n"
                 "ABC12;Ada Lovelace;Ticket;25,00;hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq;ada@example.org;AE;Nein\n"
                 "QWE7R;Grace Hopper;Ticket;25,00;u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e;grace@example.com;"
                 "Navy;Ja\n")
    batch = read_attendee_file(path)
    ada, grace = batch.people
    assert batch.source == "pretix"
    assert (ada.name, ada.email, ada.company, ada.ticket_type) == (
        "Ada Lovelace", "ada@example.org", "AE", "Ticket")
    assert ada.codes == ["pretix:hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"] and ada.attending
    assert not grace.attending and "Blocked" in grace.platform_status


# The titles of a German check-in list with "include pending orders" ticked, in the order
# pretix's exporter writes them, as pretix's German translation (locale/de django.po) has them.
PRETIX_GERMAN_HEADER = (
    "Bestellnummer;Name Teilnehmer*in;Teilnehmer*innenname: Titel;Teilnehmer*innenname: Vorname;"
    "Teilnehmer*innenname: Nachname;Produkt;Preis;Eingecheckt;Ausgetreten;Automatisch eingecheckt;"
    "bezahlt;Secret;E-Mail;Telefonnummer;Firma;Bestelldatum;Bestelluhrzeit;"
    "Benötigt besondere Behandlung;Kommentar;Sitzplatz-ID\n")


def _pretix_german_row(order: str, given: str, family: str, paid: str, secret: str,
                       checked_in: str = "") -> str:
    """One position of a German check-in list; pretix writes "Ja"/"Nein" for Yes/No."""
    return (f"{order};{given} {family};;{given};{family};Ticket;25,00;{checked_in};;Nein;{paid};"
            f"{secret};{order.lower()}@example.org;;Firma {family};2025-04-01;12:00:00;Nein;;\n")


def test_pretix_german_export_with_a_pending_order(tmp_path: Path) -> None:
    """An unpaid order ("bezahlt: Nein") must be refused at the door, as "Paid: No" is."""
    path = write(tmp_path, "p.csv", PRETIX_GERMAN_HEADER
                 + _pretix_german_row("ABC12", "Jürgen", "Groß", "Ja", "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq",
                                      checked_in="02.05.2025 18:01")
                 + _pretix_german_row("QWE7R", "Zoë", "Ångström", "Nein", "u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e"))
    batch = read_attendee_file(path)
    paid, pending = batch.people
    assert batch.source == "pretix"
    assert (paid.first_name, paid.last_name, paid.attending) == ("Jürgen", "Groß", True)
    assert (paid.email, paid.company) == ("abc12@example.org", "Firma Groß")
    assert (pending.name, pending.attending, pending.platform_status) == (
        "Zoë Ångström", False, "Paid: Nein")
    assert pending.codes == ["pretix:u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e"]  # known, refused at the door


def test_pretix_german_name_parts_without_a_full_name(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Bestellnummer;Teilnehmer*innenname: Rufname;"
                 "Teilnehmer*innenname: Nachname;Produkt\nAB1CD;Siobhán;Ó Briain;Ticket\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.first_name, person.last_name) == ("Siobhán Ó Briain", "Siobhán", "Ó Briain")


def test_pretix_informal_german_titles(tmp_path: Path) -> None:
    """The "Du" locale (de_Informal) titles the attendee's name and email differently."""
    path = write(tmp_path, "p.csv", "Bestellnummer,Name des/der Teilnehmer*in,Produkt,"
                 "Teilnehmer*innen-E-Mail,bezahlt\nABC12,Ada Lovelace,Ticket,Ada@Example.org,Nein\n")
    batch = read_attendee_file(path)
    (ada,) = batch.people
    assert batch.source == "pretix"
    assert (ada.name, ada.email, ada.attending) == ("Ada Lovelace", "ada@example.org", False)


@pytest.mark.parametrize(("paid", "blocked", "attending"), [
    ("Yes", "", True), ("No", "", False), ("Yes", "Yes", False),
    ("Ja", "", True), ("Nein", "", False), ("Ja", "Ja", False), ("Ja", "Nein", True)])
def test_pretix_yes_and_no_in_english_and_german(paid: str, blocked: str, attending: bool,
                                                 tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", f"Order code,Attendee name,Paid,Blocked\nABC12,Ada,{paid},{blocked}\n")
    assert read_attendee_file(path).people[0].attending is attending


@pytest.mark.parametrize(("status", "attending"), [("Yes", True), ("Ja", True), ("No", False),
                                                   ("Nein", False)])
def test_a_plain_list_status_in_german(status: str, attending: bool, tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"Name,Status\nAda Lovelace,{status}\n")
    assert read_attendee_file(path).people[0].attending is attending


# --- plain lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Attendee Status", "Ticket State", "RSVP Status", "Order status"])
def test_a_plain_list_trimmed_from_a_platform_export_keeps_its_status(title: str,
                                                                      tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"First Name,Last Name,Email,{title}\n"
                 "Ada,Lovelace,ada@example.org,Attending\nMiles,O'Brien,miles@example.org,Cancelled\n")
    batch = read_attendee_file(path)
    assert batch.source == "csv"
    assert [(p.attending, p.platform_status) for p in batch.people] == [
        (True, "Attending"), (False, "Cancelled")]


def test_plain_csv_with_odd_titles_and_multiline_cells() -> None:
    people = by_name(load("plain.csv"))
    assert people["Grace Hopper"].first_name == "Grace"  # "  Grace   Hopper " normalised
    assert people["Ada Lovelace"].codes == ["code:DOOR-0001"]
    assert people["Ada Lovelace"].company == "Analytical Engines Ltd"  # "Organisation"
    assert people["王小明"].email is None
    assert people["Νίκος Παπαδόπουλος"].line == 7  # line 5's note runs over two lines
    assert not people["Νίκος Παπαδόπουλος"].attending


def test_plain_xlsx_with_numeric_barcodes_and_a_blank_row() -> None:
    batch = load("plain.xlsx")
    people = by_name(batch)
    assert people["Ada Lovelace"].codes == ["code:100001"]
    assert people["Minh Khai Nguyễn Thị"].codes == ["code:100004"]  # 100004.0 in the sheet
    assert people["王小明"].line == 5  # row 4 is blank
    assert not people["Νίκος Παπαδόπουλος"].attending


def test_plain_ids_prefer_email_then_name_and_stay_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "list.csv", "Name;E-mail\nSiobhán Ó Briain;family@example.ie\n"
                 "Cian Ó Briain;FAMILY@example.ie\nJane Doe;\nJane  Doe;n/a\n")
    ids = [p.external_id for p in read_attendee_file(path).people]
    assert ids == ["csv:email:family@example.ie:name:siobhan o briain",
                   "csv:email:family@example.ie:name:cian o briain",
                   "csv:name:jane doe", "csv:name:jane doe#2"]


def test_plain_family_sharing_an_email_keeps_its_keys_when_re_sorted(tmp_path: Path) -> None:
    rows = ["Ann Smith,family@example.org", "Bob Smith,family@example.org", "Cy Jones,cy@example.org"]
    first = read_attendee_file(write(tmp_path, "v1.csv", "Name,Email\n" + "\n".join(rows) + "\n"))
    resorted = [rows[1], "Baby Smith,family@example.org", rows[0], "Cy Jonnes,cy@example.org"]
    second = read_attendee_file(write(tmp_path, "v2.csv", "Name,Email\n" + "\n".join(resorted) + "\n"))
    before = {p.name: p.external_id for p in first.people}
    after = {p.name: p.external_id for p in second.people}
    assert after["Ann Smith"] == before["Ann Smith"] and after["Bob Smith"] == before["Bob Smith"]
    assert after["Baby Smith"] not in before.values()
    assert after["Cy Jonnes"] == before["Cy Jones"] == "csv:email:cy@example.org"  # a typo fixed


@pytest.mark.parametrize("header", ["Name", "FULL NAME", "Attendee name", "first name,last name",
                                    "Given name,Surname"])
def test_plain_name_column_variants(header: str, tmp_path: Path) -> None:
    row = "Ada,Lovelace" if "," in header else "Ada Lovelace"
    (person,) = read_attendee_file(write(tmp_path, "l.csv", f"{header}\n{row}\n")).people
    assert (person.name, person.first_name, person.last_name) == ("Ada Lovelace", "Ada", "Lovelace")


@pytest.mark.parametrize("title", [" NAME ", "\u00a0Name\u00a0", "name:", "Full\u00a0 Name"])
def test_name_titles_in_any_case_and_spacing(title: str, tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", f"{title};E-Mail\nAda Lovelace;ada@example.org\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.email) == ("Ada Lovelace", "ada@example.org")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_plain_delimiters_are_sniffed(delimiter: str, tmp_path: Path) -> None:
    text = delimiter.join(["Name", "Company", "Status"]) + "\n" + delimiter.join(
        ["Ada Lovelace", "Engines; Ltd" if delimiter != ";" else "Engines, Ltd", "declined"]) + "\n"
    (person,) = read_attendee_file(write(tmp_path, "l.csv", text)).people
    assert person.company in ("Engines; Ltd", "Engines, Ltd") and not person.attending


def test_speaker_role_from_a_role_column(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "Name,Role\nAda,Keynote Speaker\nBob,\n")
    assert [p.role for p in read_attendee_file(path).people] == ["speaker", "attendee"]


def test_values_are_kept_as_text_and_control_characters_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", 'Name,Company\n"A\x07da \u202eLovelace",=HYPERLINK("x")\n')
    (person,) = read_attendee_file(path).people
    assert person.name == "Ada Lovelace" and person.company == '=HYPERLINK("x")'


@pytest.mark.parametrize(("raw", "stored"), [
    ("محمد\u200cرضا", "محمد\u200cرضا"),  # Persian ZWNJ
    ("Sam 👩\u200d💻 Lee", "Sam 👩\u200d💻 Lee"),  # one emoji
    ("🏳\ufe0f\u200d🌈 Kim", "🏳\ufe0f\u200d🌈 Kim"),  # variation selector
    ("A\u200bda Lovelace", "Ada Lovelace"),  # zero-width space
    ("\u202eAda\u202c \u2066Lovelace\u2069", "Ada Lovelace"),  # bidi override and isolate
    ("\u200dAda \u200cLovelace\u200c", "Ada Lovelace"),  # joiners joining nothing
])
def test_stored_names_keep_joiners_inside_words_and_drop_other_invisibles(raw: str, stored: str) -> None:
    from kiosk.textnorm import clean

    assert clean(raw) == stored


def test_vietnamese_names_are_nfc_normalised(tmp_path: Path) -> None:
    decomposed = "Nguye\u0302\u0303n"
    (person,) = read_attendee_file(write(tmp_path, "l.csv", f"Name\n{decomposed} Khai\n")).people
    assert person.name == "Nguyễn Khai"


# --- Windows Excel's "CSV (Comma delimited)", which is Windows-1252 -------------------------


def test_windows_excel_csv_is_read_as_windows_1252(tmp_path: Path) -> None:
    text = ("Name,Company,Ticket type\r\nJosé Núñez,Café Olé,Early bird €15\r\n"
            "Renée O’Brien,“Señor” Ltd,Speaker\r\n")
    batch = read_attendee_file(write(tmp_path, "list.csv", text.encode("cp1252")))
    jose, renee = batch.people
    assert (jose.name, jose.company, jose.ticket_type) == ("José Núñez", "Café Olé", "Early bird €15")
    assert (renee.name, renee.company, renee.role) == ("Renée O’Brien", "“Señor” Ltd", "speaker")
    assert batch.encoding == "cp1252"



@pytest.mark.parametrize(("name", "encoding"), [
    ("eventbrite.csv", "utf-8"), ("meetup.xls", "utf-16-le"), ("plain.xlsx", None)])
def test_the_batch_says_which_encoding_was_read(name: str, encoding: str | None) -> None:
    assert load(name).encoding == encoding

def _resaved_by_excel_on_windows(name: str, tmp_path: Path) -> Path:
    """A fixture as Excel on Windows saves it: comma CSV in cp1252, rows it cannot encode left out."""
    table = read_table(FIXTURES / name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(row.cells for row in table.rows if _fits_cp1252(row.cells))
    return write(tmp_path, Path(name).stem + ".csv", buffer.getvalue().encode("cp1252"))


def _fits_cp1252(cells: list[str]) -> bool:
    """Whether Windows-1252 can hold every cell (no Greek, Chinese, Vietnamese, Polish...)."""
    try:
        "".join(cells).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("name", ["eventbrite.csv", "meetup.xls"])
def test_platform_export_resaved_in_windows_1252_gives_the_same_people(name: str,
                                                                       tmp_path: Path) -> None:
    resaved = read_attendee_file(_resaved_by_excel_on_windows(name, tmp_path))
    original = {p.external_id: _without_line(p) for p in load(name).people}
    assert resaved.source == EXPECTED_SOURCE[name] and resaved.encoding == "cp1252"
    assert {p.external_id: _without_line(p) for p in resaved.people} == {
        p.external_id: original[p.external_id] for p in resaved.people}
    assert any(not person.name.isascii() for person in resaved.people)  # José, Zoë survive


# --- workbooks -----------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list]], active: int = 0,
              merge: str | None = None) -> Path:
    """An .xlsx with the given sheets (name: rows), the ``active`` one selected as Excel saves it."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    book.active = active
    book.save(path)
    return path


def _with_dimension(path: Path, ref: str) -> Path:
    """The same workbook with its first sheet claiming the size ``ref``, as some programs write it."""
    import re

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>',
                                                xml).encode()
    assert f'<dimension ref="{ref}"/>' in parts["xl/worksheets/sheet1.xml"].decode()
    path.write_bytes(_zip_bytes(parts))
    return path


PEOPLE_ROWS = [["Name", "Email"], *([f"Person {n}", f"p{n}@example.org"] for n in range(1, 6))]


@pytest.mark.parametrize("ref", ["A1:B3", "A1"])
def test_xlsx_rows_beyond_a_stale_dimension_are_read(ref: str, tmp_path: Path) -> None:
    path = _with_dimension(_workbook(tmp_path / "l.xlsx", {"Guests": PEOPLE_ROWS}), ref)
    assert [p.name for p in read_attendee_file(path).people] == [f"Person {n}" for n in range(1, 6)]


def test_xlsx_reads_the_active_sheet_first(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "l.xlsx", {"Summary": [["Name", "Count"], ["Total", 2]],
                                           "Guests": [["Name"], ["Ada"], ["Grace"]]}, active=1)
    assert [p.name for p in read_attendee_file(path).people] == ["Ada", "Grace"]


def test_xlsx_falls_back_to_another_sheet_with_a_list(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "l.xlsx", {"Notes": [["Bring name badges"], ["Doors at 18:30"]],
                                           "Guests": [["Name", "Email"], ["Ada", "ada@example.org"]]})
    (person,) = read_attendee_file(path).people
    assert (person.name, person.email) == ("Ada", "ada@example.org")


def test_xlsx_header_below_a_merged_title_row(tmp_path: Path) -> None:
    rows = [["PyData meetup, 2 May", None], ["Name", "Company"], ["Ada Lovelace", "Engines"]]
    path = _workbook(tmp_path / "l.xlsx", {"Guests": rows}, merge="A1:B1")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.company, person.line) == ("Ada Lovelace", "Engines", 3)


def test_xlsx_errors_name_the_sheet(tmp_path: Path) -> None:
    no_names = _workbook(tmp_path / "a.xlsx", {"Guests": [["Email"], ["ada@example.org"]]})
    assert str(refused(no_names)).startswith("a.xlsx sheet 'Guests' line 1: has no name column")
    bad_row = _workbook(tmp_path / "b.xlsx", {"Guests": [["Name", "Email"], ["Ada", "a@x.org"],
                                                         [None, "b@x.org"]]})
    assert str(refused(bad_row)).startswith("b.xlsx sheet 'Guests' line 3: the name is empty")


@pytest.mark.parametrize("above", ["Attendee list for London Tech, 26 Nov\n\n",
                                   "Attendee list for London Tech,,\n,,\n",
                                   '"Attendees, 26 Nov"\nExported 2026-11-20\n\n',
                                   "Attendee Summary\nEvent: London Tech Meetup\nDate range: 1 Nov 2026 - 26 Nov 2026\n"
                                   "Generated by: Organiser\nGenerated at: 2026-11-26 17:00\nTime zone: Europe/London\n"
                                   "Filters: none\n\n"])
def test_csv_header_below_title_lines(above: str, tmp_path: Path) -> None:
    body = "Name,Email,Company\nAda Lovelace,ada@example.org,Engines\nGrace,g@example.org,Navy\n"
    people = read_attendee_file(write(tmp_path, "l.csv", above + body)).people
    assert [(p.name, p.company) for p in people] == [("Ada Lovelace", "Engines"), ("Grace", "Navy")]
    assert people[0].line == above.count("\n") + 2


def test_platform_export_below_a_title_line_is_still_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Check-in list: London Tech\n"
                 + (FIXTURES / "pretix_semicolon.csv").read_text(encoding="utf-8-sig"))
    batch = read_attendee_file(path)
    assert batch.source == "pretix"
    assert [p.name for p in batch.people] == [p.name for p in load("pretix_semicolon.csv").people]


@pytest.mark.parametrize(("data", "line", "words"), [
    ("Attendee list\n\nName,Email\nAda,a@x\nBob,b@x,extra\n", 5, "3 fields"),
    ("Attendee list\n\nName,Email\n", 4, "no attendee rows"),
    ("Name\nAda\nBob,b@x\n", 3, "2 fields"),
    ("Name,Email\nAda,a@x,extra\nBob,b@x\n", 2, "3 fields"),
])
def test_csv_with_a_title_line_names_the_real_bad_line(data: str, line: int, words: str,
                                                        tmp_path: Path) -> None:
    error = refused(write(tmp_path, "l.csv", data))
    assert (error.line, words in error.reason) == (line, True)


def test_excel_sep_hint_line_sets_the_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "sep=;\r\nName;Company\r\nAda Lovelace;Engines, Ltd\r\n")
    (person,) = read_attendee_file(path).people
    assert (person.name, person.company, person.line) == ("Ada Lovelace", "Engines, Ltd", 3)


# --- choosing the source -------------------------------------------------------------------


def test_a_forced_source_overrides_detection() -> None:
    batch = load("eventbrite.csv", source="csv")
    assert batch.source == "csv" and batch.people[0].external_id.startswith("csv:")


def test_a_forced_source_that_does_not_fit_says_which_column_is_missing() -> None:
    error = refused(FIXTURES / "eventbrite.csv", source="luma")
    assert error.line == 1 and "api_id" in str(error)


def test_an_unknown_source_is_a_programming_error() -> None:
    assert "auto" in SOURCES
    with pytest.raises(ValueError, match="unknown source"):
        load("plain.csv", source="facebook")


def test_progress_is_reported_up_to_the_total(tmp_path: Path) -> None:
    rows = "".join(f"Person {n},p{n}@example.org\n" for n in range(1, 501))
    calls: list[tuple[int, int]] = []
    read_attendee_file(write(tmp_path, "big.csv", "Name,Email\n" + rows),
                       progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 500) and calls[-1] == (500, 500)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert 10 <= len(calls) <= 60


# --- files that must be refused ------------------------------------------------------------


def _zip_bytes(names: dict[str, str | bytes]) -> bytes:
    """A ZIP archive holding the given text files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in names.items():
            archive.writestr(name, text)
    return buffer.getvalue()


BAD_FILES = [
    pytest.param(b"Name,Email\nAda,a@x\nBo\x00b,b@x\n", 3, "binary", id="nul-bytes"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "PNG", id="png"),
    pytest.param(_zip_bytes({"readme.txt": "hi"}), 1, "not an .xlsx", id="zip-not-xlsx"),
    pytest.param(b"PK\x03\x04broken", 1, "damaged", id="broken-zip"),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), 1, "old binary Excel", id="ole-xls"),
    pytest.param(b"", 1, "empty", id="empty"),
    pytest.param(b"\xef\xbb\xbf\r\n  \r\n", 1, "empty", id="bom-and-blank-lines"),
    pytest.param(b"Name,Email\r\n", 2, "no attendee rows", id="header-only"),
    pytest.param(b"Email,Company\na@x,Acme\n", 1, "no name column", id="no-name-column"),
    pytest.param(b"Name,Email\nAda,a@x\nBob,b@x,extra\n", 3, "3 fields", id="too-many-fields"),
    pytest.param(b"Name,Email\nAda,a@x\nBob\n", 3, "1 field", id="too-few-fields"),
    pytest.param(b"Name,Email\nAda,a@x\n  ,b@x\n", 3, "name is empty", id="empty-name"),
    pytest.param("Name\nJosé\nBj".encode() + b"\xf6rk\n", 3, "not valid UTF-8", id="damaged-utf-8"),
    pytest.param(b"Name\nCaf\xe9\nBad\x81byte\n", 3, "UTF-8 or Windows-1252",
                 id="undefined-in-windows-1252"),
    pytest.param(bytes(range(1, 256)) * 4, 1, "binary file", id="binary-without-nul"),
    pytest.param(b"Name,Email\nAda,a@x\n" + b"B" * 1001 + b",b@x\n", 3, "1001 characters",
                 id="long-cell"),
    pytest.param(b'Name,Email\nAda,a@x\n"Bob,b@x\nCy,c@x\n', 3, "never closed", id="open-quote"),
    pytest.param(b"Name,Code\nAda,X-1\nBob,x-1\n", 3, "same ticket code", id="duplicate-code"),
    pytest.param(b"api_id,name,approval_status\ngst-1,Ada,approved\ngst-1,Bo,approved\n", 3,
                 "lists it twice", id="duplicate-id"),
    pytest.param(b"Name,Code\nAda,X 1\nBob,<script>\n", 3, "ticket code", id="unscannable-code"),
    pytest.param(b"Name,User ID,RSVP,Guests\nAda,user 1,Yes,two\n", 2, "Guests", id="bad-guests"),
    pytest.param(b"Ticket Reference,Ticket Full Name\nGIAO-1,Ada\nnope,Bob\n", 3, "Tito reference",
                 id="bad-tito-reference"),
]


@pytest.mark.parametrize(("data", "line", "words"), BAD_FILES)
def test_bad_files_are_refused_naming_file_and_line(data: bytes, line: int, words: str,
                                                     tmp_path: Path) -> None:
    error = refused(write(tmp_path, "attendees.csv", data))
    assert error.line == line
    assert str(error).startswith(f"attendees.csv line {line}: ")
    assert words in error.reason
    assert error.path.endswith("attendees.csv")


def test_a_missing_file_or_a_folder_is_refused(tmp_path: Path) -> None:
    assert "cannot be read" in str(refused(tmp_path / "nope.csv"))
    assert "not a regular file" in str(refused(tmp_path))


def test_an_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    from kiosk.importers import reading

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 100)
    error = refused(write(tmp_path, "big.csv", "Name\n" + "Ada Lovelace\n" * 20))
    assert "too large" in error.reason


def test_a_utf16_file_without_bom_is_still_text(tmp_path: Path) -> None:
    path = write(tmp_path, "m.xls", "Name\tUser ID\tRSVP\r\nAda\tuser 7\tYes\r\n".encode("utf-16-le"))
    assert read_attendee_file(path).people[0].external_id == "meetup:7"


def test_a_trailing_delimiter_on_every_line_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "Name,Email,\nAda,a@x.org,\nBob,b@x.org,,\n")
    assert [p.name for p in read_attendee_file(path).people] == ["Ada", "Bob"]


def test_nothing_is_returned_when_a_late_row_is_bad(tmp_path: Path) -> None:
    rows = "".join(f"Person {n}\n" for n in range(200)) + "\n,\n" + '"unclosed\n'
    error = refused(write(tmp_path, "l.csv", "Name\n" + rows))
    assert error.line == 204


# --- door codes ----------------------------------------------------------------------------


def _scanned_forms(name: str) -> list[tuple[str, str]]:
    """(what a scanner or a volunteer would enter, the key stored) for each code in a fixture."""
    table = read_table(FIXTURES / name)
    pairs = []
    for person in load(name).people:
        for key in person.codes:
            platform, value = key.split(":", 1)
            if platform == "luma":
                qr = table.header.index("qr_code_url")
                value = next(r.cells[qr] for r in table.rows if r.line == person.line)
            elif platform in ("tito", "code"):
                value = f"  {value.lower()} "
            pairs.append((value, key))
    return pairs


@pytest.mark.parametrize("name", ["eventbrite.csv", "eventbrite_v2.csv", "luma.csv", "tito.csv",
                                  "pretix_comma.csv", "plain.csv", "plain.xlsx"])
def test_every_code_on_a_platform_ticket_scans_to_its_stored_key(name: str) -> None:
    pairs = _scanned_forms(name)
    assert pairs
    for scanned, key in pairs:
        assert key in scan_keys(scanned.strip()), scanned


@pytest.mark.parametrize(("scanned", "first_key"), [
    ("https://luma.com/check-in/evt-AbC123?pk=g-XyZ789", "luma:g-XyZ789"),
    ("https://lu.ma/check-in/evt-AbC123?pk=g-XyZ789", "luma:g-XyZ789"),
    ("http://www.lu.ma/check-in/evt-Q/?utm=door&pk=g-XyZ789", "luma:g-XyZ789"),
    ("1121191224317645032101001", "eventbrite:1121191224317645032101001"),
    ("GIAO-1", "tito:GIAO-1"),
    ("giao-12", "tito:GIAO-12"),
    ("hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq", "pretix:hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"),
    ("g-XyZ789ab", "luma:g-XyZ789ab"),
    ("vip.0042", "code:VIP.0042"),
])
def test_scan_keys_most_specific_first(scanned: str, first_key: str) -> None:
    assert scan_keys(scanned)[0] == first_key


def test_a_code_that_fits_several_platforms_yields_every_key() -> None:
    assert scan_keys("door-0001") == ["tito:DOOR-0001", "code:DOOR-0001"]
    keys = scan_keys("100001")  # too short for an Eventbrite barcode: a plain code, then as a sheet zero-padded it
    assert keys[:2] == ["code:100001", "code:0100001"] and all(key.startswith("code:") for key in keys)


def test_pretix_secrets_keep_their_case() -> None:
    assert scan_keys("AbcDef123456789xyz")[0] == "pretix:AbcDef123456789xyz"
    assert pretix_key("AbcDef123456789xyz") != pretix_key("abcdef123456789xyz")


def test_key_builders_agree_with_the_scanner() -> None:
    assert eventbrite_key("11211912243", "17645032101") == "eventbrite:1121191224317645032101001"
    assert eventbrite_barcode_key(" 1121191224317645032101001 ") in scan_keys(
        "1121191224317645032101001")
    assert luma_key_from_url("https://luma.com/check-in/evt-A1?pk=g-B2c3") == luma_key("g-B2c3")
    assert tito_key("giao-1") == "tito:GIAO-1"
    assert plain_key("ab 12") == "code:AB12" and "code:AB12" in scan_keys("AB12")


@pytest.mark.parametrize("hostile", [
    "", "   ", "x" * 100_000, "1" * 100_000, "'; DROP TABLE attendees; --", "Robert'); --",
    "<script>alert(1)</script>", "\x00\x01\x02binary\xff", "GIAO-1\nGIAO-2", "ABC\x00DEF",
    "https://evil.example/check-in/evt-A?pk=g-aaaa",
    "https://luma.com.evil.example/check-in/evt-A?pk=g-aaaa",
    "https://user:pw@luma.com/check-in/evt-A?pk=g-aaaa",
    "https://luma.com:8443/check-in/evt-A?pk=g-aaaa",
    "https://luma.com/check-in/evt-A", "https://luma.com/check-in/evt-A?pk=g-aaaa&pk=g-bbbb",
    "https://luma.com/other/evt-A?pk=g-aaaa", "javascript:alert(1)", "file:///etc/passwd",
    "https://luma.com/check-in/evt-A?pk=<script>", "١٢٣٤٥٦٧٨٩٠١٢", "Ａｄａ", "%00%01",
])
def test_scan_keys_returns_nothing_for_what_cannot_be_a_code(hostile: str) -> None:
    assert scan_keys(hostile) == []


@pytest.mark.parametrize("not_text", [None, b"GIAO-1", 123456789012, ["GIAO-1"]])
def test_scan_keys_ignores_what_is_not_text(not_text) -> None:
    assert scan_keys(not_text) == []  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=600))
def test_scan_keys_never_raises_and_only_returns_known_keys(text: str) -> None:
    keys = scan_keys(text)
    assert isinstance(keys, list) and len(keys) == len(set(keys))
    for key in keys:
        assert key.split(":", 1)[0] in ("eventbrite", "luma", "tito", "pretix", "code")
        assert key.isascii() and key.isprintable() and len(key) <= 600
