"""Lists from session 21's review of imports that let the wrong people in or lost what they said.

Each test writes a small file shaped like the organiser's and imports it the way they do (`kiosk
import`, or an upload to a real server), then looks at the list or scans at the door.
"""

from __future__ import annotations

from pathlib import Path

import csv
import io
import json

import pytest
from conftest import run_kiosk, start_in_process, write_config
from test_imports import by_name, upload_text
from test_imports_session9 import statuses

# --- 1. A platform's list with a status column of the organiser's ------------------------------

# Eventbrite's numbers (so it is read as Eventbrite's, forced or detected), and an RSVP column the
# organiser kept from a form: read by Eventbrite's own "Attendee Status" alone, Bob and Cy got in.
EVENTBRITE_WITH_RSVP = (
    "Order #,Attendee #,First Name,Last Name,Email,RSVP\r\n"
    "589750179,740658283,Ada,Lovelace,ada@example.org,Yes\r\n"
    "589750180,740658284,Bob,Byte,bob@example.org,No\r\n"
    "589750181,740658285,Cy,Coder,cy@example.org,Declined\r\n")
TITO_WITH_STATUS = (
    "Ticket Reference,Ticket Full Name,Ticket Email,Status\r\n"
    "ABCD-1,Ada Lovelace,ada@example.org,Attending\r\n"
    "ABCD-2,Bob Byte,bob@example.org,Cancelled\r\n"
    "ABCE-1,Cy Coder,cy@example.org,No\r\n")
EXPECTED = {"Ada Lovelace": "attending", "Bob Byte": "not_attending", "Cy Coder": "not_attending"}


@pytest.mark.parametrize("source,text", [("eventbrite", EVENTBRITE_WITH_RSVP), ("auto", EVENTBRITE_WITH_RSVP),
                                         ("tito", TITO_WITH_STATUS), ("auto", TITO_WITH_STATUS)])
def test_a_platform_list_with_its_own_status_column_refuses_those_it_says_are_not_coming(
        source: str, text: str, tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    (tmp_path / "list.csv").write_text(text, encoding="utf-8")
    result = run_kiosk(config, "import", str(tmp_path / "list.csv"), "--source", source, check=False)
    assert result.returncode == 0, result.stderr
    assert statuses(config) == EXPECTED


def test_the_door_refuses_an_eventbrite_ticket_its_list_says_no_for(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "report.csv", EVENTBRITE_WITH_RSVP)
    assert answer.status_code == 200 and answer.json()["source"] == "eventbrite", answer.text
    assert empty_server.scan("589750180740658284001").json()["result"] == "not_attending"
    assert empty_server.scan("589750179740658283001").json()["result"] == "checked_in"
    assert by_name(empty_server)["Bob Byte"]["platform_status"] == "No"


def test_a_payment_status_beside_the_platforms_own_status_turns_nobody_away(tmp_path: Path) -> None:
    """Eventbrite's Attendee Status says who comes; a payment still "Pending" (paying at the door) is no no."""
    config = write_config(tmp_path / "door")
    (tmp_path / "report.csv").write_text(
        "Order #,Attendee #,Name,Email,Attendee Status,Payment Status\r\n"
        "589750179,740658283,Ada Lovelace,ada@example.org,Attending,Pending\r\n", encoding="utf-8")
    assert run_kiosk(config, "import", str(tmp_path / "report.csv"), check=False).returncode == 0
    assert statuses(config) == {"Ada Lovelace": "attending"}


# --- 2. One check-in, one time ------------------------------------------------------------------

def july_evening_with_ada(tmp_path: Path) -> Path:
    """The config of a London evening in July (on BST, +01:00) with Ada Lovelace imported."""
    config = write_config(tmp_path / "door")
    config.write_text(config.read_text().replace("2026-11-26T18:30:00+00:00", "2026-07-16T18:30:00+01:00"))
    (tmp_path / "list.csv").write_text("Name,Email\r\nAda Lovelace,ada@example.org\r\n", encoding="utf-8")
    run_kiosk(config, "import", str(tmp_path / "list.csv"))
    return config


def test_kiosk_attendees_prints_a_check_in_at_the_time_the_report_gives_it(tmp_path: Path) -> None:
    """A London evening in July is on BST: `kiosk attendees` printed 17:05+00:00 for someone the
    attendance report (and the wall clock) had at 18:05+01:00."""
    config = july_evening_with_ada(tmp_path)
    server = start_in_process(config)
    try:
        assert server.scan(server.people()[0]["ticket_code"]).status_code == 201
    finally:
        server.stop()
    as_json = json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)[0]["checked_in_at"]
    as_csv = next(csv.DictReader(io.StringIO(run_kiosk(config, "attendees").stdout)))["checked_in_at"]
    run_kiosk(config, "export", str(tmp_path / "report.json"))
    reported = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["attendees"][0]["checked_in_at"]
    assert reported.endswith("+01:00"), reported
    assert as_json == as_csv == reported


# --- 3. A cell with two addresses ----------------------------------------------------------------

def test_a_cell_with_two_addresses_keeps_the_first_and_search_finds_it(empty_server, tmp_path: Path) -> None:
    """"ana@x.com; ben@y.com" was no address at all: Ana was stored without one and no search by
    email found her."""
    text = ('Name,Email\r\nAna Silva,"ana@example.org; ben@example.net"\r\n'
            'Cleo Park,"cleo@example.org, dan@example.net"\r\n'
            'Fay Lee,"Fay Lee <fay@example.org>, Gus <gus@example.net>"\r\n'
            'Hal Ng,hal@example.org;\r\n')
    assert upload_text(empty_server, tmp_path, "list.csv", text).status_code == 200
    emails = {name: person["email"] for name, person in by_name(empty_server).items()}
    assert emails == {"Ana Silva": "ana@example.org", "Cleo Park": "cleo@example.org", "Fay Lee": "fay@example.org",
                      "Hal Ng": "hal@example.org"}
    found = empty_server.get("/api/attendees?q=ana@example.org", "volunteer").json()["attendees"]
    assert [person["name"] for person in found] == ["Ana Silva"]


# --- 4. A hand-made sheet's own yes/no titles ---------------------------------------------------

@pytest.mark.parametrize("title", ["Going", "Going?", "Coming?", "Will attend", "Are you going?"])
def test_a_sheets_going_column_refuses_those_it_says_no_for(title: str, tmp_path: Path) -> None:
    """Not read as a status at all: Bob (No) and Cy (Not attending) were expected and let in."""
    config = write_config(tmp_path / "door")
    (tmp_path / "rsvps.csv").write_text(
        f"Name,Email,{title}\r\nAda Lovelace,ada@example.org,Yes\r\nBob Byte,bob@example.org,No\r\n"
        "Cy Coder,cy@example.org,Not attending\r\n", encoding="utf-8")
    assert run_kiosk(config, "import", str(tmp_path / "rsvps.csv"), check=False).returncode == 0
    assert statuses(config) == EXPECTED


def test_an_attendance_column_of_evenings_come_to_refuses_nobody(tmp_path: Path) -> None:
    """A community's sheet counts the evenings each member came to; read as a status, its 0 (a
    first-timer) was a no, and the newcomer was turned away at the door."""
    config = write_config(tmp_path / "door")
    (tmp_path / "members.csv").write_text(
        "Name,Email,Attendance\r\nAda Lovelace,ada@example.org,12\r\nBob Byte,bob@example.org,0\r\n", encoding="utf-8")
    assert run_kiosk(config, "import", str(tmp_path / "members.csv"), check=False).returncode == 0
    assert statuses(config) == {"Ada Lovelace": "attending", "Bob Byte": "attending"}


def test_a_question_about_going_somewhere_else_refuses_nobody(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    (tmp_path / "form.csv").write_text(
        "Name,Email,Are you going to the after-party?\r\nAda Lovelace,ada@example.org,No\r\n", encoding="utf-8")
    assert run_kiosk(config, "import", str(tmp_path / "form.csv"), check=False).returncode == 0
    assert statuses(config) == {"Ada Lovelace": "attending"}


# --- 5. A column named after the refusal, filled in for whom it applies --------------------------

@pytest.mark.parametrize("title", ["Cancelled", "Canceled?", "Declined"])
def test_a_cancelled_column_ticked_or_dated_refuses_and_one_left_blank_or_no_does_not(
        title: str, tmp_path: Path) -> None:
    """"Cancelled: Yes" was read as a yes (or not read at all) and everyone was let in."""
    config = write_config(tmp_path / "door")
    (tmp_path / "sheet.csv").write_text(
        f"Name,Email,{title}\r\nAda Lovelace,ada@example.org,\r\nBob Byte,bob@example.org,Yes\r\n"
        "Cy Coder,cy@example.org,2026-11-20\r\nDi Data,di@example.org,No\r\nEd Edge,ed@example.org,x\r\n",
        encoding="utf-8")
    assert run_kiosk(config, "import", str(tmp_path / "sheet.csv"), check=False).returncode == 0
    assert statuses(config) == {"Ada Lovelace": "attending", "Bob Byte": "not_attending", "Cy Coder": "not_attending",
                                "Di Data": "attending", "Ed Edge": "not_attending"}


def test_a_cancelled_column_beside_a_platforms_status_refuses_too(empty_server, tmp_path: Path) -> None:
    text = ("Ticket Reference,Ticket Full Name,Ticket Email,Cancelled\r\n"
            "ABCD-1,Ada Lovelace,ada@example.org,\r\nABCD-2,Bob Byte,bob@example.org,TRUE\r\n")
    assert upload_text(empty_server, tmp_path, "tito.csv", text).json()["source"] == "tito"
    assert empty_server.scan("ABCD-2").json()["result"] == "not_attending"
    assert empty_server.scan("ABCD-1").json()["result"] == "checked_in"
