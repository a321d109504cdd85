"""Lists refused at the wrong line or not at all (an import review, session 14).

A one-column list with an unquoted comma in a name (`Lovelace, Ada`) is refused at that line.

The line "Name" was taken for a title above the header, the next line for the header, and the
organiser was sent to the wrong line with the wrong reason ("has no name column", or a line with
nothing wrong). A number or a date in the name column is refused at its row. Each list is
uploaded to a real server on 127.0.0.1, as the organiser page does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from test_imports import upload_text

UNQUOTED = "a value probably contains an unquoted delimiter or a line break"


@pytest.mark.parametrize("text,line", [
    ("Name\nLovelace, Ada\nGrace Hopper\n", 2),  # the first row: it read as the header
    ("Name\r\nLovelace, Ada\r\nHopper, Grace\r\n", 2),  # every row: "has no name column"
    ('"Full name"\nGrace Hopper\nAlan Turing\nLovelace, Ada\n', 4),
    ("Surname\nHopper\nLovelace, Ada\n", 3),
])
def test_a_name_with_an_unquoted_comma_in_a_one_column_list_is_refused_at_its_line(empty_server, tmp_path: Path,
                                                                                     text: str, line: int) -> None:
    answer = upload_text(empty_server, tmp_path, "names.csv", text)
    assert answer.status_code == 422, answer.text
    message = answer.json()["message"]
    assert f"names.csv line {line}: has 2 fields but the header has 1; {UNQUOTED}" in message
    assert empty_server.people() == []


def test_a_one_cell_title_above_the_header_is_still_passed_over(empty_server, tmp_path: Path) -> None:
    """Only a name column's own title is taken for a header: "Attendees" is a title."""
    answer = upload_text(empty_server, tmp_path, "list.csv", "Attendees\n\nName,Company\nAda Lovelace,Analytical\n")
    assert answer.status_code == 200, answer.text
    assert [(p["name"], p["company"]) for p in empty_server.people()] == [("Ada Lovelace", "Analytical")]


@pytest.mark.parametrize("cell,shown", [(dt.datetime(2026, 11, 26), "'2026-11-26T00:00:00'"), (45621, "'45621'"),
                                        (3.5, "'3.5'")])
def test_a_workbook_number_or_date_in_the_name_column_is_refused_at_its_row(empty_server, tmp_path: Path,
                                                                            cell, shown) -> None:
    """A number or date cell under "Name" (an order number, a registration date: a column slipped)
    became the name, and the door greeted "45621" (an import review, session 14)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Company"])
    sheet.append(["Ada Lovelace", "Analytical Engines"])
    sheet.append([cell, "Acme"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    with path.open("rb") as file:
        answer = empty_server.post("/api/imports", files={"file": (path.name, file)}, data={"source": "auto"})
    assert answer.status_code == 422, answer.text
    assert f"list.xlsx sheet 'Sheet' line 3: the name is {shown}, a number or a date" in answer.json()["message"]
    assert empty_server.people() == []


@pytest.mark.parametrize("name", ["R2-D2", "🦄", "50 Cent", "Ada Lovelace 2"])
def test_names_with_digits_or_without_letters_are_still_names(empty_server, tmp_path: Path, name: str) -> None:
    answer = upload_text(empty_server, tmp_path, "list.csv", f"Name\n{name}\n")
    assert answer.status_code == 200, answer.text
    assert [person["name"] for person in empty_server.people()] == [name]


def test_a_platform_export_keeps_what_a_guest_typed_as_their_name(empty_server, tmp_path: Path) -> None:
    """Only a hand-made list is read as a slipped column: on a platform, "2024" is what the guest typed."""
    secret = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq"
    text = f"Order code,Attendee name,Product,Secret,E-mail\nABC12,2024,Regular,{secret},twenty@example.org\n"
    answer = upload_text(empty_server, tmp_path, "pretix.csv", text)
    assert answer.status_code == 200 and answer.json()["source"] == "pretix", answer.text
    assert [person["name"] for person in empty_server.people()] == ["2024"]
