"""pretix's check-in list export (CSV with commas, or semicolons for Excel).

Columns, from pretix's checkinlists exporter: Order code, Attendee name, one
"Attendee name: <part>" column per part of the event's name scheme (Given name,
Family name, Title, Calling name...), Product, Price, Checked in, Checked out,
Automatically checked in, Paid (only when pending orders are included), Secret
(only when "Include QR-code secret" was ticked), E-mail, Phone number, question
answers, Company, Voucher code, Order date, ..., Blocked, Valid from, Valid until.
The Secret is exactly what the ticket's QR code holds.
"""

from __future__ import annotations

import re
from collections import Counter

from ..platform_codes import pretix_key
from .common import (
    Columns, RowParser, build_person, fail, find_company, is_attending, join_name, person_name,
    single_code,
)
from .model import ImportedPerson
from .reading import Row

SOURCE = "pretix"

_ORDER_CODE = re.compile(r"[A-Z0-9]{3,16}")
_NAME_PART_PREFIX = "attendee name: "
_GIVEN_PARTS = ("given name", "first name", "calling name")
_FAMILY_PARTS = ("family name", "last name", "surname")
_NO = frozenset({"no", "false", "0", "nein", "non"})


def looks_like(columns: Columns) -> bool:
    """pretix's order code next to its attendee or product columns."""
    return columns.find("Order code") is not None and (
        columns.find("Attendee name", "Product", "Secret") is not None)


def _name_parts(columns: Columns) -> dict[str, int]:
    """The "Attendee name: <part>" columns, keyed by the lower-cased part label."""
    return {key[len(_NAME_PART_PREFIX):]: index for index, key in enumerate(columns.keys)
            if key.startswith(_NAME_PART_PREFIX)}


def row_parser(columns: Columns) -> RowParser:
    """Map pretix's columns once, then turn each order position into a person."""
    table = columns.table
    order = columns.require("order code", "Order code")
    full = columns.find("Attendee name", "Name")
    parts = _name_parts(columns)
    if full is None and not parts:
        columns.require("attendee name", "Attendee name")
    given = next((parts[p] for p in _GIVEN_PARTS if p in parts), None)
    family = next((parts[p] for p in _FAMILY_PARTS if p in parts), None)
    email = columns.find("E-mail", "Email", "Attendee email")
    company = find_company(columns, skip=parts.values())
    product = columns.find("Product", "Item")
    secret = columns.find("Secret", "Ticket secret")
    paid = columns.find("Paid")
    status = columns.find("Status", "Order status")
    blocked = columns.find("Blocked")
    position = columns.find("Position ID", "Position")
    seen_orders: Counter[str] = Counter()

    def status_of(row: Row) -> tuple[bool, str]:
        """(attending, status text): cancelled, unpaid or blocked tickets are refused."""
        texts, attending = [], True
        order_status = columns.cell(row, status)
        if order_status:
            texts.append(order_status)
            attending = is_attending(order_status)
        paid_text = columns.cell(row, paid)
        if paid_text:
            texts.append(f"Paid: {paid_text}")
            attending = attending and paid_text.casefold() not in _NO
        blocked_text = columns.cell(row, blocked)
        if blocked_text and blocked_text.casefold() not in _NO:
            texts.append("Blocked")
            attending = False
        return attending, "; ".join(texts)

    def external_id(row: Row, code: str) -> str:
        """pretix:<ORDER>-<position>, the position counted within the order when not exported."""
        seen_orders[code] += 1
        number = columns.cell(row, position) or str(seen_orders[code])
        if not number.isdigit():
            raise fail(table, row, f"the Position ID {number!r} is not a number")
        return f"{SOURCE}:{code}-{int(number)}"

    def codes(row: Row) -> list[str]:
        """The QR secret, when the export includes it; the message never echoes the secret."""
        return single_code(columns, row, secret, pretix_key,
                           lambda _: "the Secret is not a pretix ticket secret")

    def parse(row: Row) -> ImportedPerson:
        code = columns.cell(row, order).upper()
        if not _ORDER_CODE.fullmatch(code):
            raise fail(table, row, f"the Order code {code!r} is not a pretix order code")
        full_name = columns.cell(row, full) or join_name(
            *(columns.cell(row, index) for index in parts.values()))
        names = person_name(table, row, full_name, *columns.cells(row, given, family))
        attending, status_text = status_of(row)
        ticket = columns.cell(row, product)
        return build_person(
            row, names, email=columns.cell(row, email), company=columns.cell(row, company),
            status=status_text, attending=attending, external_id=external_id(row, code),
            codes=codes(row), ticket=ticket)

    return parse

