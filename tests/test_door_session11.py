"""Session 11: what the review of session 10 left at the door. A ticket without a name is greeted
without one ("Welcome!", not "Welcome, Order!") and its badge carries no email.

Through a real server on 127.0.0.1: the list is uploaded, the ticket scanned, the badge drawn.
"""

from __future__ import annotations

from pathlib import Path

from browser import chromium, pw, scanner_type, signed_in_page  # noqa: F401  (fixtures)
from playwright.sync_api import expect
from test_imports import upload_text
from test_imports_session8 import EVENTBRITE, LUMA

from printers.service import badge_info

NAMELESS_PRETIX = ("Order code,Attendee name,Product,Secret,E-mail\n"
                   "ABC12,,Free,hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq,ada@example.org\n"
                   "QWE7R,,Free,u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e,\n")


def test_a_ticket_without_a_name_is_welcomed_without_one(empty_server, tmp_path: Path) -> None:
    assert upload_text(empty_server, tmp_path, "pretix.csv", NAMELESS_PRETIX).status_code == 200
    arrived = empty_server.scan("u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e").json()
    assert arrived["result"] == "checked_in" and arrived["message"] == "Welcome! Your badge is printing."
    assert arrived["attendee"]["first_name"] == "" and arrived["attendee"]["name"] == ""
    again = empty_server.scan("u7pz2kwr9mh4dxqtb6ns3gcv8yjfea5e").json()
    assert again["message"].startswith("Welcome back: you checked in at ")


def test_the_badge_of_a_ticket_without_a_name_shows_neither_email_nor_order(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "pretix.csv", NAMELESS_PRETIX)
    person = next(p for p in empty_server.people() if p["email"] == "ada@example.org")
    assert person["name"] == "ada@example.org"  # how the volunteers find them
    info = badge_info(person, empty_server.state.door.event)
    assert (info.name, info.first_name) == ("", "")
    badge = empty_server.get(f"/api/attendees/{person['id']}/badge.png", role="volunteer")
    assert badge.status_code == 200 and badge.headers["Content-Type"] == "image/png"


def test_the_kiosk_says_welcome_without_a_name_to_a_nameless_ticket(empty_server, chromium, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "pretix.csv", NAMELESS_PRETIX)
    with signed_in_page(chromium, empty_server, "kiosk") as (page, watch):
        scanner_type(page, "hk3dmt8zq2ypw7vxbn4c6rfsgu9ejakq")
        expect(page.locator("#kiosk")).to_have_attribute("data-state", "checked_in")
        expect(page.locator("#result-title")).to_have_text("Welcome!")
        watch.assert_clean()


def test_a_luma_guest_known_only_by_email_is_welcomed_without_it(empty_server, tmp_path: Path) -> None:
    upload_text(empty_server, tmp_path, "luma-guests.csv", LUMA)
    arrived = empty_server.scan("https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-Tur1ngAbCdEf").json()
    assert arrived["message"] == "Welcome! Your badge is printing."  # not "Welcome, alan@example.net!"
    assert (arrived["attendee"]["name"], arrived["attendee"]["first_name"]) == ("", "")  # the kiosk faces strangers
    seen_by_volunteer = empty_server.scan("https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-Tur1ngAbCdEf",
                                          role="volunteer").json()
    assert seen_by_volunteer["attendee"]["name"] == "alan@example.net"
    named = empty_server.scan("https://lu.ma/check-in/evt-NKXctR3fMVfX24o?pk=g-2U61lr65dtD1YXI").json()
    assert named["message"] == "Welcome, Ada! Your badge is printing."


def test_an_eventbrite_ticket_awaiting_its_holders_details_greets_no_one_by_the_buyers_name(
        empty_server, tmp_path: Path) -> None:
    """The buyer's friend holds the ticket whose details say "Info Requested": not "Welcome, Ada!"."""
    upload_text(empty_server, tmp_path, "report.csv", EVENTBRITE)
    friend = empty_server.scan("1121191224317645032102001").json()
    assert friend["result"] == "checked_in" and friend["message"] == "Welcome! Your badge is printing."
    buyer = empty_server.scan("1121191224317645032101001").json()
    assert buyer["message"] == "Welcome, Ada! Your badge is printing."


def test_a_walk_in_later_added_on_luma_by_email_alone_stays_one_named_person(empty_server, tmp_path: Path) -> None:
    walked = empty_server.post("/api/attendees", role="volunteer", json={
        "name": "Alan Turing", "email": "alan@example.net", "check_in": True})
    assert walked.status_code == 201, walked.text
    upload_text(empty_server, tmp_path, "luma-guests.csv", LUMA)  # the host then added alan@example.net, no name
    alans = [p for p in empty_server.people() if p["email"] == "alan@example.net"]
    assert [(p["name"], p["first_name"]) for p in alans] == [("Alan Turing", "Alan")]
    again = empty_server.scan("https://luma.com/check-in/evt-NKXctR3fMVfX24o?pk=g-Tur1ngAbCdEf").json()
    assert again["result"] == "already_checked_in" and again["message"].startswith("Welcome back, Alan:")
    assert empty_server.get("/api/headcount", role=None).json()["checked_in"] == 1


def test_a_buyers_two_tickets_under_one_name_are_not_added_again_by_the_other_report(
        empty_server, tmp_path: Path) -> None:
    """Ada bought two tickets and named neither: both carry her name in both Eventbrite reports."""
    attendee_report = (
        "\ufeffOrder #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Attendee Status\r\n"
        "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,GA,17645032101,Attending\r\n"
        "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,GA,17645032102,Attending\r\n"
        "11211912244,11/29/24 22:40,Alan,Turing,alan@example.net,1,GA,17645032103,Attending\r\n")
    summary_report = (
        "Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,Ticket Type,Ticket Price,"
        "Buyer Name,Buyer Email\r\n"
        + "11211912243,2024-11-29,Attending,Ada Lovelace,ada@example.org,Door,1,GA,0,Ada Lovelace,ada@example.org\r\n" * 2
        + "11211912244,2024-11-29,Attending,Alan Turing,alan@example.net,Door,1,GA,0,Alan Turing,alan@example.net\r\n")
    upload_text(empty_server, tmp_path, "attendees.csv", attendee_report)
    assert empty_server.scan("1121191224317645032101001").status_code == 201
    second = upload_text(empty_server, tmp_path, "summary.csv", summary_report).json()
    assert (second["added"], second["kept_check_ins"]) == (0, 1)
    counts = empty_server.get("/api/headcount", role=None).json()
    assert (counts["expected"], counts["checked_in"]) == (3, 1)
    assert empty_server.scan("1121191224317645032102001").status_code == 201  # her second ticket still scans


def test_a_ticket_assigned_since_the_other_report_is_paired_not_added(empty_server, tmp_path: Path) -> None:
    """Ada's two tickets under her name; by the summary report she has given the second to Bob."""
    attendee_report = (
        "\ufeffOrder #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Attendee Status\r\n"
        "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,GA,17645032101,Attending\r\n"
        "11211912243,11/29/24 22:28,Ada,Lovelace,ada@example.org,1,GA,17645032102,Attending\r\n")
    summary_report = (
        "Order ID,Order Date,Attendee Status,Name,Email,Event Name,Ticket Quantity,Ticket Type,Ticket Price,"
        "Buyer Name,Buyer Email\r\n"
        "11211912243,2024-11-29,Attending,Ada Lovelace,ada@example.org,Door,1,GA,0,Ada Lovelace,ada@example.org\r\n"
        "11211912243,2024-11-29,Attending,Bob Byte,bob@example.org,Door,1,GA,0,Ada Lovelace,ada@example.org\r\n")
    upload_text(empty_server, tmp_path, "attendees.csv", attendee_report)
    second = upload_text(empty_server, tmp_path, "summary.csv", summary_report).json()
    assert second["added"] == 0
    assert empty_server.get("/api/headcount", role=None).json()["expected"] == 2
