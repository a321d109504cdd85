"""One person registered on two platforms' lists of the same evening (session 22).

A meetup cross-posted on Eventbrite and Luma has people who registered on both, under the same
email. Each list made them a record of their own: the door expected one too many, search showed
them twice, both tickets checked in and two badges printed. Now the second list's row becomes a
second listing of the stored person: either ticket checks them in, the other then answers
already_checked_in, and they are coming when any of their listings says so.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import run_kiosk, write_config
from test_imports import upload_text
from test_audit_and_forget import LATER, PAST, evening
from test_imports_session7 import listed

EB_HEADER = "Order #,Attendee #,First Name,Last Name,Email,Attendee Status\r\n"
EB_ADA_BARCODE = "589750179740658283001"


def eventbrite(ada_status: str = "Attending", ada_email: str = "Ada@Example.org") -> str:
    """Eventbrite's attendee report: Ada (her email as she typed it there) and Bob."""
    return (EB_HEADER + f"589750179,740658283,Ada,Lovelace,{ada_email},{ada_status}\r\n"
            "589750180,740658284,Bob,Byte,bob@example.org,Attending\r\n")


LUMA_HEADER = "api_id,name,first_name,last_name,email,approval_status,qr_code_url\r\n"
LUMA_ADA_KEY = "g-2U61lr65dtD1YXI"


def luma(ada_status: str = "approved", ada_name: str = "Ada L.") -> str:
    """Luma's guest export: Ada again (another spelling of her name), and Cy."""
    return (LUMA_HEADER + f"gst-Qlwi4e4mqdtWDvN,{ada_name},,,ada@example.org,{ada_status},"
            f"https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk={LUMA_ADA_KEY}\r\n"
            "gst-8fHw2KdPq0aZx1B,Cy Coder,Cy,Coder,cy@example.org,approved,"
            "https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk=g-XyZ789AbCdEf\r\n")


def import_text(config: Path, folder: Path, name: str, text: str) -> str:
    """`kiosk import` of a list written on the spot; its output."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return run_kiosk(config, "import", str(path)).stdout


def statuses(config: Path) -> list[tuple[str, str]]:
    return sorted((person["name"], person["status"]) for person in listed(config))


def test_someone_on_both_lists_is_one_person_whichever_ticket_they_show(empty_server, tmp_path: Path) -> None:
    for name, text in (("eventbrite.csv", eventbrite()), ("luma.csv", luma())):
        assert upload_text(empty_server, tmp_path, name, text).status_code == 200
    assert empty_server.get("/api/headcount").json()["expected"] == 3  # Ada, Bob, Cy: was 4
    found = empty_server.get("/api/attendees?q=ada", "volunteer").json()["attendees"]
    assert [person["name"] for person in found] == ["Ada Lovelace"]  # the list imported first names her
    assert empty_server.scan(LUMA_ADA_KEY).json()["result"] == "checked_in"
    assert empty_server.scan(EB_ADA_BARCODE).json()["result"] == "already_checked_in"  # was a second check-in
    assert empty_server.scan(found[0]["ticket_code"]).json()["result"] == "already_checked_in"
    for name, text in (("luma.csv", luma()), ("eventbrite.csv", eventbrite())):  # both again: nothing changes
        answer = upload_text(empty_server, tmp_path, name, text)
        assert answer.json()["added"] == 0 and answer.json()["kept_check_ins"] == 1, answer.text
    headcount = empty_server.get("/api/headcount").json()
    assert (headcount["expected"], headcount["checked_in"]) == (3, 1)
    assert empty_server.scan(EB_ADA_BARCODE).json()["result"] == "already_checked_in"


def test_they_are_coming_while_any_of_their_listings_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path / "door")
    import_text(config, tmp_path, "eventbrite.csv", eventbrite(ada_status="Cancelled"))
    out = import_text(config, tmp_path, "luma.csv", luma())
    assert "1 already listed by another platform" in out
    assert statuses(config) == [("Ada Lovelace", "attending"), ("Bob Byte", "attending"), ("Cy Coder", "attending")]
    import_text(config, tmp_path, "luma.csv", luma(ada_status="declined"))  # she cancels on Luma too
    assert ("Ada Lovelace", "not_attending") in statuses(config)
    import_text(config, tmp_path, "eventbrite.csv", eventbrite())  # and registers again on Eventbrite
    people = {person["name"]: person for person in listed(config)}
    assert len(people) == 3 and people["Ada Lovelace"]["status"] == "attending"
    assert people["Ada Lovelace"]["platform_status"] == "Eventbrite: Attending; Luma: declined"


def test_the_door_refuses_only_when_every_listing_says_no(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "luma.csv", luma(ada_status="declined"))
    upload_text(empty_server, tmp_path, "eventbrite.csv", eventbrite(ada_status="Cancelled"))
    assert empty_server.scan(EB_ADA_BARCODE).json()["result"] == "not_attending"
    assert empty_server.scan(LUMA_ADA_KEY).json()["result"] == "not_attending"
    upload_text(empty_server, tmp_path, "eventbrite.csv", eventbrite())
    assert empty_server.scan(LUMA_ADA_KEY).json()["result"] == "checked_in"
    assert empty_server.scan(EB_ADA_BARCODE).json()["result"] == "already_checked_in"


def test_an_email_on_several_rows_of_one_list_stays_several_people(tmp_path: Path) -> None:
    """An Eventbrite order's buyer email on each of its tickets names two people: neither is the
    Luma guest of that email, whichever list comes first."""
    order = (EB_HEADER + "589750179,740658283,Ada,Lovelace,ada@example.org,Attending\r\n"
             "589750179,740658284,Grace,Hopper,ada@example.org,Attending\r\n")
    for first, second in ((order, luma()), (luma(), order)):
        folder = tmp_path / str(len(first))
        config = write_config(folder)
        import_text(config, folder, "first.csv", first)
        import_text(config, folder, "second.csv", second)
        assert len(listed(config)) == 4  # Ada (Eventbrite), Grace, Ada L. (Luma), Cy


def test_a_walk_in_a_list_named_is_still_one_person_when_another_list_names_them(empty_server, tmp_path) -> None:
    answer = empty_server.post("/api/attendees", "volunteer",
                               json={"name": "Ada Lovelace", "email": "ada@example.org", "check_in": True})
    assert answer.status_code == 201, answer.text
    upload_text(empty_server, tmp_path, "eventbrite.csv", eventbrite())
    upload_text(empty_server, tmp_path, "luma.csv", luma(ada_name="Ada Lovelace"))
    assert sorted(person["name"] for person in empty_server.people()) == ["Ada Lovelace", "Bob Byte", "Cy Coder"]
    assert empty_server.scan(EB_ADA_BARCODE).json()["result"] == "already_checked_in"
    assert empty_server.scan(LUMA_ADA_KEY).json()["result"] == "already_checked_in"


def test_a_database_from_before_listings_keeps_its_people_and_merges_the_next_list(tmp_path: Path) -> None:
    """Each person of an older database becomes one listing at the next start: a re-import still
    finds them (nobody added twice) and another platform's list of them adds its listing."""
    config = write_config(tmp_path / "door")
    import_text(config, tmp_path, "eventbrite.csv", eventbrite())
    database = sqlite3.connect(tmp_path / "door" / "data" / "kiosk.db")
    with database:
        database.execute("DROP TRIGGER attendees_own_listing")
        database.execute("DROP TABLE listings")  # as a version before this one left it
    database.close()
    assert "0 added" in import_text(config, tmp_path, "eventbrite.csv", eventbrite(ada_status="Cancelled"))
    import_text(config, tmp_path, "luma.csv", luma())
    assert statuses(config) == [("Ada Lovelace", "attending"), ("Bob Byte", "attending"), ("Cy Coder", "attending")]


def test_removing_the_missing_of_one_list_says_who_another_list_still_brings(tmp_path: Path) -> None:
    """Ada left Luma's list but not Eventbrite's: the import said she "was marked not attending",
    and she is still expected (her Eventbrite ticket checks her in). It now says so."""
    config = write_config(tmp_path / "door")
    import_text(config, tmp_path, "eventbrite.csv", eventbrite())
    import_text(config, tmp_path, "luma.csv", luma())
    without_ada = LUMA_HEADER + luma().split("\r\n", 2)[2]
    path = tmp_path / "luma-later.csv"
    path.write_text(without_ada, encoding="utf-8")
    out = run_kiosk(config, "import", "--remove-missing", str(path)).stdout
    assert "marked not attending: Ada Lovelace (1 of them still expected" in out, out
    assert ("Ada Lovelace", "attending") in statuses(config)


def test_forgetting_an_evening_keeps_no_listing_that_names_anyone(tmp_path: Path) -> None:
    """A listing's key can hold a name (an Eventbrite summary report's "order:...:ada lovelace") and
    its status is the platform's: forgetting the evening leaves one blank listing per person."""
    config = write_config(tmp_path / "door")
    evening(config, PAST)
    summary = ("Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,Ticket Type,"
               "Ticket Price,Buyer Name,Buyer Email\r\n"
               "589750179,2025-01-01,Attending,Ada Lovelace,ada@example.org,M,2,GA,0,Ada Lovelace,ada@example.org\r\n"
               "589750179,2025-01-01,Attending,Grace Hopper,grace@example.org,M,2,GA,0,Ada Lovelace,ada@example.org\r\n")
    import_text(config, tmp_path, "luma.csv", luma())
    import_text(config, tmp_path, "summary.csv", summary)
    assert len(listed(config)) == 3  # Ada (both lists), Cy, Grace
    evening(config, LATER)
    run_kiosk(config, "forget", "--before", "2026-12-01", "--yes")
    with sqlite3.connect(tmp_path / "door" / "data" / "kiosk.db") as database:
        listings = database.execute("SELECT attendee_id, external_id, platform_status FROM listings").fetchall()
    assert sorted(listings) == [(1, "forgotten:1", ""), (2, "forgotten:2", ""), (3, "forgotten:3", "")]


def test_the_kiosks_own_report_imported_again_speaks_for_the_whole_person(tmp_path: Path) -> None:
    """The organiser turns Ada away in `kiosk attendees`' list and imports it again: that went to
    her Eventbrite listing alone, and her Luma one still let her in. Unedited, it changes nobody's
    listings."""
    config = write_config(tmp_path / "door")
    import_text(config, tmp_path, "eventbrite.csv", eventbrite())
    import_text(config, tmp_path, "luma.csv", luma())
    report = run_kiosk(config, "attendees").stdout
    import_text(config, tmp_path, "report.csv", report)
    people = {person["name"]: person for person in listed(config)}
    assert people["Ada Lovelace"]["platform_status"] == "Eventbrite: Attending; Luma: approved"
    ada = next(line for line in report.splitlines() if ",Ada Lovelace," in line)
    import_text(config, tmp_path, "report.csv", report.replace(ada, ada.replace(",attending,", ",not_attending,")))
    assert statuses(config) == [("Ada Lovelace", "not_attending"), ("Bob Byte", "attending"), ("Cy Coder", "attending")]
