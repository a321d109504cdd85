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
