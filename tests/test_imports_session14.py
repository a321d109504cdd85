"""Lists a fuzzing review (session 14) found imported wrongly: names Excel wrote with question marks
imported again with their letters, and names that show nothing.

Each list is uploaded to a real server on 127.0.0.1, as the organiser page does."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_imports import upload_text

MANGLED = ("Name,Company\r\n"
           "Nguy?n Van An,Acme\r\n"
           "Zo? ?ngstr?m,Beta\r\n"
           "??,Gamma\r\n"
           "Plain Name,Delta\r\n")
FIXED = ("Name,Company\r\n"
         "Nguyễn Van An,Acme\r\n"
         "Zoë Ångström,Beta\r\n"
         "陈静,Gamma\r\n"
         "Plain Name,Delta\r\n")


def test_a_list_saved_again_with_its_letters_updates_the_people_with_question_marks(empty_server,
                                                                                     tmp_path: Path) -> None:
    """Excel's "CSV (Comma delimited)" wrote "?" for letters; the organiser saves "CSV UTF-8" and
    imports again. Everyone with such a letter used to be added a second time, not checked in."""
    assert upload_text(empty_server, tmp_path, "list.csv", MANGLED).status_code == 200
    before = {person["name"]: person for person in empty_server.people()}
    for name in ("Nguy?n Van An", "Zo? ?ngstr?m", "??"):
        answer = empty_server.post(f"/api/attendees/{before[name]['id']}/checkin", "volunteer")
        assert answer.status_code == 201, answer.text
    assert upload_text(empty_server, tmp_path, "list-utf8.csv", FIXED).status_code == 200
    after = {person["name"]: person for person in empty_server.people()}
    assert sorted(after) == sorted(["Nguyễn Van An", "Zoë Ångström", "陈静", "Plain Name"])
    for fixed, mangled in (("Nguyễn Van An", "Nguy?n Van An"), ("Zoë Ångström", "Zo? ?ngstr?m"), ("陈静", "??")):
        assert after[fixed]["id"] == before[mangled]["id"] and after[fixed]["checked_in_at"]
    counts = empty_server.get("/api/headcount", None).json()
    assert (counts["checked_in"], counts["expected"]) == (3, 4)
    found = empty_server.get("/api/attendees", "volunteer", params={"q": "zoe"}).json()
    assert [person["name"] for person in found["attendees"]] == ["Zoë Ångström"]


def test_two_names_a_question_mark_could_stand_for_are_not_guessed_between(empty_server, tmp_path: Path) -> None:
    """"Zo?" could be Zoë or Zoé: with both in the new file neither takes the stored Zo?'s place."""
    upload_text(empty_server, tmp_path, "list.csv", "Name\r\nZo? Li\r\nAl Bo\r\nCy Do\r\n")
    upload_text(empty_server, tmp_path, "list2.csv", "Name\r\nZoë Li\r\nZoé Li\r\nAl Bo\r\nCy Do\r\n")
    assert sorted(person["name"] for person in empty_server.people()) == [
        "Al Bo", "Cy Do", "Zo? Li", "Zoé Li", "Zoë Li"]


@pytest.mark.parametrize("blank", ["\u200b", "\u00ad", "\u2060", "\u200e", "\u3164", "\u2800", "\u200b\u200d \u034f"])
def test_a_name_that_shows_nothing_is_refused_at_its_line(empty_server, tmp_path: Path, blank: str) -> None:
    answer = upload_text(empty_server, tmp_path, "list.csv", f"Name,Email\r\nAnn B,b@example.org\r\n{blank},z@example.org\r\n")
    assert answer.status_code == 422, answer.text
    assert "line 3" in answer.json()["message"] and "name is empty" in answer.json()["message"]
    assert empty_server.people() == []


def test_a_luma_guest_whose_name_shows_nothing_is_named_by_their_email(empty_server, tmp_path: Path) -> None:
    luma = ("\ufeffapi_id,name,first_name,last_name,email,approval_status\r\n"
            "gst-1,\u200b,,,zed@example.org,approved\r\n"
            "gst-2,Ann B,Ann,B,ann@example.org,approved\r\n")
    assert upload_text(empty_server, tmp_path, "luma.csv", luma).status_code == 200
    names = sorted(person["name"] for person in empty_server.people())
    assert names == ["Ann B", "zed@example.org"]


@pytest.mark.parametrize("title", ["Attendees, November 2026", "London Meetup, 27 Nov"])
def test_a_title_line_with_a_comma_above_the_header_is_skipped(empty_server, tmp_path: Path, title: str) -> None:
    answer = upload_text(empty_server, tmp_path, "list.csv", f"{title}\r\nName,Email\r\nAnn A,a@example.org\r\n")
    assert answer.status_code == 200, answer.text
    assert [(p["name"], p["email"]) for p in empty_server.people()] == [("Ann A", "a@example.org")]


def test_a_two_column_list_with_its_header_on_the_first_line_is_read_from_there(empty_server,
                                                                                tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "list.csv", "Name,Company\r\nName,Acme\r\nBo B,Beta\r\n")
    assert answer.status_code == 200, answer.text
    assert sorted(p["name"] for p in empty_server.people()) == ["Bo B", "Name"]
