"""An undo takes back the party typed at the door along with the check-in.

A volunteer checked Ada in with 50 guests (a slip for 5, or for 0) and undid it: the 50 stayed, the
display's expected count was 50 too high, and the kiosk then refused Ada as a party of 51. Each
test uploads a Meetup download to a real server on 127.0.0.1 and acts as the console does.
"""

from __future__ import annotations

from pathlib import Path

from test_guests_session11 import headcount, meetup
from test_imports import upload_text


def check_in(server, person: dict, **body):
    return server.post(f"/api/attendees/{person['id']}/checkin", role="volunteer", json=body)


def undo(server, person: dict):
    answer = server.delete(f"/api/checkins/{person['id']}", role="volunteer")
    assert answer.status_code == 200, answer.text
    return answer.json()


def guests_of(server, person: dict) -> int:
    return next(p["guests"] for p in server.people() if p["id"] == person["id"])


def test_an_undone_check_in_with_a_mistyped_party_is_back_to_the_lists(make_server, tmp_path: Path) -> None:
    server = make_server(seed=False, capacity=10)
    upload_text(server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 0), ("Bob Byte", "Yes", 1)))
    ada = next(p for p in server.people() if p["name"] == "Ada Lovelace")
    before = headcount(server)
    assert check_in(server, ada, guests=50, override=True).status_code == 201

    body = undo(server, ada)
    assert body["attendee"]["guests"] == 0 and body["headcount"]["expected"] == before["expected"]
    assert guests_of(server, ada) == 0 and headcount(server) == before
    again = server.scan(ada["ticket_code"])  # the kiosk lets her in alone, as the list says
    assert again.status_code == 201 and again.json()["headcount"]["checked_in"] == 1, again.text
    audit = server.get("/api/audit").json()["audit"]
    assert [e["details"].get("guests_restored") for e in audit if e["action"] == "undo"] == [{"from": 50, "to": 0}]


def test_corrections_after_a_scan_are_undone_to_the_party_before_the_check_in(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
    ada = empty_server.people()[0]
    expected = headcount(empty_server)["expected"]
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    for guests in (3, 1):  # two corrections at the door
        assert check_in(empty_server, ada, guests=guests, correction=True).status_code == 200
    assert undo(empty_server, ada)["attendee"]["guests"] == 2
    assert headcount(empty_server)["expected"] == expected and headcount(empty_server)["checked_in"] == 0


def test_an_undo_without_a_party_change_leaves_the_party_alone(empty_server, tmp_path: Path) -> None:
    """A kiosk scan, or a party changed back to the list's number, gives the undo nothing to restore;
    nor does a change made at an earlier check-in, undone already."""
    upload_text(empty_server, tmp_path, "m.xls", meetup(("Ada Lovelace", "Yes", 2)))
    ada = empty_server.people()[0]
    assert check_in(empty_server, ada, guests=4).status_code == 201
    assert undo(empty_server, ada)["attendee"]["guests"] == 2
    assert empty_server.scan(ada["ticket_code"]).status_code == 201  # the second check-in: the list's party
    assert undo(empty_server, ada)["attendee"]["guests"] == 2
    audit = empty_server.get("/api/audit").json()["audit"]
    assert sorted("guests_restored" in e["details"] for e in audit if e["action"] == "undo") == [False, True]
