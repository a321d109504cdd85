"""Eventbrite's attendee report (CSV with a UTF-8 BOM and CRLF line ends).

One row per ticket. Typical columns: Order #, Order Date, First Name, Last Name,
Email, Quantity, Price Tier, Ticket Type, Attendee #, Group, Order Type, ...,
Attendee Status (Attending / Checked In / Not Attending / Deleted / Refunded /
Cancelled), Buyer First Name, Buyer Last Name, Buyer Email, Job Title, Company,
and sometimes Barcode #. The buyer's email repeats on every row of an order, so
the stable key is the Attendee #, never the email.

The newer "Attendee summary" report has no Attendee # and no barcode: Order ID,
Order Date, Attendee Status, Name, Email, Event Name, Ticket Quantity, Ticket
Type, Ticket Price, Buyer Name, Buyer Email. Its people get the kiosk's own code
(their Eventbrite barcode is unknown) and are keyed on their order: the buyer may
edit an attendee's name, and the ticket stays the same person, as the Attendee #
does in the classic report. Only an order with several tickets adds the name,
since nothing else in the report tells its tickets apart.
"""

from __future__ import annotations

from collections import Counter

from ..platform_codes import eventbrite_barcode_key, eventbrite_key
from ..textnorm import fold
from .common import (
    Columns, RowParser, build_person, excel_rounded, excel_rounded_error, fail, find_company,
    person_name,
)
from .model import ImportedPerson
from .reading import Row
from .statuses import other_refusals

SOURCE = "eventbrite"

# "Order #" in the classic attendee report; "Order ID" in the Attendee summary report (its header,
# as a PyCon Sweden script on GitHub lists it: "Order ID,Order Date,Attendee Status,Name,Email,...").
ORDER_TITLES = ("Order #", "Order ID", "Order Number", "Bestellnr.")
# The classic report exported in German (Eventbrite translates its titles with the organiser's
# language), as a real report's header on GitHub reads (coderdojo-linz/participants-management-client,
# queries/badge-creator): "Bestellnr., Bestelldatum, Vorname, Nachname, E-Mail, Anzahl, Ticketart,
# Teilnehmernummer, Barcode-Nr., Teilnehmerstatus, Firma"; its statuses "Nimmt teil" / "Nimmt nicht teil".
ATTENDEE_NO_TITLES = ("Attendee #", "Teilnehmernummer")
STATUS_TITLES = ("Attendee Status", "Teilnehmerstatus")
# What Eventbrite writes in an attendee's name, email and question cells while the buyer has not yet
# given that ticket holder's details (the event collects them per attendee): no one is called that,
# so the ticket is listed under the buyer's name (whom to ask), as an unassigned ticket with blank
# cells is, but greeted and badged without a name: its holder may be the buyer's friend.
NOT_YET_GIVEN = "info requested"


def unassigned_name(order_no: str, attendee_no: str) -> str:
    """What a ticket without its holder's details, in a report without the buyer's name, is listed
    as: its order ("Order 1000000007"), so volunteers can find it (it is greeted by no name). It
    used to refuse the whole report ("the name is empty") over one ticket its buyer had not assigned."""
    return f"Order {order_no}" if order_no else f"Ticket {attendee_no}" if attendee_no else ""


def looks_like(columns: Columns) -> bool:
    """Eventbrite's own numbering: an Attendee # column, or its order number with attendee status.
    A German "Teilnehmernummer" alone is any participant list's number: it needs the "Bestellnr." beside it."""
    if columns.find("Attendee #") is not None:
        return True
    if columns.find("Teilnehmernummer") is not None and columns.find("Bestellnr.") is not None:
        return True
    return columns.find(*ORDER_TITLES) is not None and columns.find(*STATUS_TITLES) is not None


def row_parser(columns: Columns) -> RowParser:
    """Map Eventbrite's columns once, then turn each ticket row into a person."""
    table = columns.table
    order = columns.find(*ORDER_TITLES)
    attendee = columns.find(*ATTENDEE_NO_TITLES, "Attendee Number", "Attendee ID")
    barcode = columns.find("Barcode #", "Barcode", "Barcodes", "Barcode-Nr.")
    if attendee is None and barcode is None and order is None:
        columns.require("attendee number", "Attendee #")
    full = columns.find("Name", "Attendee Name")
    first = columns.find("First Name", "Attendee First Name", "Vorname")
    last = columns.find("Last Name", "Attendee Last Name", "Surname", "Nachname")
    buyer_full = columns.find("Buyer Name")
    buyer_first = columns.find("Buyer First Name")
    buyer_last = columns.find("Buyer Last Name")
    if full is None and first is None and last is None and buyer_first is None and buyer_full is None:
        columns.require("name", "First Name")
    email = columns.find("Email", "Email Address", "Attendee Email", "E-Mail")
    status = columns.find(*STATUS_TITLES, "Status")
    refused_by = other_refusals(columns, own=(status,))
    ticket_type = columns.find("Ticket Type", "Ticket", "Ticketart")
    company = find_company(columns, titles=("Company", "Company / Organization", "Organization",
                                            "Organisation", "Company Name", "Firma"))

    def digits(row: Row, index: int | None, label: str) -> str:
        """An Eventbrite number cell, checked to be digits."""
        value = columns.cell(row, index)
        if excel_rounded(value):
            raise excel_rounded_error(columns, row, value, label)
        if value and not value.isdigit():
            raise fail(table, row, f"the {label!r} value {value!r} is not an Eventbrite number")
        return value

    def codes(row: Row, order_no: str, attendee_no: str) -> list[str]:
        """The printed barcode (order + attendee + 001) and any listed in a Barcode column.

        A barcode Excel rounded is left out when the order and attendee numbers give it anyway; so
        is one that is no barcode ("see email") in a row its Attendee # keys, with a warning
        (common.codes_set_aside): it refused the whole report. Without an Attendee # the barcode is
        the ticket's key, and still refuses.
        """
        keys = [eventbrite_key(order_no, attendee_no)] if order_no and attendee_no else []
        listed = columns.cell(row, barcode)
        if excel_rounded(listed):
            if keys:
                return keys
            raise excel_rounded_error(columns, row, listed, "Barcode #")
        for value in listed.replace(";", ",").split(","):
            if value.strip():
                key = eventbrite_barcode_key(value)
                problem = f"the barcode {value.strip()!r} is not an Eventbrite barcode"
                if key is not None:
                    keys.append(key)
                elif (attendee_no or keys) and barcode is not None:  # the ticket is known without it: said, left out
                    columns.set_aside[(row.line, barcode)] = problem
                else:
                    raise fail(table, row, problem)
        return list(dict.fromkeys(key for key in keys if key))

    seen: Counter[str] = Counter()
    # Rows per order, counted before any row is parsed (a bad number is reported at its own row).
    tickets_of_order = Counter(columns.cell(row, order) for row in table.rows) if (
        attendee is None and barcode is None and order is not None) else Counter()

    def external_id(row: Row, attendee_no: str, keys: list[str], order_no: str, name: str) -> str:
        """eventbrite:<Attendee #>; the barcode stands in when a report lacks attendee numbers,
        and the order with the attendee's name when it lacks both (the Attendee summary)."""
        if attendee_no:
            return f"{SOURCE}:{attendee_no}"
        if keys:
            return f"{SOURCE}:barcode:{keys[-1].split(':', 1)[1]}"
        if attendee is None and barcode is None and order_no:
            if tickets_of_order[order_no] == 1:  # the order is the ticket, whatever its name says
                return f"{SOURCE}:order:{order_no}"
            base = f"{SOURCE}:order:{order_no}:{fold(name)}"
            seen[base] += 1  # two tickets of one order under one name: nothing else tells them apart
            return base if seen[base] == 1 else f"{base}#{seen[base]}"
        raise fail(table, row, "the 'Attendee #' is empty")

    def attendee_cells(row: Row, *indices: int | None) -> tuple[str, ...]:
        """The attendee's own cells, Eventbrite's placeholder for details not yet given read as blank."""
        return tuple("" if value.casefold() == NOT_YET_GIVEN else value
                     for value in columns.cells(row, *indices))

    def parse(row: Row) -> ImportedPerson:
        given, family, full_name, email_text = attendee_cells(row, first, last, full, email)
        order_no = digits(row, order, "Order #")
        attendee_no = digits(row, attendee, "Attendee #")
        named = bool(given or family or full_name)
        if not named:  # a ticket not yet assigned: listed under the buyer's name, greeted by none
            full_name, given, family = columns.cells(row, buyer_full, buyer_first, buyer_last)
            if not (full_name or given or family):  # a report without the buyer's columns
                full_name = unassigned_name(order_no, attendee_no)
        names = person_name(table, row, full_name, given, family)
        keys = codes(row, order_no, attendee_no)
        status_text, ticket = columns.cells(row, status, ticket_type)
        company_text = next((value for value in attendee_cells(row, *company) if value), "")
        return build_person(
            row, names, named=named, email=email_text, company=company_text,
            status=status_text, refusal=refused_by(row), codes=keys, ticket=ticket,
            external_id=external_id(row, attendee_no, keys, order_no, names[0]))

    return parse
