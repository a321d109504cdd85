"""Lists from session 10's review that imported wrongly: a German Eventbrite report whose barcodes did
not scan, +1 answers that lost their guest or refused the whole file, refusal words and a Payment
Status column that let people in, and greetings by title ("Welcome, Dr.!").

Each test writes a small file shaped like the organiser's and imports it the way they do (`kiosk
import`, or an upload to a real server), then looks at the list or scans.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_config
from test_imports import by_name, upload_text
from test_imports_session7 import listed
from test_imports_session9 import imported, statuses

# The classic attendee report exported in German, as a real one's header reads (BOM, CRLF).
EVENTBRITE_DE = (
    "\ufeffBestellnr.,Bestelldatum,Vorname,Nachname,E-Mail,Anzahl,Ticketart,Teilnehmernummer,Barcode-Nr.,"
    "Teilnehmerstatus,Firma\r\n"
    "589750179,2016-12-01 10:00,Rainer,Stropek,rainer@example.org,1,Ticket,740658283,589750179740658283001,Nimmt teil,A\r\n"
    "589750180,2016-12-01 10:05,Karin,Huber,karin@example.org,1,Ticket,740658284,589750180740658284001,"
    "Nimmt nicht teil,B\r\n")


def test_a_german_eventbrite_report_is_eventbrite_and_its_barcodes_scan(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "bericht.csv", EVENTBRITE_DE)
    assert answer.status_code == 200 and answer.json()["source"] == "eventbrite", answer.text
    arrived = empty_server.scan("589750179740658283001").json()
    assert (arrived["result"], arrived["attendee"]["name"]) == ("checked_in", "Rainer Stropek")
    assert empty_server.scan("589750180740658284001").json()["result"] == "not_attending"
    people = by_name(empty_server)
    assert people["Rainer Stropek"]["company"] == "A" and people["Karin Huber"]["status"] == "not_attending"


@pytest.mark.parametrize("title", ["Plus one?", "Plus One", "Guest", "Number of guests", "Additional guests",
                                   "Bringing a guest?", "# of guests"])
def test_a_plus_one_column_by_another_title_counts_the_guest(title: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "form.csv", f"Name,Email,{title}\r\nAda Lovelace,ada@example.org,1\r\n"
                      "Bob Byte,bob@example.org,No\r\nCy Coder,cy@example.org,Yes\r\n")
    assert result.returncode == 0, result.stderr
    assert {p["name"]: p["guests"] for p in listed(config)} == {"Ada Lovelace": 1, "Bob Byte": 0, "Cy Coder": 1}


def test_a_plus_one_answered_in_words_is_a_guest_or_none_and_never_refuses_the_list(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    answers = {"Ada Lovelace": ("Yes, my partner Sam", 1), "Bob Byte": ("Sam Smith", 1),
               "Cy Coder": ("No, thanks", 0), "Di Data": ("none", 0), "Ed Edge": ("n/a", 0), "Flo Flow": ("2", 2)}
    rows = "".join(f'{name},{name.split()[0].lower()}@example.org,"{answer}"\r\n' for name, (answer, _) in answers.items())
    result = imported(config, tmp_path, "form.csv", "Name,Email,+1\r\n" + rows)
    assert result.returncode == 0, result.stderr
    assert {p["name"]: p["guests"] for p in listed(config)} == {name: n for name, (_, n) in answers.items()}


def test_a_plus_one_count_out_of_range_still_names_its_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "list.csv", "Name,Guests\r\nAda Lovelace,1\r\nBob Byte,250\r\n")
    assert result.returncode == 1 and "list.csv line 3" in result.stderr, result.stderr
    assert listed(config) == []


@pytest.mark.parametrize("answer", ["Not registered", "Unregistered", "Deregistered", "Opted out", "Not paid",
                                    "Payment failed", "Nicht bezahlt", "Revoked", "Ticket returned", "Resold",
                                    "On hold"])
def test_more_refusals_in_a_registration_status_are_not_attending(answer: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    imported(config, tmp_path, "list.csv", f"Name,Email,Registration Status\r\nAda Lovelace,ada@example.org,{answer}\r\n"
             "Bob Byte,bob@example.org,Registered\r\n")
    assert statuses(config) == {"Ada Lovelace": "not_attending", "Bob Byte": "attending"}


def test_a_payment_status_of_refunded_is_refused_at_the_door(empty_server, tmp_path: Path) -> None:
    shop = ("Order,Name,Email,Payment Status\r\n1001,Ada Lovelace,ada@example.org,Paid\r\n"
            "1002,Bob Byte,bob@example.org,Refunded\r\n1003,Cy Coder,cy@example.org,Free\r\n")
    assert upload_text(empty_server, tmp_path, "shop.csv", shop).status_code == 200
    people = by_name(empty_server)
    assert {name: p["status"] for name, p in people.items()} == {
        "Ada Lovelace": "attending", "Bob Byte": "not_attending", "Cy Coder": "attending"}
    assert empty_server.scan(people["Bob Byte"]["ticket_code"]).json()["result"] == "not_attending"


def test_a_title_before_the_name_is_not_the_greeting(empty_server, tmp_path: Path) -> None:
    names = "Name,Email\r\nDr. Jane Smith,jane@example.org\r\nProf Ada Lovelace,ada@example.org\r\nDr Who,who@example.org\r\n"
    assert upload_text(empty_server, tmp_path, "speakers.csv", names).status_code == 200
    people = by_name(empty_server)
    assert people["Dr. Jane Smith"]["first_name"] == "Jane" and people["Dr. Jane Smith"]["last_name"] == "Smith"
    assert people["Prof Ada Lovelace"]["first_name"] == "Ada"
    assert people["Dr Who"]["first_name"] == "Dr"  # no given name after the title: the name as written
    welcome = empty_server.scan(people["Dr. Jane Smith"]["ticket_code"]).json()["message"]
    assert welcome.startswith("Welcome, Jane!")


FORM_ANSWERED_TWICE = ("Timestamp,What is your name?,Your email address,Will you attend?\r\n"
                       "2026/11/01 10:00:00 AM GMT,Ada Lovelace,ada@example.org,Yes\r\n"
                       "2026/11/01 10:02:00 AM GMT,Bob Byte,bob@example.org,Yes\r\n"
                       "2026/11/03 09:00:00 PM GMT,ada lovelace,Ada@Example.org,\"No, I can't make it\"\r\n")


def test_a_form_answered_twice_is_one_person_with_the_later_answer(empty_server, tmp_path: Path) -> None:
    """Ada said yes, then no: two people, one let in and one refused, and a check-in that moved
    between them when the sheet was re-sorted."""
    assert upload_text(empty_server, tmp_path, "form.csv", FORM_ANSWERED_TWICE).status_code == 200
    people = by_name(empty_server)
    assert sorted(people) == ["Bob Byte", "ada lovelace"]
    assert people["ada lovelace"]["status"] == "not_attending"
    assert empty_server.scan(people["ada lovelace"]["ticket_code"]).json()["result"] == "not_attending"


def test_a_form_answered_twice_keeps_one_person_and_one_check_in_when_re_sorted(empty_server, tmp_path: Path) -> None:
    first = FORM_ANSWERED_TWICE.replace("\"No, I can't make it\"", "\"Yes, see you\"")
    assert upload_text(empty_server, tmp_path, "form.csv", first).status_code == 200
    ada = by_name(empty_server)["ada lovelace"]
    arrived = empty_server.scan(ada["ticket_code"]).json()
    assert arrived["result"] == "checked_in"
    header, *rows = first.split("\r\n")[:-1]
    resorted = "\r\n".join([header, *sorted(rows, key=lambda line: line.split(",")[1].casefold())]) + "\r\n"
    assert upload_text(empty_server, tmp_path, "form-sorted.csv", resorted).status_code == 200
    people = empty_server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]
    adas = [p for p in people if p["email"] == "ada@example.org"]
    assert len(adas) == 1 and adas[0]["checked_in_at"] == arrived["checked_in_at"]
    assert empty_server.get("/api/headcount", None).json()["checked_in"] == 1
    again = empty_server.scan(adas[0]["ticket_code"]).json()
    assert again["result"] == "already_checked_in"


def test_a_family_sharing_an_email_stays_several_people(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "form.csv", "Name,Email\r\nAda Lovelace,family@example.org\r\n"
                      "Byron Lovelace,family@example.org\r\nAda Lovelace,ada@example.org\r\n")
    assert result.returncode == 0, result.stderr
    assert sorted((p["name"], p["email"]) for p in listed(config)) == [
        ("Ada Lovelace", "ada@example.org"), ("Ada Lovelace", "family@example.org"),
        ("Byron Lovelace", "family@example.org")]


FIXTURES_IMPORTS = Path(__file__).resolve().parent / "fixtures" / "imports"


@pytest.mark.parametrize("typed", ["GIAO1", "giao 1", "Giao-1"])
def test_a_tito_reference_typed_without_its_dash_checks_its_holder_in(typed: str, empty_server) -> None:
    from test_imports_session7 import upload

    assert upload(empty_server, FIXTURES_IMPORTS / "tito.csv").status_code == 200
    answer = empty_server.scan(typed).json()
    assert (answer["result"], answer["attendee"]["name"]) == ("checked_in", "Ada Lovelace")


def test_a_luma_link_read_with_caps_lock_on_checks_its_guest_in(empty_server) -> None:
    from test_imports_session7 import upload

    assert upload(empty_server, FIXTURES_IMPORTS / "luma.csv").status_code == 200
    link = "https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk=g-2U61lr65dtD1YXI"
    answer = empty_server.scan(link.swapcase()).json()
    assert (answer["result"], answer["attendee"]["name"]) == ("checked_in", "Ada Lovelace")


def test_a_german_participant_list_numbered_its_own_way_is_still_a_plain_list(tmp_path: Path) -> None:
    """"Teilnehmernummer" alone is any participant list's number, not Eventbrite's Attendee #."""
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "teilnehmer.csv", "Teilnehmernummer,Vorname,Nachname,E-Mail\r\n"
                      "T-001,Rainer,Stropek,rainer@example.org\r\nT-002,Karin,Huber,karin@example.org\r\n")
    assert result.returncode == 0 and "(csv)" in result.stdout, result.stdout + result.stderr
    assert sorted(p["name"] for p in listed(config)) == ["Karin Huber", "Rainer Stropek"]
