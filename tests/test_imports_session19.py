"""Platform exports as public evidence shows them, not as our fixtures had them (session 19).

Each list is uploaded to a real server on 127.0.0.1, as the organizer page does, and the codes
printed on the platform's own tickets are scanned there.

Tito: a ticket's QR code holds the ticket's slug (``ti_...``), the last part of the export's
"Unique Ticket URL" (https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw). Evidence: two check-in
tools built on Tito exports on GitHub, one matching scanned codes against that slug (a Django
kiosk's tickets/views.py, extract_qr_code: "https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw ->
ti_pX9tJEguENQbdPOdhq66Vtw"), one reading a scan as "Direct slug: ti_xxxxx" or "URL formats:
https://ti.to/tickets/ti_xxxxx" (a Next.js badge-printing lookup, extractTicketSlug). The export's
header (a PyCon UK SMS script on GitHub): "Number,Ticket Created Date,Ticket,Ticket Full Name,...,
Void Status,Price,Ticket Reference,Tags,Unique Ticket URL,Unique Order URL,Order Reference,...".
"""

from __future__ import annotations

from pathlib import Path

from test_imports import upload_text

TITO_HEAD = ("Number,Ticket Created Date,Ticket,Ticket Full Name,Ticket First Name,Ticket Last Name,Ticket Email,"
             "Ticket Company Name,Ticket Phone Number,Event,Void Status,Price,Ticket Reference,Tags,"
             "Unique Ticket URL,Unique Order URL,Order Reference,Order Name,Order Email\n")
TITO_ROWS = (
    "1,2026-11-01 10:00:00 UTC,General Admission,Ada Lovelace,Ada,Lovelace,ada@example.org,Analytical,,Door Meetup,,0.0,"
    "QWER-1,,https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw,https://ti.to/orders/or_qwer,QWER,Ada Lovelace,ada@example.org\n"
    "2,2026-11-01 10:00:00 UTC,General Admission,Grace Hopper,Grace,Hopper,grace@example.org,Navy,,Door Meetup,void,0.0,"
    "ASDF-1,,https://ti.to/tickets/ti_Zk3mQ7rLwP2xN8vB5cH1dFg,https://ti.to/orders/or_asdf,ASDF,Grace Hopper,grace@example.org\n")


def test_the_qr_code_on_a_tito_ticket_checks_its_holder_in(empty_server, tmp_path: Path) -> None:
    """The ticket's QR holds its slug: it was an unknown code at the door, and the full ticket link
    (a phone's camera app, a scanner reading the link) was refused as no ticket at all."""
    answer = upload_text(empty_server, tmp_path, "tito.csv", TITO_HEAD + TITO_ROWS)
    assert answer.status_code == 200, answer.text
    scanned = empty_server.scan("ti_pX9tJEguENQbdPOdhq66Vtw")
    assert scanned.status_code == 201, scanned.text
    assert scanned.json()["attendee"]["name"] == "Ada Lovelace"
    again = empty_server.scan("https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw")
    assert again.status_code == 200 and again.json()["result"] == "already_checked_in", again.text
    for caps_lock_on in ("ti_pX9tJEguENQbdPOdhq66Vtw".swapcase(), "https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw".swapcase()):
        read = empty_server.scan(caps_lock_on)  # a keyboard-wedge scanner with Caps Lock on swaps every letter's case
        assert read.status_code == 200 and read.json()["attendee"]["name"] == "Ada Lovelace", (caps_lock_on, read.text)
    void = empty_server.scan("https://ti.to/tickets/ti_Zk3mQ7rLwP2xN8vB5cH1dFg")
    assert void.status_code == 409 and void.json()["result"] == "not_attending", void.text
    assert empty_server.scan("ti_pX9tJEguENQbdPOdhq66VtW").status_code == 404  # slugs are case-sensitive


# Tito's help (help.tito.io, "Attendee management"): "The ticket reference will be identical to the order
# reference, except when there were multiple tickets in an order, in which case it will be the order
# reference, followed by a serial number. e.g. #GIAO-1".
TITO_ONE_TICKET_ORDERS = (
    "Ticket Reference,Ticket Full Name,Ticket Email,Void Status,Ticket,Order Reference\n"
    "GIAO,Ada Lovelace,ada@example.org,,General Admission,GIAO\n"
    "K7QX-1,Grace Hopper,grace@example.org,,General Admission,K7QX\n"
    "K7QX-2,Alan Turing,alan@example.org,,General Admission,K7QX\n"
    "ZP4T,Edsger Dijkstra,edsger@example.org,void,General Admission,ZP4T\n")


def test_a_tito_ticket_alone_in_its_order_has_the_orders_reference_and_still_imports(
        empty_server, tmp_path: Path) -> None:
    """A reference without a serial refused the whole export at its line ("is not a Tito reference")."""
    answer = upload_text(empty_server, tmp_path, "tito.csv", TITO_ONE_TICKET_ORDERS)
    assert answer.status_code == 200, answer.text
    assert sorted(p["name"] for p in empty_server.people()) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    scanned = empty_server.scan("giao")  # typed at the door, in any case
    assert scanned.status_code == 201 and scanned.json()["attendee"]["name"] == "Ada Lovelace", scanned.text
    assert empty_server.scan("K7QX-2").json()["attendee"]["name"] == "Alan Turing"
    assert empty_server.scan("ZP4T").json()["result"] == "not_attending"
