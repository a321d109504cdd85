"""pretix lists: add-on positions, the API's one-letter order statuses, and lists trimmed of columns.

An add-on (a T-shirt, a workshop seat) is a position of its own in pretix's "Order data" export; its
"Add-on to position ID" names the ticket it was bought with. Counted as a person it raised the
expected headcount; now its secret is a second door code of that ticket's holder. Lists are
uploaded to a real server on 127.0.0.1, as the organizer page does, or imported with `kiosk import`.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_kiosk, write_config
from kiosk.importers import read_attendee_file
from test_imports import upload_text

# The "Order data" export's "Order positions" sheet (pretix/base/exporters/orderlist.py,
# iterate_positions), trimmed to the columns the door reads, with current pretix's add-on column.
POSITIONS_HEAD = ("Event slug,Order code,Position ID,Status,Email,Product,Price,Attendee name,Attendee email,"
                  "Ticket secret,Add-on to position ID\n")
ADA_TICKET, ADA_SHIRT, ADA_SECOND = "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq", "t5shrt8zq2ypw7vxbn4c6rfsgu9ejakq", (
    "s3cnd8zq2ypw7vxbn4c6rfsgu9ejakqa")
GRACE_TICKET, GRACE_WORKSHOP = "u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e", "w0rkshp9mh4dxqtb6ns3gcv8yjfea5ex"
POSITIONS = POSITIONS_HEAD + (
    f"conf,ABC12,1,paid,buyer@example.org,Ticket,25.00,Ada Lovelace,ada@example.org,{ADA_TICKET},\n"
    f"conf,ABC12,2,paid,buyer@example.org,T-shirt,15.00,,,{ADA_SHIRT},1\n"
    # A second ticket of the same order for the same name: a person, not an add-on.
    f"conf,ABC12,3,paid,buyer@example.org,Ticket,25.00,Ada Lovelace,ada@example.org,{ADA_SECOND},\n"
    f"conf,QWE7R,1,paid,grace@example.com,Ticket,25.00,Grace Hopper,,{GRACE_TICKET},\n"
    f"conf,QWE7R,2,paid,grace@example.com,Workshop,40.00,,,{GRACE_WORKSHOP},1\n")


def test_add_on_positions_are_no_one_and_their_tickets_check_in_their_holder(empty_server, tmp_path: Path) -> None:
    answer = upload_text(empty_server, tmp_path, "orders_positions.csv", POSITIONS)
    assert answer.status_code == 200, answer.text
    assert answer.json()["added"] == 3  # the two add-ons raised it to 5
    people = empty_server.people()
    assert sorted(person["name"] for person in people) == ["Ada Lovelace", "Ada Lovelace", "Grace Hopper"]
    scanned = empty_server.scan(ADA_SHIRT)  # the T-shirt's ticket, when pretix prints one
    assert scanned.status_code == 201 and scanned.json()["result"] == "checked_in", scanned.text
    assert empty_server.scan(ADA_TICKET).json()["result"] == "already_checked_in"
    assert empty_server.scan(ADA_SECOND).json()["result"] == "checked_in"  # the second Ada is her own person
    assert empty_server.scan(GRACE_WORKSHOP).json()["result"] == "checked_in"


def test_an_add_on_for_another_named_person_is_that_person(tmp_path: Path) -> None:
    """A companion ticket (or a workshop day for a colleague) sold as an add-on names its own
    attendee: folded into the buyer's ticket, that person was not on the list, got no badge, and
    their scan checked the buyer in. An add-on with the parent's own name is still no one."""
    companion = "c0mpn8zq2ypw7vxbn4c6rfsgu9ejakqa"
    path = tmp_path / "positions.csv"
    path.write_text(POSITIONS + (
        f"conf,ABC12,4,paid,buyer@example.org,Companion ticket,20.00,Charles Babbage,charles@example.org,{companion},1\n"
        f"conf,QWE7R,3,paid,grace@example.com,Dinner,30.00,grace hopper,,d1nnr9mh4dxqtb6ns3gcv8yjfea5exa,1\n"),
        encoding="utf-8")
    people = read_attendee_file(path).people
    assert sorted(person.name for person in people) == ["Ada Lovelace", "Ada Lovelace", "Charles Babbage", "Grace Hopper"]
    charles = next(person for person in people if person.name == "Charles Babbage")
    ada = next(person for person in people if person.name == "Ada Lovelace" and ADA_SHIRT in " ".join(person.codes))
    assert any(companion in code for code in charles.codes) and not any(companion in code for code in ada.codes)


def test_add_on_rows_leave_the_headcount_on_re_import_and_keep_the_check_in(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "v1.csv", POSITIONS)
    assert empty_server.scan(GRACE_TICKET).status_code == 201
    again = upload_text(empty_server, tmp_path, "v2.csv", POSITIONS)
    assert again.json()["added"] == 0 and len(empty_server.people()) == 3
    assert empty_server.scan(GRACE_WORKSHOP).json()["result"] == "already_checked_in"


def test_an_add_on_whose_parent_is_not_a_number_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    path.write_text(POSITIONS.replace(f"{ADA_SHIRT},1", f"{ADA_SHIRT},one"), encoding="utf-8")
    try:
        read_attendee_file(path)
    except ValueError as exc:
        assert "line 3" in str(exc) and "'one' is not a number" in str(exc)
    else:
        raise AssertionError("an unreadable add-on column was accepted")


def test_the_check_in_list_has_no_add_on_column_so_its_rows_stay_people(tmp_path: Path) -> None:
    """pretix's check-in list copies the parent's name and email onto an add-on row and has no column
    marking it (checkinlists/exporters.py): nothing tells it from a second ticket of that name."""
    path = tmp_path / "checkin.csv"
    path.write_text("Order code,Attendee name,Product,Price,Checked in,Secret,E-mail\n"
                    f"ABC12,Ada Lovelace,Ticket,25.00,,{ADA_TICKET},ada@example.org\n"
                    f"ABC12,Ada Lovelace,T-shirt,15.00,,{ADA_SHIRT},ada@example.org\n", encoding="utf-8")
    assert len(read_attendee_file(path).people) == 2


# A list made from pretix's REST API: its order status is one letter (doc/api/resources/orders.rst).
API_LIST = ("Order code,Attendee name,Status,E-mail\n"
            "ABC12,Ada Lovelace,p,ada@example.org\n"
            "QWE7R,Grace Hopper,n,grace@example.com\n"
            "XYZ9A,Alan Turing,e,alan@example.org\n"
            "LMN4P,Edsger Dijkstra,c,edsger@example.org\n")


def test_the_apis_one_letter_statuses_refuse_canceled_expired_and_pending_orders(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_kiosk(config, "import", str(_written(tmp_path, "api.csv", API_LIST)))
    assert "pretix" in result.stdout
    listed = {p["name"]: p["status"] for p in json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)}
    assert listed == {"Ada Lovelace": "attending", "Grace Hopper": "not_attending",  # pending, as "Paid: No"
                      "Alan Turing": "not_attending", "Edsger Dijkstra": "not_attending"}


def test_a_list_with_an_order_code_and_lettered_statuses_is_read_as_pretixs(tmp_path: Path) -> None:
    """Without an attendee-name title it was a plain list, where "c" and "e" let people in."""
    batch = read_attendee_file(_written(tmp_path, "api.csv", API_LIST.replace("Attendee name", "Name")))
    assert batch.source == "pretix"
    assert {p.name: (p.attending, p.platform_status) for p in batch.people} == {
        "Ada Lovelace": (True, "paid"), "Grace Hopper": (False, "pending"),
        "Alan Turing": (False, "expired"), "Edsger Dijkstra": (False, "canceled")}


def test_one_letter_statuses_elsewhere_refuse_no_one_they_did_not_before(tmp_path: Path) -> None:
    """In an organiser's own list "C" may be confirmed and "P" pending: only a pretix list reads the
    API's letters. A status "N" (a yes/no column's no) refused before and still does."""
    plain = read_attendee_file(_written(tmp_path, "mine.csv", "Name,Email,Status\nAda,a@example.org,C\n"
                                        "Bea,b@example.org,P\nCid,c@example.org,E\nDee,d@example.org,N\n"))
    assert plain.source == "csv"
    assert {p.name: p.attending for p in plain.people} == {"Ada": True, "Bea": True, "Cid": True, "Dee": False}
    tito = read_attendee_file(_written(tmp_path, "tito.csv", "Ticket Reference,Ticket Full Name,Ticket State\n"
                                       "GIAO-1,Ada Lovelace,c\nGIAO-2,Grace Hopper,e\n"))
    assert [p.attending for p in tito.people] == [True, True]


def _written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# pretix's check-in list with "Pending orders" included (so a Paid column), and the same list after the
# organiser deleted its Order code column (and a few others) before importing it.
FULL_LIST = ("Order code,Attendee name,Product,Price,Checked in,Paid,Secret,E-mail\n"
             f"ABC12,Ada Lovelace,Ticket,25.00,,Yes,{ADA_TICKET},ada@example.org\n"
             f"QWE7R,Grace Hopper,Ticket,25.00,,No,{GRACE_TICKET},grace@example.com\n")
TRIMMED_LIST = ("Attendee name,Product,Paid,Secret,E-mail\n"
                f"Ada Lovelace,Ticket,Yes,{ADA_TICKET},ada@example.org\n"
                f"Grace Hopper,Ticket,No,{GRACE_TICKET},grace@example.com\n")


def test_a_check_in_list_without_its_order_codes_still_refuses_an_unpaid_order(empty_server, tmp_path: Path) -> None:
    """Read as a plain list, "Paid: No" said nothing and Grace, whose order is unpaid, was let in."""
    answer = upload_text(empty_server, tmp_path, "trimmed.csv", TRIMMED_LIST)
    assert answer.status_code == 200, answer.text
    assert answer.json()["source"] == "pretix"
    assert [p["name"] for p in empty_server.people(attending=False)] == ["Grace Hopper"]
    assert empty_server.scan(GRACE_TICKET).status_code == 409
    assert empty_server.scan(ADA_TICKET).status_code == 201


def test_the_trimmed_list_finds_the_people_of_the_full_one_and_keeps_their_check_ins(
        empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "full.csv", FULL_LIST)
    assert empty_server.scan(ADA_TICKET).status_code == 201
    again = upload_text(empty_server, tmp_path, "trimmed.csv", TRIMMED_LIST.replace(",No,", ",Yes,"))
    assert again.json()["added"] == 0, again.text
    people = {p["name"]: p for p in empty_server.people()}
    assert sorted(people) == ["Ada Lovelace", "Grace Hopper"]  # Grace paid since
    assert people["Ada Lovelace"]["checked_in_at"]


def test_source_pretix_reads_the_paid_column_of_a_list_with_only_names(tmp_path: Path) -> None:
    """German "Nein", and no order code or secret: keyed on email and name."""
    config = write_config(tmp_path)
    path = _written(tmp_path, "kurz.csv", "Name Teilnehmer*in,bezahlt,E-Mail\n"
                    "Jürgen Groß,Ja,juergen@example.de\nZoë Ångström,Nein,zoe@example.de\n")
    run_kiosk(config, "import", "--source", "pretix", str(path))
    listed = {p["name"]: p["status"] for p in json.loads(run_kiosk(config, "attendees", "--format", "json").stdout)}
    assert listed == {"Jürgen Groß": "attending", "Zoë Ångström": "not_attending"}


def test_a_plain_list_with_a_paid_column_stays_plain(tmp_path: Path) -> None:
    """"Paid: No" in an organiser's own sheet may be a speaker who came free: no one is refused."""
    batch = read_attendee_file(_written(tmp_path, "mine.csv", "Name,Email,Paid\nAda,a@example.org,No\n"))
    assert batch.source == "csv" and batch.people[0].attending
