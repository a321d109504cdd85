"""Greeting people by their given name, when a list has only one name column."""

from __future__ import annotations

import unicodedata

import pytest

from kiosk import list_import
from kiosk.demo import demo_batch
from kiosk.importers import ImportBatch, ImportedPerson
from kiosk.names import split_name


@pytest.mark.parametrize(("name", "first", "last"), [
    ("Nguyễn Thị Minh Khai", "Khai", "Nguyễn"),  # family name first, given name last
    ("Trần Văn Hùng", "Hùng", "Trần"),
    ("Đặng Thùy Trâm", "Trâm", "Đặng"),
    ("Lê Thị Thu Hà", "Hà", "Lê"),
    ("Hồ Chí Minh", "Minh", "Hồ"),
    ("Nguyen Van An", "An", "Nguyen"),  # the one surname recognised without its diacritics
    ("NGUYỄN VĂN AN", "AN", "NGUYỄN"),  # lists in capitals
    ("Phạm Bảo", "Bảo", "Phạm"),
    ("Hoàng Nguyễn", "Hoàng", "Nguyễn"),  # already given name first: Nguyễn is never a given name
    ("Mai Andersen", "Mai", "Andersen"),  # Danish
    ("Le Blanc", "Le", "Blanc"),  # French
    ("Ho Wen", "Ho", "Wen"),
    ("Phan Tuan", "Phan", "Tuan"),  # a Vietnamese surname, but no diacritics to tell it by
    ("Sérgio Gonçalves", "Sérgio", "Gonçalves"),
    ("Tomás Ó Briain", "Tomás", "Ó Briain"),
    ("Nguyễn", "Nguyễn", ""),  # one word is all first name
    ("王小明", "王小明", ""),  # CJK written without spaces
    ("", "", ""),
])
def test_split_name(name: str, first: str, last: str) -> None:
    assert split_name(name) == (first, last)


@pytest.mark.parametrize("name", ["Nguyễn Thị Minh Khai", "Đỗ Văn Khai", "Lê Khai"])
def test_decomposed_input_is_recognised_and_kept_as_written(name: str) -> None:
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    first, last = split_name(decomposed)
    assert first == "Khai" and unicodedata.normalize("NFC", last) == name.split()[0]


def _person(name: str, first: str = "", last: str = "") -> ImportedPerson:
    return ImportedPerson(line=2, name=name, first_name=first, last_name=last, email=None, company=None,
                          attending=True, platform_status="", external_id=f"csv:name:{name}", codes=[])


def _stored(server, *people: ImportedPerson) -> dict[str, tuple[str, str]]:
    """Import ``people`` and read back each one's (first_name, last_name) by display name."""
    door = server.state.door
    with server.state.store.write() as db:
        list_import.upsert_batch(db, door.event, door.master, ImportBatch("csv", "list.csv", list(people)))
    with server.state.store.read() as db:
        rows = db.execute("SELECT name, first_name, last_name FROM attendees").fetchall()
    return {row["name"]: (row["first_name"], row["last_name"]) for row in rows}


def test_an_explicit_first_name_column_wins(empty_server):
    stored = _stored(empty_server, _person("Nguyễn Thị Minh Khai", "Minh Khai", "Nguyễn Thị"),
                     _person("Lê Văn An", "Lê", "Văn An"), _person("Trần Văn Hùng"))
    assert stored == {"Nguyễn Thị Minh Khai": ("Minh Khai", "Nguyễn Thị"),  # as Luma's columns say
                      "Lê Văn An": ("Lê", "Văn An"),  # what the person typed, even if it looks swapped
                      "Trần Văn Hùng": ("Hùng", "Trần")}  # no first name given: worked out


def test_a_walk_in_is_greeted_by_the_given_name(empty_server):
    response = empty_server.post("/api/attendees", "volunteer",
                                 json={"name": "Phạm Quốc Bảo", "check_in": True})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["attendee"]["name"] == "Phạm Quốc Bảo"  # displayed and sorted as written
    assert (body["attendee"]["first_name"], body["attendee"]["last_name"]) == ("Bảo", "Phạm")
    assert body["message"] == "Welcome, Bảo! Your badge is printing."


def test_the_demo_evening_greets_its_vietnamese_guests_by_given_name():
    vietnamese = {p.name: p.first_name for p in demo_batch().people if p.name.startswith(("Nguyễn", "Trần"))}
    assert vietnamese == {"Nguyễn Thị Minh Khai": "Khai", "Trần Văn Hùng": "Hùng"}


def test_a_walk_in_typed_decomposed_is_stored_as_one_name(empty_server):
    """A Mac may send "ễ" as "e" plus two combining marks: stored NFC, found and greeted like an imported name."""
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai")
    response = empty_server.post("/api/attendees", "volunteer", json={"name": decomposed, "check_in": True})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["attendee"]["name"] == unicodedata.normalize("NFC", decomposed) != decomposed
    assert body["message"] == "Welcome, Khai! Your badge is printing."
    found = empty_server.get("/api/attendees?q=" + "Nguyễn", "volunteer").json()["attendees"]
    assert [p["name"] for p in found] == ["Nguyễn Thị Minh Khai"]
