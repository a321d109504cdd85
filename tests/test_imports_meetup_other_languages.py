"""Meetup's attendee download with its column titles in another language.

Meetup writes the download in the organiser's language. Read as a plain list, it lost its RSVP and
the people who said No were expected at the door. No copy of Meetup's translated titles was found,
so the titles below are stand-ins, not Meetup's: the point is that the download is known without
them, by its member profile links, and its RSVP column by its answers. Lists are uploaded to a real
server on 127.0.0.1, as the organizer page does.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.importers import read_attendee_file
from test_imports import upload_text

# Stand-in titles for Meetup's Name, User ID, Title, Event Host, RSVPed on, Guests, RSVP, Joined
# Group on and URL of Member Profile. The values are as Meetup's English download writes them.
HEADER = "Nom\tIdentifiant\tFonction\tHôte\tDate\tInvités\tRéponse\tArrivée\tProfil\n"


def _row(name: str, uid: int, host: str, guests: int, rsvp: str) -> str:
    return (f"{name}\tuser {uid}\t\t{host}\t2025-05-02 18:04\t{guests}\t{rsvp}\t01/15/2023\t"
            f"https://www.meetup.com/pydata-door/members/{uid}/ \n")


DOWNLOAD = HEADER + (_row("Ada Lovelace", 12537919, "Yes", 0, "Yes")
                     + _row("Grace Hopper", 23456789, "", 1, "Yes")
                     + _row("Νίκος Παπαδόπουλος", 56789012, "", 0, "No")
                     + _row("Zoë Ångström", 67890123, "", 0, "Waitlist"))


def test_a_download_titled_in_another_language_keeps_its_rsvp(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "attendees.xls", DOWNLOAD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["source"] == "meetup"
    assert sorted(p["name"] for p in empty_server.people()) == ["Ada Lovelace", "Grace Hopper"]
    assert sorted(p["name"] for p in empty_server.people(attending=False)) == ["Zoë Ångström", "Νίκος Παπαδόπουλος"]


def test_its_people_are_keyed_on_their_member_number_from_the_profile_link(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xls"
    path.write_text(DOWNLOAD, encoding="utf-16")
    people = read_attendee_file(path).people
    assert [p.external_id for p in people] == ["meetup:12537919", "meetup:23456789", "meetup:56789012",
                                               "meetup:67890123"]


def test_without_one_column_of_rsvp_answers_the_download_is_refused(empty_server, tmp_path: Path) -> None:
    """Two columns answer Yes or No on every row and nobody is waitlisted: which is the RSVP cannot
    be told, and guessing could let the No in. Nothing is imported."""
    both = HEADER.replace("Fonction", "Liste") + "".join(
        line.replace("\t\t", "\tYes\t", 1) for line in DOWNLOAD.splitlines(keepends=True)[1:3])
    answer = upload_text(empty_server, tmp_path, "attendees.xls", both)
    assert answer.status_code == 422, answer.text
    assert "line 1" in answer.text and "language to English" in answer.text
    assert empty_server.people() == []


def test_the_hosts_column_saying_yes_or_no_on_every_row_is_not_taken_for_the_rsvp(tmp_path: Path) -> None:
    """Meetup's host column says Yes beside the hosts and No beside everyone else (as the English
    fixtures write it): with nobody waitlisted, the RSVP is the column with the most Yes."""
    path = tmp_path / "attendees.xls"
    path.write_text(HEADER + _row("Ada Lovelace", 1, "Yes", 0, "Yes") + _row("Grace Hopper", 2, "No", 1, "Yes")
                    + _row("Alan Turing", 3, "No", 0, "Yes") + _row("Νίκος Παπαδόπουλος", 4, "No", 0, "No"),
                    encoding="utf-8")
    people = read_attendee_file(path).people
    assert [(p.name, p.attending) for p in people] == [
        ("Ada Lovelace", True), ("Grace Hopper", True), ("Alan Turing", True), ("Νίκος Παπαδόπουλος", False)]


def test_translated_answers_leave_only_the_hosts_column_which_is_no_rsvp(empty_server, tmp_path: Path) -> None:
    """Were the answers translated (Oui/Non), the hosts' Yes/No column would be the only one left:
    taken for the RSVP, it turned away everyone but the hosts. It is refused instead."""
    text = HEADER + _row("Ada Lovelace", 1, "Yes", 0, "Oui") + _row("Grace Hopper", 2, "No", 1, "Oui") \
        + _row("Alan Turing", 3, "No", 0, "Oui")
    answer = upload_text(empty_server, tmp_path, "attendees.xls", text)
    assert answer.status_code == 422 and "language to English" in answer.text, answer.text
    assert empty_server.people() == []


def test_a_list_of_profile_links_an_organiser_made_stays_theirs(tmp_path: Path) -> None:
    """A comma-separated list is not Meetup's download: its Yes and No are left to the plain list's rules."""
    path = tmp_path / "speakers.csv"
    path.write_text("Name,Profile,Confirmed\nAda Lovelace,https://www.meetup.com/members/12537919/,Yes\n",
                    encoding="utf-8")
    assert read_attendee_file(path).source == "csv"
