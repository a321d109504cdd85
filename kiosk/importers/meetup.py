"""Meetup's attendee download: tab-separated text named ".xls", often UTF-16.

Typical columns: Name, User ID ("user 12537919"), Title, Event Host, RSVPed on,
Last Attended, Guests, RSVP (Yes / No / Waitlist / Waiting List), Phone, Joined
Group on, URL of Member Profile, then one column per RSVP question. There is no
email column and no ticket: Meetup members get the kiosk's own code.
"""

from __future__ import annotations

import re

from .common import Columns, RowParser, build_person, fail, find_company, parse_count, person_name
from .model import ImportedPerson
from .reading import Row

SOURCE = "meetup"

_MEMBER_URL_ID = re.compile(r"/members/([0-9]{1,20})(?:/|$)")
_USER_ID = re.compile(r"(?:user\s*)?([0-9]{1,20})", re.IGNORECASE)


def looks_like(columns: Columns) -> bool:
    """A member id column together with Meetup's RSVP bookkeeping."""
    has_member = columns.find("User ID", "Member ID", "URL of Member Profile") is not None
    has_rsvp = columns.find("RSVP", "Guests", "RSVPed on") is not None
    return has_member and has_rsvp


def row_parser(columns: Columns) -> RowParser:
    """Map Meetup's columns once, then turn each row into a person."""
    table = columns.table
    name = columns.require("name", "Name")
    user_id = columns.find("User ID")
    member_id = columns.find("Member ID")
    profile_url = columns.find("URL of Member Profile", "Profile URL")
    rsvp = columns.find("RSVP", "RSVP Status", "Response")
    guests = columns.find("Guests", "Guest count")
    title = columns.find("Title", "Role")
    email = columns.find("Email", "E-mail", "Email address")
    company = find_company(columns, skip=(name, title))
    if user_id is None and member_id is None and profile_url is None:
        columns.require("member id", "User ID", "Member ID")

    def external_id(row: Row) -> str:
        """meetup:<member number>, from User ID ("user 123"), Member ID or the profile link."""
        for index in (user_id, member_id):
            match = _USER_ID.fullmatch(columns.cell(row, index))
            if match:
                return f"{SOURCE}:{int(match.group(1))}"
        match = _MEMBER_URL_ID.search(columns.cell(row, profile_url))
        if match:
            return f"{SOURCE}:{int(match.group(1))}"
        raise fail(table, row,
                   "has no Meetup member id (the 'User ID' cell is empty or not 'user <number>')")

    def parse(row: Row) -> ImportedPerson:
        names = person_name(table, row, columns.cell(row, name), "", "")
        status, member_title = columns.cells(row, rsvp, title)
        return build_person(
            row, names, email=columns.cell(row, email), company=columns.first_filled(row, company),
            status=status, external_id=external_id(row), codes=[],
            guests=parse_count(table, row, columns.cell(row, guests), "Guests"),
            role_hints=(member_title,))

    return parse
