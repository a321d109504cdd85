"""Names in Chinese, Japanese and Korean script from lists with separate first and last name columns.

Such names are written family name first and without a space (王小明). Read from an Eventbrite
report's "First Name" 小明 and "Last Name" 王 they were joined as "小明 王": backwards on the
badge, on the console's cards and in the report. The greeting still uses the given name.
"""

from __future__ import annotations

from pathlib import Path

from test_imports import upload_text

EVENTBRITE_HEAD = ("\ufeffAttendee #,Barcode #,Attendee Status,Last Name,First Name,Company,Email,Ticket Type,Order #,"
                   "Order Date,Quantity\r\n")
ROWS = (
    ("王", "小明", "wang@example.org"),
    ("山田", "花子", "hanako@example.org"),
    ("김", "민수", "minsu@example.org"),
    ("Lovelace", "Ada", "ada@example.org"),
    ("王", "Wei", "wei@example.org"),  # a given name in Latin letters: written as Western names are
)


def _report() -> str:
    lines = [f"{1000 + i},{1000 + i}{9000 + i}001,Attending,{last},{first},Acme,{email},General,{9000 + i},"
             "2026-11-01 10:00:00,1\r\n" for i, (last, first, email) in enumerate(ROWS)]
    return EVENTBRITE_HEAD + "".join(lines)


def test_east_asian_names_are_written_family_name_first_without_a_space(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "eventbrite.csv", _report())
    assert answer.status_code == 200, answer.text
    people = {p["email"]: p for p in empty_server.people()}
    assert [people[email]["name"] for _, _, email in ROWS] == ["王小明", "山田花子", "김민수", "Ada Lovelace", "Wei 王"]
    assert [people[email]["first_name"] for _, _, email in ROWS] == ["小明", "花子", "민수", "Ada", "Wei"]
    scanned = empty_server.scan(people["wang@example.org"]["ticket_code"])
    assert scanned.status_code == 201 and scanned.json()["attendee"]["name"] == "王小明", scanned.text
