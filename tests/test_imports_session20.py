"""Lists as organisers hand them over after a spreadsheet had them (session 20).

Each list is uploaded to a real server on 127.0.0.1, as the organizer page does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_imports import IMPORTS, by_name, count, upload
from kiosk.importers import read_attendee_file


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
