"""Luma's guest CSV (UTF-8 with a BOM, snake_case titles).

Fixed columns: api_id (guest_id in current exports), name, first_name,
last_name, email, phone_number, created_at, approval_status (approved /
declined / pending_approval / waitlist / invited), checked_in_at, custom_source
(now utm_source, referrer, referred_by), qr_code_url, amount..., ticket_type_id,
ticket_name; registration questions follow, titled with the question text
("What company do you work for?"). The QR on a Luma ticket is the check-in link
in qr_code_url, e.g. https://luma.com/check-in/evt-AbC123?pk=g-XyZ789. A guest
the host added or invited by email alone may have no name: they are named after
their email (as a pretix ticket without a name is), not refused with the list.
"""

from __future__ import annotations

import re

from ..platform_codes import luma_key_from_url
from .common import Columns, RowParser, build_person, fail, find_company, person_name, single_code
from .model import ImportedPerson
from .reading import Row
from .statuses import other_refusals

SOURCE = "luma"

_API_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# The guest's id column: "api_id" in older exports, "guest_id" in current ones (same gst-... values,
# so a re-import across the rename finds the same people). Seen in real guest CSVs on GitHub, e.g.
# headers starting "guest_id,name,first_name,last_name,email,phone_number,created_at,approval_status".
GUEST_ID_TITLES = ("api_id", "guest_id")


def looks_like(columns: Columns) -> bool:
    """Luma's guest id next to its approval status or check-in link."""
    return columns.find(*GUEST_ID_TITLES) is not None and (
        columns.find("approval_status", "qr_code_url") is not None)


def row_parser(columns: Columns) -> RowParser:
    """Map Luma's columns once, then turn each guest row into a person."""
    table = columns.table
    api_id = columns.require("guest id", *GUEST_ID_TITLES)
    full = columns.find("name")
    first = columns.find("first_name")
    last = columns.find("last_name")
    if full is None and first is None and last is None:
        columns.require("name", "name")
    email = columns.find("email")
    status = columns.find("approval_status")
    refused_by = other_refusals(columns, own=(status,))
    ticket_name = columns.find("ticket_name")
    qr_url = columns.find("qr_code_url")
    company = find_company(columns)

    def check_in_codes(row: Row) -> list[str]:
        """The guest key of the check-in link on their Luma ticket, if the export has it."""
        return single_code(columns, row, qr_url, luma_key_from_url,
                           lambda url: f"the qr_code_url {url[:80]!r} is not a Luma check-in link",
                           optional=True)

    def parse(row: Row) -> ImportedPerson:
        guest_id = columns.cell(row, api_id)
        if not _API_ID.fullmatch(guest_id):
            raise fail(table, row, f"the guest id {guest_id!r} is not a Luma guest id")
        full_name, given, family = columns.cells(row, full, first, last)
        email_text = columns.cell(row, email)
        # A guest added or invited by email alone may have no name: the address stands in for it
        # in the list, and they are greeted and badged without a name (ImportedPerson.named).
        named = bool(full_name or given or family)
        names = (email_text, "", "") if email_text and not named else person_name(table, row, full_name, given, family)
        status_text, ticket = columns.cells(row, status, ticket_name)
        return build_person(
            row, names, named=named, email=email_text, company=columns.first_filled(row, company),
            status=status_text, refusal=refused_by(row), external_id=f"{SOURCE}:{guest_id}", codes=check_in_codes(row),
            ticket=ticket)

    return parse
