"""Tito's ticket export (CSV).

Typical columns: Ticket Reference (e.g. GIAO-1), Ticket (the release name),
Ticket First Name, Ticket Last Name, Ticket Full Name, Ticket Email, Ticket
Company Name, Order Reference, Order Name, Order Email, Tags, Void Status,
check-in list columns ("Check-ins: ..."), then question answers. A ticket's
reference is its order's with a serial (GIAO-1), or the order's alone (GIAO) when the
order holds one ticket (help.tito.io, Attendee management). A ticket with
anything in Void Status is void. Unassigned tickets have no ticket name; the
order's name stands in so the row still reaches the door list (else the ticket's
email, else "Ticket GIAO-2"), and the holder, who may be anyone the buyer gave it
to, is greeted and badged without a name, as Eventbrite's are. Tito now calls
orders "registrations", and newer exports title those columns Registration
Reference, Registration Name, Registration Email, Registration Company Name.

The QR code on a Tito ticket holds the ticket's slug, the end of its Unique Ticket URL
(https://ti.to/tickets/ti_pX9tJEguENQbdPOdhq66Vtw), not its reference: check-in tools built on
Tito exports on GitHub match a scan against that slug. It is stored as a second door code, so the
scanned ticket finds its holder; the reference stays the code a volunteer types.
"""

from __future__ import annotations

from ..platform_codes import tito_key, tito_slug_key_from_url
from .common import (
    NO_WORDS, Columns, RowParser, build_person, fail, find_company, is_attending, person_name,
)
from .model import ImportedPerson
from .reading import Row
from .statuses import other_refusals

SOURCE = "tito"

_NOT_VOID = NO_WORDS | {"", "none", "not void"}
# The buyer's columns, under the old name and the current one (Tito's API and dashboard call an
# order a "registration"; exports seen on GitHub have "Registration Name,Registration Email").
ORDER_NAME_TITLES = ("Order Name", "Registration Name")
ORDER_COMPANY_TITLES = ("Order Company Name", "Registration Company Name")


def looks_like(columns: Columns) -> bool:
    """Tito prefixes attendee columns with "Ticket" and keys them by Ticket Reference."""
    return columns.find("Ticket Reference") is not None or (
        columns.find("Ticket Full Name") is not None and columns.find("Ticket Email") is not None)


def row_parser(columns: Columns) -> RowParser:
    """Map Tito's columns once, then turn each ticket row into a person."""
    table = columns.table
    reference = columns.require("ticket reference", "Ticket Reference", "Reference")
    full = columns.find("Ticket Full Name", "Name")
    first = columns.find("Ticket First Name", "First Name")
    last = columns.find("Ticket Last Name", "Last Name")
    order_name = columns.find(*ORDER_NAME_TITLES)
    if full is None and first is None and last is None:
        columns.require("name", "Ticket Full Name")
    email = columns.find("Ticket Email", "Email")
    company = find_company(columns, titles=("Ticket Company Name", "Company Name", "Company"),
                           skip=(columns.find(*ORDER_COMPANY_TITLES),))
    release = columns.find("Ticket", "Release", "Ticket Release")
    void = columns.find("Void Status", "Void")
    state = columns.find("Ticket State", "State")
    refused_by = other_refusals(columns, own=(void, state))
    tags = columns.find("Tags", "Ticket Tags")
    ticket_url = columns.find("Unique Ticket URL", "Ticket URL")

    def status_of(row: Row) -> tuple[bool, str]:
        """(attending, raw status): void tickets never get in; a state may also say no."""
        void_text = columns.cell(row, void)
        if void_text.casefold() not in _NOT_VOID:
            return False, void_text
        state_text = columns.cell(row, state)
        return is_attending(state_text), state_text

    def door_codes(row: Row, key: str) -> list[str]:
        """The reference (typed at the door) and the slug in the ticket's link (its QR code).

        A link of another shape is passed over rather than refusing the list: the reference still
        checks the ticket in, as it did before the slug was read."""
        slug = tito_slug_key_from_url(columns.cell(row, ticket_url))
        return [key, slug] if slug else [key]

    def parse(row: Row) -> ImportedPerson:
        ref = columns.cell(row, reference)
        key = tito_key(ref) if "-" in ref or ref.isupper() else None  # Tito writes an order's in capitals
        if key is None:
            raise fail(table, row, f"the Ticket Reference {ref!r} is not a Tito reference like 'ABCD-1' or 'ABCD'")
        full_name, given, family = columns.cells(row, full, first, last)
        named = bool(full_name or given or family)
        if not named:  # unassigned: listed under the buyer's name, else the ticket's email or reference
            full_name = columns.cell(row, order_name) or columns.cell(row, email) or f"Ticket {ref}"
        names = person_name(table, row, full_name, given, family)
        attending, status_text = status_of(row)
        ticket = columns.cell(row, release)
        return build_person(
            row, names, named=named, email=columns.cell(row, email), company=columns.first_filled(row, company),
            status=status_text, attending=attending, refusal=refused_by(row), external_id=key, codes=door_codes(row, key),
            ticket=ticket, role_hints=(columns.cell(row, tags),))

    return parse
