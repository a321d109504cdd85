"""Hand-made lists split into sections by heading rows ("SPEAKERS", "Waitlist:"): the headings
were imported as people, and the people under a waitlist heading were let in.

Each test writes the organiser's list and imports it with `kiosk import`, as they would.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, run_kiosk, write_config
from test_imports import upload_text
from test_imports_session7 import listed
from test_imports_session9 import imported

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
SECTIONED = ("Name,Email,Company\r\n"
             "SPEAKERS,,\r\n"
             "Ada Lovelace,ada@example.org,Analytical Engines\r\n"
             "== Attendees (2) ==,,\r\n"
             "Grace Hopper,grace@example.org,US Navy\r\n"
             "Bob Byte,bob@example.org,\r\n"
             "Waitlist:,,\r\n"
             "Cy Coder,cy@example.org,\r\n")


def roles_and_statuses(tmp_path: Path, text: str) -> dict[str, tuple[str, str]]:
    """`kiosk import` of a hand-made list, then each person's (role, status)."""
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "list.csv", text)
    assert result.returncode == 0, result.stderr
    return {p["name"]: (p["role"], p["status"]) for p in listed(config)}


def test_section_headings_are_no_one_and_their_sections_count(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "list.csv", SECTIONED)
    assert result.returncode == 0, result.stderr
    people = {person["name"]: person for person in listed(config)}
    assert sorted(people) == ["Ada Lovelace", "Bob Byte", "Cy Coder", "Grace Hopper"]
    assert [name for name, person in people.items() if person["role"] == "speaker"] == ["Ada Lovelace"]
    assert {name: person["status"] for name, person in people.items()} == {
        "Ada Lovelace": "attending", "Grace Hopper": "attending", "Bob Byte": "attending", "Cy Coder": "not_attending"}

    again = imported(config, tmp_path, "list.csv", SECTIONED)  # the same list next week: nobody new
    assert again.returncode == 0 and len(listed(config)) == 4


def test_a_one_column_list_with_headings(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    text = "Name\nSPEAKERS\nAda Lovelace\nGUESTS\n陈静\nTeam Rocket\nCANCELLED\nBob Byte\n"
    assert imported(config, tmp_path, "names.csv", text).returncode == 0
    people = {person["name"]: (person["role"], person["status"]) for person in listed(config)}
    assert people == {"Ada Lovelace": ("speaker", "attending"), "陈静": ("attendee", "attending"),
                      "Team Rocket": ("attendee", "attending"), "Bob Byte": ("attendee", "not_attending")}


def test_a_row_with_its_own_status_keeps_it_under_a_waitlist_heading(tmp_path: Path) -> None:
    """A row's own status is about that person; the heading is the list's."""
    config = write_config(tmp_path / "door")
    text = "Name,Status\nWAITLIST,\nAda Lovelace,Confirmed\nBob Byte,\n"
    assert imported(config, tmp_path, "list.csv", text).returncode == 0
    assert {p["name"]: p["status"] for p in listed(config)} == {"Ada Lovelace": "attending", "Bob Byte": "not_attending"}


@pytest.mark.parametrize("heading", ["WAITLIST", "Waiting list:", "Declined (3)", "Not coming"])
def test_someone_under_a_refusing_heading_is_refused_at_the_door(empty_server, tmp_path: Path, heading: str) -> None:
    text = f"Name,Email\r\nAda Lovelace,ada@example.org\r\n{heading},\r\nBob Byte,bob@example.org\r\n"
    assert upload_text(empty_server, tmp_path, "list.csv", text).status_code == 200
    tickets = {person["name"]: person["ticket_code"] for person in empty_server.people(attending=False)}
    assert list(tickets) == ["Bob Byte"]
    assert empty_server.scan(tickets["Bob Byte"]).json()["result"] == "not_attending"
    assert empty_server.get("/api/headcount", role=None).json()["expected"] == 1


# --- Lists saved by Excel on a Polish, Greek or Russian computer ---------------------------------

@pytest.mark.parametrize("names, codec, note", [
    (["Łukasz Wójcik", "Małgorzata Świątek", "Żaneta Kowalska"], "cp1250", "Windows-1250"),
    (["Γιώργος Παπαδόπουλος", "Ελένη Κωνσταντίνου", "Νίκος Ιωάννου"], "cp1253", "Windows-1253"),
    (["Дмитрий Иванов", "Ольга Петрова", "Юлія Ковальчук"], "cp1251", "Windows-1251"),
    (["José Peña", "Zoë ¿Qué? Müller", "Søren Ærø"], "cp1252", "Windows-1252"),
    (["Jiří Dvořák", "Petr Černý", "Šárka Nováková"], "cp1250", "Windows-1250"),
], ids=["polish", "greek", "cyrillic", "western", "czech"])
def test_a_list_saved_in_a_windows_code_page_keeps_its_letters(empty_server, tmp_path: Path, names: list[str],
                                                                codec: str, note: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(("Name,Email\r\n" + "".join(f"{name},p{n}@example.org\r\n" for n, name in enumerate(names))
                      ).encode(codec))
    with path.open("rb") as fh:
        answer = empty_server.post("/api/imports", files={"file": (path.name, fh)}, data={"source": "auto"}).json()
    assert answer["encoding"] == codec and note in answer["encoding_note"]
    assert sorted(person["name"] for person in empty_server.people()) == sorted(names)


# --- A form answered twice, in a sheet sorted by name ----------------------------------------------

@pytest.mark.parametrize("first, second", [
    ("11/26/2026 09:15:00", "11/25/2026 18:02:11"),      # Google Forms, US
    ("26/11/2026 09:15:00", "25/11/2026 18:02:11"),      # Google Forms, UK
    ("26.11.2026 09:15:00", "25.11.2026 18:02:11"),      # Google Forms, Germany
    ("11/26/26 9:15:00 AM", "11/25/26 6:02:11 PM"),      # Microsoft Forms
    ("2026-11-26 09:15:00", "2026-11-25 18:02:11"),      # Typeform, Tally
], ids=["us", "uk", "de", "ms-forms", "iso"])
def test_the_later_answer_counts_by_its_timestamp_not_its_row(tmp_path: Path, first: str, second: str) -> None:
    """Ada answered "No" on the 26th after "Yes" on the 25th; the sheet, sorted, lists the No first."""
    config = write_config(tmp_path / "door")
    text = ("Timestamp,Name,Email,Will you attend?\r\n"
            f"{first},Ada Lovelace,ada@example.org,\"No, I can't make it\"\r\n"
            f"{second},Ada Lovelace,ada@example.org,Yes\r\n"
            f"{second},Bob Byte,bob@example.org,Yes\r\n")
    assert imported(config, tmp_path, "responses.csv", text).returncode == 0
    assert {p["name"]: p["status"] for p in listed(config)} == {"Ada Lovelace": "not_attending", "Bob Byte": "attending"}


@pytest.mark.parametrize("title, answers, status", [
    ("Timestamp", [("yesterday", "No"), ("today", "Yes")], "attending"),  # unreadable: the rows' order
    ("Timestamp", [("11/20/2026 10:00:00", "Yes"), ("", "No")], "not_attending"),  # added by hand, no time
    ("Submitted At", [("2026-11-20T10:00:00Z", "Yes"), ("2026-11-20T10:30:00+01:00", "No")], "attending"),  # UTC
], ids=["unreadable-times", "a-row-without-time", "time-zones"])
def test_which_of_two_answers_counts_when_the_times_cannot_decide_alone(tmp_path: Path, title: str,
                                                                         answers: list, status: str) -> None:
    config = write_config(tmp_path / "door")
    text = f"{title},Name,Email,Will you attend?\r\n" + "".join(
        f"{when},Ada Lovelace,ada@example.org,{answer}\r\n" for when, answer in answers)
    assert imported(config, tmp_path, "responses.csv", text).returncode == 0
    assert [(p["name"], p["status"]) for p in listed(config)] == [("Ada Lovelace", status)]


# --- Section headings the review found missing -----------------------------------------------------

def test_a_heading_typed_on_a_line_of_its_own_imports(tmp_path: Path) -> None:
    """"SPEAKERS" with no commas after it: one field where the header has two."""
    config = write_config(tmp_path / "door")
    result = imported(config, tmp_path, "list.csv", "Name,Email\r\nSPEAKERS\r\nAda Lovelace,ada@example.org\r\n"
                      "Not going:\r\nBob Byte,bob@example.org\r\n")
    assert result.returncode == 0, result.stderr
    people = {p["name"]: (p["role"], p["status"]) for p in listed(config)}
    assert people == {"Ada Lovelace": ("speaker", "attending"), "Bob Byte": ("attendee", "not_attending")}


@pytest.mark.parametrize("heading", ["Not going:", "Waitlist - 3 people", "On the waitlist", "Cancelled RSVPs",
                                     "Friends of the host:"])
def test_a_heading_in_other_words_is_no_one_and_ends_the_speakers(tmp_path: Path, heading: str) -> None:
    config = write_config(tmp_path / "door")
    text = f"Name,Email\r\nSPEAKERS,\r\nAda Lovelace,ada@example.org\r\n{heading},\r\nBob Byte,bob@example.org\r\n"
    assert imported(config, tmp_path, "list.csv", text).returncode == 0
    people = {p["name"]: p for p in listed(config)}
    assert sorted(people) == ["Ada Lovelace", "Bob Byte"] and people["Bob Byte"]["role"] == "attendee"


def test_a_workbook_heading_with_its_count_beside_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row in (["Name", "Email"], ["Speakers", 1], ["Ada Lovelace", "ada@example.org"], ["Attendees", 2],
                ["Bob Byte", "bob@example.org"], ["Cy Coder", "cy@example.org"]):
        book.active.append(row)
    book.save(tmp_path / "list.xlsx")
    config = write_config(tmp_path / "door")
    run_kiosk(config, "import", str(tmp_path / "list.xlsx"))
    assert {p["name"]: p["role"] for p in listed(config)} == {
        "Ada Lovelace": "speaker", "Bob Byte": "attendee", "Cy Coder": "attendee"}


def test_someone_listed_in_two_sections_keeps_the_better_one(tmp_path: Path) -> None:
    """A speaker also under attendees stays a speaker; someone moved up from the waitlist comes in."""
    text = ("Name,Email\r\nSPEAKERS,\r\nAda Lovelace,ada@example.org\r\nATTENDEES,\r\nBob Byte,bob@example.org\r\n"
            "Ada Lovelace,ada@example.org\r\nWAITLIST,\r\nBob Byte,bob@example.org\r\nCy Coder,cy@example.org\r\n")
    assert roles_and_statuses(tmp_path, text) == {"Ada Lovelace": ("speaker", "attending"), "Bob Byte": ("attendee", "attending"),
                      "Cy Coder": ("attendee", "not_attending")}


def test_names_that_hold_a_group_word_are_people(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    text = "Name\r\nJohn Speaker\r\nGuest\r\nSpeaker\r\nAda Lovelace\r\n"
    assert imported(config, tmp_path, "list.csv", text).returncode == 0
    assert sorted(p["name"] for p in listed(config)) == ["Ada Lovelace", "Guest", "John Speaker", "Speaker"]


@pytest.mark.parametrize("row", [
    'José Núñez,"Gracias, ¿puedo traer a mi hermana?"', 'Iñaki Muñoz,"Hola, ¡gracias!"', "Åsa Ødegård,¿vegano?",
    "François Lefèvre,3¼in", "Señora Muñoz,m³h", "Anne Møller,¡ok", "Ana Peña,£10 and ¥500",
])
def test_a_western_list_with_symbols_beside_words_stays_windows_1252(tmp_path: Path, row: str) -> None:
    """"¿", "¡", "£", "¼" and "³" are letters in Windows-1250; here they are what they look like."""
    config = write_config(tmp_path / "door")
    (tmp_path / "list.csv").write_bytes(f"Name,Notes\r\n{row}\r\n".encode("cp1252"))
    assert run_kiosk(config, "import", str(tmp_path / "list.csv")).returncode == 0
    assert [p["name"] for p in listed(config)] == [row.split(",")[0]]


@pytest.mark.parametrize("heading, refused", [
    ("Wait list", True), ("Can't make it", True), ("Reserve list", True), ("Standby", True), ("On hold", True),
    ("Lista de espera", True), ("Liste d'attente", True), ("Maybe", False), ("Volunteers", False),
])
def test_more_ways_to_write_a_heading(tmp_path: Path, heading: str, refused: bool) -> None:
    config = write_config(tmp_path / "door")
    text = f"Name,Email\nAda Lovelace,ada@example.org\n{heading}\nWally Waiting,wally@example.org\n"
    assert imported(config, tmp_path, "list.csv", text).returncode == 0
    people = {p["name"]: p["status"] for p in listed(config)}
    assert people == {"Ada Lovelace": "attending", "Wally Waiting": "not_attending" if refused else "attending"}


def test_a_group_word_alone_heads_a_section_only_when_written_as_a_heading(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    text = "Name\nSpeaker\nSPEAKER:\nAda Lovelace\nVOLUNTEER\nBob Byte\n"
    assert imported(config, tmp_path, "list.csv", text).returncode == 0
    assert {p["name"]: p["role"] for p in listed(config)} == {"Speaker": "attendee", "Ada Lovelace": "speaker",
                                                             "Bob Byte": "attendee"}


@pytest.mark.parametrize("fixture", ["pretix_comma.csv", "eventbrite.csv", "luma.csv", "tito.csv"])
def test_a_heading_line_in_a_platform_export_is_refused_at_its_line(tmp_path: Path, fixture: str) -> None:
    """Only a hand-made list has section headings: in an export, a one-field line is damage."""
    lines = (FIXTURES / fixture).read_bytes().splitlines(keepends=True)
    (tmp_path / fixture).write_bytes(b"".join(lines[:2]) + b"WAITLIST\r\n" + b"".join(lines[2:]))
    config = write_config(tmp_path / "door")
    result = run_kiosk(config, "import", str(tmp_path / fixture), check=False)
    assert result.returncode != 0 and "line 3: has 1 field but the header has" in result.stderr
    assert listed(config) == []


def test_a_plus_one_line_is_a_person_and_more_refusing_headings(tmp_path: Path) -> None:
    text = ("Name,Email\nSPEAKERS\nAda Lovelace,ada@example.org\nPlus 1,\nGrace Hopper,grace@example.org\n"
            "Regrets\nBob Byte,bob@example.org\nDropped out:\nCy Coder,cy@example.org\n")
    assert roles_and_statuses(tmp_path, text) == {"Ada Lovelace": ("speaker", "attending"), "Plus 1": ("speaker", "attending"),
                      "Grace Hopper": ("speaker", "attending"), "Bob Byte": ("attendee", "not_attending"),
                      "Cy Coder": ("attendee", "not_attending")}
