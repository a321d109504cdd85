"""Review of session 7: legitimate lists the new import rules misread, and an Eventbrite summary
report whose keys changed form under people already imported.

Each test failed before the fix its commit names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.importers import read_attendee_file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def upload(server, path: Path, remove_missing: bool = False):
    """The organiser's upload of one file, source detected."""
    with path.open("rb") as fh:
        return server.post("/api/imports", files={"file": (path.name, fh)},
                           data={"source": "auto", "remove_missing": "1" if remove_missing else ""})


def by_name(server) -> dict[str, dict]:
    return {a["name"]: a for a in server.get("/api/attendees?limit=500", "volunteer").json()["attendees"]}


# --- A column about something else is not the attendee's status ------------------------------

@pytest.mark.parametrize(("header", "row"), [
    # A club's or CRM's list: the membership has lapsed, the person is still coming tonight.
    ("Name,Email,Membership status", "Ada Lovelace,ada@example.org,Expired"),
    # A mailing tool's column: the address is not confirmed yet.
    ("Name,Email,Email status", "Ada Lovelace,ada@example.org,Pending"),
    ("Name,Email,Student status", "Ada Lovelace,ada@example.org,Waitlisted for the MSc"),
    # Italian "Stato" alone is the country of an address, as Spanish "Estado" is a state.
    ("Nome,Cognome,Email,Città,Stato", "Ada,Lovelace,ada@example.org,Kuwait City,Kuwait"),
], ids=["membership-status", "email-status", "student-status", "italian-country"])
def test_a_status_of_something_else_does_not_turn_people_away(header: str, row: str, tmp_path: Path) -> None:
    """These columns were taken for the attendee's status by the localised-status rule ("\\w*status",
    "stato"): "Expired", "Pending", "Kuwait" (holding "wait") made the person not attending."""
    batch = read_attendee_file(write(tmp_path, "list.csv", f"{header}\n{row}\n"))
    assert batch.source == "csv" and [p.attending for p in batch.people] == [True]


@pytest.mark.parametrize(("header", "status", "attending"), [
    ("Name,Email,Teilnehmerstatus", "Storniert", False),
    ("Name,Email,Anmeldestatus", "Bestätigt", True),
    ("Nom,Email,Statut", "Liste d'attente", False),
    ("Nome,Email,Stato del partecipante", "Rimborsato", False),
    ("Nombre,Email,Estado de la inscripción", "Cancelada", False),
])
def test_a_localised_attendee_status_is_still_read(header: str, status: str, attending: bool, tmp_path: Path) -> None:
    batch = read_attendee_file(write(tmp_path, "list.csv", f"{header}\nAda Lovelace,ada@example.org,{status}\n"))
    assert [p.attending for p in batch.people] == [attending]


# --- A club's list with member numbers and guests ---------------------------------------------

def test_a_club_list_with_member_numbers_and_guests_is_imported_not_refused(tmp_path: Path) -> None:
    """Refused as "a Meetup list without its RSVP column": "Member ID" with numbers plus a "Guests"
    column was taken for Meetup, though meetup.py says Member ID makes Meetup only with an RSVP."""
    path = write(tmp_path, "club.csv", "Name,Member ID,Email,Guests\nAda Lovelace,1042,ada@example.org,1\n"
                                       "Grace Hopper,1043,grace@example.org,0\n")
    batch = read_attendee_file(path)
    assert batch.source == "csv"
    assert [(p.name, p.attending, p.guests) for p in batch.people] == [
        ("Ada Lovelace", True, 1), ("Grace Hopper", True, 0)]


def test_meetups_own_download_without_its_rsvp_column_is_still_refused(tmp_path: Path) -> None:
    from kiosk.importers import ImportFileError

    path = write(tmp_path, "trimmed.csv", "Name,User ID,Guests,RSVPed on\nAda Lovelace,user 1,0,2024-09-01\n")
    with pytest.raises(ImportFileError):
        read_attendee_file(path)


# --- Eventbrite summary report: a ticket left alone in its order ------------------------------

SUMMARY_HEADER = ("Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,"
                  "Ticket Type,Ticket Price,Buyer Name,Buyer Email\r\n")


def summary_row(order: str, name: str, email: str) -> str:
    return f"{order},2026-11-01,Attending,{name},{email},Meetup,1,GA,0,Ada Lovelace,ada@example.org\r\n"


def test_a_ticket_left_alone_in_its_order_keeps_its_person_and_its_code(empty_server, tmp_path: Path) -> None:
    """Ada's key went from order+name to the order alone when the other ticket of her order left
    the report: she was added a second time, and with --remove-missing her first record, the one
    whose code she holds, was marked not attending and refused at the door."""
    v1 = (SUMMARY_HEADER + summary_row("555", "Ada Lovelace", "ada@example.org")
          + summary_row("555", "Bob Babbage", "bob@example.org") + summary_row("556", "Grace Hopper", "g@example.org"))
    assert upload(empty_server, write(tmp_path, "v1.csv", v1)).json()["added"] == 3
    ada = by_name(empty_server)["Ada Lovelace"]
    v2 = SUMMARY_HEADER + summary_row("555", "Ada Lovelace", "ada@example.org") + summary_row(
        "556", "Grace Hopper", "g@example.org")
    second = upload(empty_server, write(tmp_path, "v2.csv", v2), remove_missing=True).json()
    assert (second["added"], second["missing"], second["missing_names"]) == (0, 1, ["Bob Babbage"])
    people = by_name(empty_server)
    assert people["Ada Lovelace"]["id"] == ada["id"] and people["Ada Lovelace"]["status"] == "attending"
    assert empty_server.scan(ada["ticket_code"]).status_code == 201
    assert empty_server.get("/api/headcount", None).json()["expected"] == 2


def test_a_summary_report_imported_by_the_previous_version_is_updated_not_doubled(empty_server,
                                                                                 tmp_path: Path) -> None:
    """Every person of a one-ticket order was keyed "eventbrite:order:X:<name>" until today; the
    first re-import after the upgrade added all of them again."""
    text = SUMMARY_HEADER + summary_row("555", "Ada Lovelace", "ada@example.org") + summary_row(
        "556", "Grace Hopper", "g@example.org")
    upload(empty_server, write(tmp_path, "v1.csv", text))
    with empty_server.state.store.write() as db:  # the keys as the previous version wrote them
        db.execute("UPDATE attendees SET external_id = external_id || ':' || lower(name)")
    again = upload(empty_server, write(tmp_path, "v2.csv", text)).json()
    assert (again["added"], again["missing"]) == (0, 0)
    assert empty_server.get("/api/headcount", None).json()["expected"] == 2


# --- kiosk export: a long name in a script of three-byte letters -------------------------------

def test_an_export_named_in_long_japanese_is_written(tmp_path: Path) -> None:
    """The temporary file took the name's last 100 characters: 100 CJK characters are 300 bytes,
    past the file system's 255 for a name, so a report name of 243-255 bytes that the file system
    takes (81-85 such letters) failed with "File name too long"."""
    from conftest import run_kiosk, write_config

    config = write_config(tmp_path / "door")
    target = tmp_path / ("報" * 83 + ".csv")  # 253 bytes: a name the file system takes
    result = run_kiosk(config, "export", str(target), check=False)
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8-sig").startswith(("name", "Name", "id"))
