"""Meetup's attendee download: tab-separated text named ".xls", often UTF-16.

Typical columns: Name, User ID ("user 12537919"), Title, Event Host, RSVPed on,
Last Attended, Guests, RSVP (Yes / No / Waitlist / Waiting List), Phone, Joined
Group on, URL of Member Profile, then one column per RSVP question. There is no
email column and no ticket: Meetup members get the kiosk's own code. Lists made
from Meetup's API or a Meetup Pro dashboard name the same things "Member ID" and
"RSVP Status" (YES / NO / WAITLIST, or Going / Not going).

Two other Meetup downloads look like attendee lists and are not: the group's
membership list and Meetup Pro's "Registration responses". Neither says who
answered the event's RSVP with Yes, so both are refused with a pointer to the
attendee download rather than imported with everyone let in.

Meetup writes the download in the organiser's language, and no copy of its translated titles was
found to map. A download titled in another language is still Meetup's when it is tab-separated and
one column holds nothing but Meetup member profile links ("https://www.meetup.com/<group>/members/
12537919/"), which read the same in every language. Its RSVP column is then found by its answers
(Yes, No, Waitlist or Waiting List on every row, as Meetup's English download writes them; see
``_rsvp_by_answers``); when it cannot be told, the file is refused at line 1 rather than read as a
plain list with the No and the waitlist let in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .common import Columns, RowParser, build_person, fail, find_company, parse_count, person_name
from .plain import FULL_NAME_TITLES
from .model import ImportedPerson, ImportFileError
from .reading import Row
from .statuses import other_refusals

SOURCE = "meetup"

_MEMBER_URL_ID = re.compile(r"/members/([0-9]{1,20})(?:/|$)")
_USER_ID = re.compile(r"(?:user\s*)?([0-9]{1,20})", re.IGNORECASE)
# A whole cell that is a member's profile link: in the attendee download under the group
# ("https://www.meetup.com/pydata-door/members/12537919/ ", as PyData London's member list on GitHub
# also shows), or without it as profile links stand elsewhere ("https://www.meetup.com/members/194137934/").
_PROFILE_LINK = re.compile(r"https?://(?:www\.)?meetup\.com/(?:[^/\s]+/)?members/[0-9]{1,20}/?", re.IGNORECASE)
# The RSVP answers of Meetup's download, as its English version writes them (the module docstring).
RSVP_ANSWERS = frozenset({"yes", "no", "waitlist", "waiting list"})
_WAITLIST_ANSWERS = frozenset({"waitlist", "waiting list"})

# "RSVP" in Meetup's own download; "RSVP Status" (or "RSVP response") where a list was made from
# Meetup's API, whose RSVP carries a status / response (meetupr's get_event_rsvps: member_id,
# member_name, ..., response). A bare "Response" is read, but too common a title to detect by.
RSVP_TITLES = ("RSVP", "RSVP Status", "RSVP response")
RSVP_READ_TITLES = (*RSVP_TITLES, "Response")
# Meetup's per-event bookkeeping beside the RSVP, which no membership list has.
EVENT_TITLES = ("Guests", "RSVPed on")
# The group's membership list ("Members | Download membership list"), as the PyData London
# organisers' tool documents it (fagan2888/meetup_cumulative_growth_plotter, README.md): Name,
# User ID, Title, Member ID, Location, Joined Group on, Last visited group on, Last Attended,
# Total RSVPs, RSVPed Yes, RSVPed Maybe, RSVPed No, Meetups attended, No shows, ... One row per
# member of the group, RSVP counts over all events.
MEMBER_LIST_TITLES = ("Total RSVPs", "RSVPed Yes", "RSVPed No", "Last visited group on")
# Meetup Pro's "Registration responses" download: the Pro network's questions for everyone who
# answered them, waitlisted and "No" RSVPs included, without the RSVP. Its fields as
# estyxx/meetup-export (README.md) quotes a real one: "updatedAt", "chapter.name", "event.title",
# "First name", "Last name", "Organization name", "Main reason for attending".
REGISTRATION_RESPONSES_TITLES = ("chapter.name", "event.title")


def looks_like(columns: Columns) -> bool:
    """A member id column together with Meetup's RSVP bookkeeping, or one of the Meetup
    downloads that must be refused (the membership list, Pro's registration responses)."""
    if _registration_responses(columns):
        return True
    has_user = columns.find("User ID", "URL of Member Profile") is not None
    member_id = columns.find("Member ID")
    if has_user and _member_list(columns):
        return True
    if has_user and columns.find(*RSVP_TITLES, *EVENT_TITLES) is not None:
        return True
    if _titled_in_another_language(columns):
        return True
    # "Member ID" alone is a common title of club and CRM lists: it makes a Meetup list only with
    # an RSVP column and Meetup's numbers in it (checked on the first filled cell).
    return member_id is not None and columns.find(*RSVP_TITLES) is not None and (
        _first_is_meetup_number(columns, member_id))


def _titled_in_another_language(columns: Columns) -> bool:
    """Whether a header none of whose Meetup titles is English belongs to Meetup's attendee download:
    tab-separated, as Meetup writes it, with a column of nothing but member profile links.

    Read as a plain list, such a download lost its RSVP, and the people who said No were expected.
    A list an organiser made (a CSV, a workbook) with a column of profile links stays theirs.
    """
    english = columns.find("User ID", "URL of Member Profile", "Member ID", *RSVP_READ_TITLES)
    return english is None and columns.table.delimiter == "\t" and _profile_links(columns) is not None


def _profile_links(columns: Columns) -> int | None:
    """The first column whose filled cells are all Meetup member profile links (one at least)."""
    return next((index for index in range(len(columns.titles))
                 if _every_filled(columns, index, lambda value: bool(_PROFILE_LINK.fullmatch(value)))), None)


def _every_filled(columns: Columns, index: int, fits: Callable[[str], bool], every_row: bool = False) -> bool:
    """Whether a column has a filled cell and each filled one fits (with ``every_row``, no blank either)."""
    values = [_text(row, index) for row in columns.table.rows]
    filled = [value for value in values if value]
    return bool(filled) and all(map(fits, filled)) and (not every_row or len(filled) == len(values))


def _rsvp_by_answers(columns: Columns) -> int | None:
    """The RSVP column of a download titled in another language: of the columns where every row
    answers Yes, No, Waitlist or Waiting List, the one with a waitlist answer, if only one has; else
    the one with the most Yes answers, when it has more Yes than No and than any other. None when
    it cannot be told (the file is then refused).

    The host column of Meetup's download ("Event Host") also says Yes or No on every row, Yes
    beside the few hosts: most Yes tells the two apart, and a lone such column that is mostly No is
    no RSVP (the RSVP's own answers may be translated, and taking the hosts' column would turn
    away everyone but the hosts).
    """
    answers = [index for index in range(len(columns.titles))
               if _every_filled(columns, index, lambda value: value.casefold() in RSVP_ANSWERS, every_row=True)]
    waitlisted = [index for index in answers if _count(columns, index, _WAITLIST_ANSWERS)]
    if len(waitlisted) == 1:
        return waitlisted[0]
    yes = sorted(((_count(columns, index, {"yes"}), index) for index in answers), reverse=True)
    if not yes or (len(yes) > 1 and yes[0][0] == yes[1][0]):
        return None
    most, index = yes[0]
    return index if most > _count(columns, index, {"no"}) else None


def _count(columns: Columns, index: int, values: frozenset[str] | set[str]) -> int:
    """How many rows answer one of `values` (case-folded) in the column."""
    return sum(_text(row, index).casefold() in values for row in columns.table.rows)


def _text(row: Row, index: int) -> str:
    """A cell's text, whitespace-normalised: read, never refused, here (``Columns.cell`` refuses a
    cell over its length limit, and detection must not fail where the parser would say why)."""
    return " ".join(row.cells[index].split())


def _registration_responses(columns: Columns) -> bool:
    """Whether a header is Meetup Pro's "Registration responses" download."""
    return all(columns.find(title) is not None for title in REGISTRATION_RESPONSES_TITLES)


def _member_list(columns: Columns) -> bool:
    """Whether a header is the group's membership list rather than an event's attendees."""
    return columns.find(*RSVP_TITLES, *EVENT_TITLES) is None and any(
        columns.find(title) is not None for title in MEMBER_LIST_TITLES)


def _first_is_meetup_number(columns: Columns, index: int) -> bool:
    """Whether the first filled cell of a column is a Meetup member number ("123" or "user 123")."""
    first = next((value for value in (columns.cell(row, index) for row in columns.table.rows) if value), "")
    return bool(_USER_ID.fullmatch(first))


def _refusal(columns: Columns) -> ImportFileError | None:
    """Why a Meetup download cannot be imported as the event's attendees, or None."""
    table = columns.table
    attendee_download = ("download the event's attendee list instead (the event page, "
                         "Manage attendees, Download), which has the RSVP column")
    if _registration_responses(columns):
        return ImportFileError(
            table.path, table.header_line,
            "is Meetup Pro's Registration responses download, which lists everyone who answered the "
            "questions, including people who said No and the waitlist, without their RSVP; "
            + attendee_download)
    if _member_list(columns):
        return ImportFileError(
            table.path, table.header_line,
            "is the Meetup group's member list, not an event's attendees (it has no RSVP for the "
            "event); " + attendee_download)
    if _titled_in_another_language(columns) and _rsvp_by_answers(columns) is None:
        return ImportFileError(
            table.path, table.header_line,
            "is a Meetup attendee download with its column titles in another language, and no one column "
            "answers Yes, No or Waitlist on every row, so its RSVP column cannot be told: set your Meetup "
            "account's language to English and download the attendee list again")
    if columns.find(*RSVP_READ_TITLES) is None and not _titled_in_another_language(columns):
        return ImportFileError(
            table.path, table.header_line,
            "is a Meetup list without its RSVP column, so the people who said No and the waitlist "
            "would be let in; download the attendee list again with the RSVP column, or import it "
            "as a plain list (source csv) if it holds only people who are coming")
    return None


def row_parser(columns: Columns) -> RowParser:
    """Map Meetup's columns once, then turn each row into a person."""
    table = columns.table
    refusal = _refusal(columns)
    if refusal is not None:
        raise refusal
    translated = _titled_in_another_language(columns)
    name = columns.find("Name", *(FULL_NAME_TITLES if translated else ()))
    if name is None:
        name = columns.require("name", "Name")
    user_id = columns.find("User ID")
    member_id = columns.find("Member ID")
    profile_url = columns.find("URL of Member Profile", "Profile URL")
    rsvp = columns.find(*RSVP_READ_TITLES)
    if translated:
        profile_url, rsvp = _profile_links(columns), _rsvp_by_answers(columns)
    refused_by = other_refusals(columns, own=(rsvp,))
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
        label = "User ID" if user_id is not None else "Member ID"
        raise fail(table, row,
                   f"has no Meetup member id (the {label!r} cell is empty or not a member number "
                   "such as 'user 12537919')")

    def parse(row: Row) -> ImportedPerson:
        names = person_name(table, row, columns.cell(row, name), "", "")
        status, member_title = columns.cells(row, rsvp, title)
        return build_person(
            row, names, email=columns.cell(row, email), company=columns.first_filled(row, company),
            status=status, refusal=refused_by(row), external_id=external_id(row), codes=[],
            guests=parse_count(table, row, columns.cell(row, guests), "Guests"),
            role_hints=(member_title,))

    return parse
