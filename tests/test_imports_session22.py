"""Tito tickets nobody has been assigned to yet."""

from __future__ import annotations

from pathlib import Path

from test_imports import upload_text

HEAD = "Ticket Reference,Ticket Full Name,Ticket Email,Void Status,Ticket,Order Reference,Order Name\n"


def test_a_tito_ticket_with_no_name_at_all_is_listed_not_the_whole_file_refused(empty_server, tmp_path: Path) -> None:
    """An unassigned ticket of an order without a name refused the whole list ("line 3: the name is empty")."""
    rows = ("K7QX-1,Grace Hopper,grace@example.org,,General Admission,K7QX,Grace Hopper\n"
            "K7QX-2,,,,General Admission,K7QX,\n"
            "ZP4T-1,,zp@example.org,,General Admission,ZP4T,\n")
    answer = upload_text(empty_server, tmp_path, "tito.csv", HEAD + rows)
    assert answer.status_code == 200, answer.text
    assert sorted(p["name"] for p in empty_server.people()) == ["Grace Hopper", "Ticket K7QX-2", "zp@example.org"]
    greeted = empty_server.scan("K7QX-2")
    assert greeted.status_code == 201 and greeted.json()["message"] == "Welcome! Your badge is printing."


def test_an_unassigned_tito_ticket_is_listed_under_its_buyer_and_greeted_by_no_name(empty_server, tmp_path: Path) -> None:
    """Whoever the buyer gave the ticket to was welcomed by the buyer's name."""
    rows = ("K7QX-1,Grace Hopper,grace@example.org,,General Admission,K7QX,Grace Hopper\n"
            "K7QX-2,,,,General Admission,K7QX,Grace Hopper\n")
    assert upload_text(empty_server, tmp_path, "tito.csv", HEAD + rows).status_code == 200
    assert [p["name"] for p in empty_server.people()] == ["Grace Hopper", "Grace Hopper"]
    assert empty_server.scan("K7QX-1").json()["message"] == "Welcome, Grace! Your badge is printing."
    assert empty_server.scan("K7QX-2").json()["message"] == "Welcome! Your badge is printing."
