"""Any other list: a CSV (comma, semicolon or tab) or an .xlsx sheet an organiser made.

All it needs is a name column (Name / Full name / First name + Last name, any
case, a few common variants, or a form question asking the name). Email,
company, status, ticket type, role, guests and a ticket code column are used
when present; without a guests column, a ticket quantity above 1 (a list with
one row per order) counts the buyer's guests. People are keyed by their
ticket code, else their email, else their name. An email that several rows
share (a family registering together) keys each of them on email and name, so
a re-sorted list cannot swap them; an email used once keys on the email alone,
so a corrected name updates the same person. Only rows that are identical in
both get "#2", "#3"... in file order: nothing tells those apart anyway.
"""

from __future__ import annotations

import re
from collections import Counter

from ..platform_codes import plain_key
from ..textnorm import fold
from .answered import submission_times
from .common import (
    Columns, RowParser, answers_no, build_person, email_in_cell, fail, find_company, full_name,
    header_key, parse_count, person_name, single_code,
)
from .model import ImportedPerson
from .reading import Row
from .statuses import judged_status, status_cells, status_columns
from .sections import OTHER_SECTION, REFUSED_SECTION, SPEAKER_SECTION, Section, sections as find_sections

SOURCE = "csv"

FULL_NAME_TITLES = ("Name", "Full name", "Fullname", "Full_name", "Attendee name", "Attendee",
                    "Participant", "Participant name", "Guest name", "Display name",
                    "Your name", "Nom", "Nome", "Nombre", "Naam")
FIRST_NAME_TITLES = ("First name", "Firstname", "First_name", "Given name", "Forename", "First",
                     "Prénom", "Vorname", "Voornaam")
LAST_NAME_TITLES = ("Last name", "Lastname", "Last_name", "Surname", "Family name", "Last",
                    "Nom de famille", "Nachname", "Achternaam", "Cognome", "Apellidos", "Apellido",
                    "Sobrenome")
_NAME_KEYS = frozenset(header_key(title) for title in (*FULL_NAME_TITLES, *FIRST_NAME_TITLES, *LAST_NAME_TITLES))


# A "name" of digits and the marks of numbers, dates and times only: a workbook's number or date cell
# (an order number, a registration date: a slipped column) under the name's title in a hand-made list,
# which would greet "45621" at the door. (A platform's export has what each guest typed: left alone.)
_NUMBER_OR_DATE = re.compile(r"[\d\s.,:/+\-]+(?:T[\d.:+\-]+)?")  # "2026-11-26T00:00:00": a workbook's date


def names_a_column(cell: str) -> bool:
    """Whether a cell is the title of a name column ("Name", "Surname"): a line of it alone is a
    one-column list's header, not a title above the header."""
    return header_key(cell) in _NAME_KEYS


# Words that are a whole name alone but half of one beside their pair: French lists write
# "Nom;Prénom;Email;Téléphone;Entreprise" (Nom = family name), Italian ones "Nome,Cognome,Email"
# and Spanish "Nombre,Apellidos" (Nome/Nombre = given name), as exports on GitHub show.
FAMILY_NAME_BESIDE_GIVEN = ("Nom",)
GIVEN_NAME_BESIDE_FAMILY = ("Nome", "Nombre")
EMAIL_TITLES = ("Email", "E-mail", "Email address", "E-mail address", "Mail", "Email_address",
                # German, Dutch and Spanish, as pretix's translations of "Email address" write them
                # (locale/de, nl and es django.po), and French "Courriel" / "Adresse e-mail".
                "E-Mail-Adresse", "E-mailadres", "Correo electrónico", "Courriel", "Adresse e-mail")
# Microsoft Forms puts the respondent's account first, "ID,Start time,Completion time,Email,Name,..."
# ("anonymous" / "Anonymous" on a form open to anyone), then the form's own questions ("Your name",
# "First name", "Your email address"), as exports on GitHub show. The account is the last resort.
FORMS_ACCOUNT_SIGNATURE = ("Start time", "Completion time")
FORMS_ANONYMOUS = "anonymous"
# A form question that asks the name ("What is your name?", "Enter your full name", "Name as it
# should appear on your badge"), found when no column has a name title: the word "name" in a
# question or with "your"/"full"; the other words mean some other name, or only half of one.
_NAME_QUESTION = re.compile(r"(?=.*\bname\b)(?=.*(?:\?|\byour\b|\bfull\b))")
NAME_QUESTION_UNLESS = ("company", "organisation", "organization", "employer", "user", "nick",
                        "file", "event", "team", "project", "business", "school", "university",
                        "first", "given", "last", "family", "surname", "middle")
CODE_TITLES = ("Ticket code", "Code", "Barcode", "Barcode #", "QR code", "QR", "Ticket barcode",
               "Ticket ID", "Ticket number", "Ticket no", "Ticket #", "Ticket_code")
# A barcode column titled in the organiser's language, as a platform's translated report writes it
# (Eventbrite's attendee report in French has "N° de code-barres", in Spanish "N.º de código de
# barras"): the codes on the tickets people bring, so the list's ticket code. Such a report, read as
# a plain list, gave everyone the kiosk's own code, and every ticket scanned at the door was unknown.
BARCODE_WORDS = ("barcode", "code-barres", "code barre", "codes-barres", "código de barras", "codigo de barras",
                 "codice a barre", "código de barra")
# ...but not a column about the barcode ("Barcode scanned?", "Barcode gescannt"), whose Yes and No are no codes.
NOT_BARCODE_WORDS = ("scann", "check", "?")
# How many tickets a row stands for, in a list with one row per order rather than per person:
# Eventbrite's orders report ("Order #,Order Date,First Name,Last Name,Email,Quantity,Total Paid,
# Order Status,...", as public projects on GitHub parse it) lists the buyer once for all their tickets.
QUANTITY_TITLES = ("Quantity", "Ticket quantity", "Qty", "Number of tickets")
TICKET_TYPE_TITLES = ("Ticket type", "Ticket", "Type", "Category", "Registration type", "Ticket_type")


def row_parser(columns: Columns) -> RowParser:
    """Map whatever columns the list has, then turn each row into a person."""
    table = columns.table
    account_name, account_email = _forms_account(columns)
    fulls, first, last = _name_columns(columns, account_name)
    if not fulls and first is None:
        columns.require("name", "Name", "Full name", "First name")
    emails = _email_columns(columns, account_email)
    statuses = status_columns(columns)
    code = columns.find(*CODE_TITLES)
    if code is None:
        code = columns.find_containing(BARCODE_WORDS, unless=NOT_BARCODE_WORDS)
    ticket_type = columns.find(*TICKET_TYPE_TITLES)
    role = columns.find("Role", "Attendee type")
    guests = columns.find(*GUEST_TITLES)
    quantity = columns.find(*QUANTITY_TITLES) if guests is None else None
    company = find_company(columns, skip=(*fulls, first, last, *emails, account_name, account_email))
    sections = find_sections(table.rows)
    answered_again = _answered_again(columns, emails, fulls, first, last, sections) if code is None else set()
    shared_emails = _shared_emails(columns, emails, answered_again)
    seen: Counter[str] = Counter()

    def door_codes(row: Row) -> list[str]:
        """The list's own ticket code, as a store key; unusable codes are reported, not dropped."""
        return single_code(columns, row, code, plain_key,
                           lambda value: f"the ticket code {value[:40]!r} has characters a scanner "
                           "cannot type (use letters, digits and - _ . : / + = #)")

    def external_id(name: str, email_address: str | None, keys: list[str]) -> str:
        """csv:code:/csv:email:/csv:name:, independent of the row's place in the file."""
        if keys:
            base = f"csv:{keys[0]}"
        elif email_address in shared_emails:
            base = f"csv:email:{email_address}:name:{fold(name)}"
        elif email_address:
            base = f"csv:email:{email_address}"
        else:
            base = f"csv:name:{name.casefold()}"
        seen[base] += 1
        return base if seen[base] == 1 else f"{base}#{seen[base]}"

    def guest_count(row: Row) -> int:
        """The row's +1s: its Guests cell, or the tickets of its order beyond the buyer's own."""
        if quantity is not None:
            tickets = parse_count(table, row, columns.cell(row, quantity), columns.titles[quantity],
                                  maximum=999)
            return max(tickets - 1, 0)
        value = columns.cell(row, guests)
        if not value.strip().lstrip("+").isdigit():  # a form's "Bringing a +1?" answered in words
            return _guests_in_words(value)
        return parse_count(table, row, value, "Guests")

    def parse(row: Row) -> ImportedPerson | None:
        if row.line in answered_again:  # the same person answered the form again below: that answer counts
            return None
        section = sections.get(row.line)
        if section is not None and section.line == row.line:  # a heading, not a person
            return None
        names = person_name(table, row, _full_name(columns, row, fulls), *columns.cells(row, first, last))
        if _NUMBER_OR_DATE.fullmatch(names[0]):
            raise fail(table, row, f"the name is {names[0]!r}, a number or a date: is the name column the right one?")
        email_text = columns.first_filled(row, emails)
        keys = door_codes(row)
        status_text = judged_status(status_cells(columns, row, statuses))
        refused_here = not status_text and section is not None and section.kind == REFUSED_SECTION
        if refused_here:
            status_text = section.heading  # "Waitlist" above them, and no status of their own
        ticket = columns.cell(row, ticket_type)
        hints = (columns.cell(row, role), "speaker" if section is not None and section.kind == SPEAKER_SECTION else "")
        return build_person(
            row, names, email=email_text, company=columns.first_filled(row, company),
            status=status_text, attending=False if refused_here else None,
            external_id=external_id(names[0], email_in_cell(email_text), keys), codes=keys,
            guests=guest_count(row),
            ticket=ticket, role_hints=hints)

    return parse


_SECTION_RANK = {SPEAKER_SECTION: 2, OTHER_SECTION: 1, REFUSED_SECTION: 0}
GUEST_TITLES = ("Guests", "Plus ones", "+1", "Plus one", "Plus-one", "Plus 1", "Guest", "Number of guests",
                "No. of guests", "# of guests", "Additional guests", "Bringing a guest", "Bringing a +1",
                "Bringing a plus one", "Will you bring a guest", "Will you bring a +1")
_NO_GUEST = frozenset({"", "none", "nobody", "no one", "n/a", "na", "-", "–", "—"})


def _guests_in_words(value: str) -> int:
    """A +1 answered in words: none for a no ("No", "No, thanks", "none"), one for a yes or for
    anything else, which on such a form is the guest's name ("Yes, my partner Sam", "Sam Smith").
    Refusing the whole list over one free answer would leave the door with no list at all."""
    if answers_no(value) or value.strip().casefold() in _NO_GUEST:
        return 0
    return 1


def _forms_account(columns: Columns) -> tuple[int | None, int | None]:
    """(Name, Email) of the respondent's account in a Microsoft Forms export, else (None, None)."""
    if any(columns.find(title) is None for title in FORMS_ACCOUNT_SIGNATURE):
        return None, None
    return columns.find("Name"), columns.find("Email")


def _name_columns(columns: Columns, account: int | None
                  ) -> tuple[tuple[int, ...], int | None, int | None]:
    """(full-name columns in order of trust, first, last).

    "Nom" beside "Prénom" is the family name, and "Nome" or "Nombre" beside "Cognome" or
    "Apellidos" the given name, not the whole name. Without a name title, a form question
    that asks the name will do; a form account's name comes last, and only without a first name.
    """
    first = columns.find(*FIRST_NAME_TITLES)
    last = columns.find(*LAST_NAME_TITLES)
    if first is not None and last is None:
        last = columns.find(*FAMILY_NAME_BESIDE_GIVEN)
    if last is not None and first is None:
        first = columns.find(*GIVEN_NAME_BESIDE_FAMILY)
    full = columns.find(*FULL_NAME_TITLES)
    if full in (first, last, account):
        full = None
    if full is None and first is None:
        full = _name_question(columns, account)
    fallback = account if first is None else None
    return tuple(index for index in (full, fallback) if index is not None), first, last


def _name_question(columns: Columns, account: int | None) -> int | None:
    """The first column whose title is a question asking the attendee's name."""
    return next((index for index, key in enumerate(columns.keys)
                 if index != account and _NAME_QUESTION.match(key)
                 and not any(word in key for word in NAME_QUESTION_UNLESS)), None)


def _full_name(columns: Columns, row: Row, fulls: tuple[int, ...]) -> str:
    """The first full-name cell that holds a name ("Anonymous" from a form account does not)."""
    return next((value for value in (columns.cell(row, index) for index in fulls)
                 if value and value.casefold() != FORMS_ANONYMOUS), "")


def _email_columns(columns: Columns, account: int | None) -> tuple[int, ...]:
    """Email columns in order of trust: a titled one, else a form question that asks it
    ("Your email address"), then a form account's address."""
    email = columns.find(*EMAIL_TITLES)
    if email in (None, account):
        email = columns.find_containing(["email", "e-mail"], skip=(account,))
    return tuple(index for index in (email, account) if index is not None)


def _shared_emails(columns: Columns, emails: tuple[int, ...], left_out: set[int]) -> set[str]:
    """Addresses on more than one row of the file (read once, before any row is parsed), rows
    answered again (`left_out`, by line) aside."""
    counts = Counter(email_in_cell(columns.first_filled(row, emails)) for row in columns.table.rows
                     if row.line not in left_out)
    return {address for address, count in counts.items() if address and count > 1}


def _answered_again(columns: Columns, emails: tuple[int, ...], fulls: tuple[int, ...], first: int | None,
                    last: int | None, sections: dict[int, Section]) -> set[int]:
    """Lines of rows that a later row with the same email and the same name replaces.

    A form's response sheet keeps every submission: someone who answered "Yes", then "No, I can't
    make it", is two rows. Read as two people, one was let in and the other refused, and a
    re-sorted sheet moved a check-in between them. The answer that counts is the last one: by the
    form's submission time when the sheet has one (a sheet sorted by name is no longer in the
    order answered), else the last row, as forms append. A list without ticket codes only: two
    codes are two tickets.

    In a list with section headings, the rows' order is their sections', not the order answered:
    someone listed twice keeps the row of their best section (a speaker over an attendee over
    the waitlist)."""
    answered = submission_times(columns)
    rows: dict[tuple[str, str], list[Row]] = {}
    for row in columns.table.rows:
        email = email_in_cell(columns.first_filled(row, emails))
        name = fold(" ".join((_full_name(columns, row, fulls) or full_name(*columns.cells(row, first, last))).split()))
        if email and name:
            rows.setdefault((email, name), []).append(row)
    again: set[int] = set()
    for same in rows.values():
        timed = all(row.line in answered for row in same)  # a row added by hand, with no time: rows decide
        kept = max(same, key=lambda row: (_SECTION_RANK[_section_kind(sections, row)],
                                          answered[row.line] if timed else "", row.line))
        again.update(row.line for row in same if row is not kept)
    return again


def _section_kind(sections: dict[int, Section], row: Row) -> str:
    section = sections.get(row.line)
    return section.kind if section else OTHER_SECTION
