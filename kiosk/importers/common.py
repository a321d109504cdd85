"""Column lookup by name and the small rules every platform parser shares.

Columns are always found by their title, never by position: platforms add,
drop and reorder columns, and organisers delete the ones they do not need.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ..names import split_name
from ..textnorm import fold, is_blank
from .model import ImportedPerson, ImportFileError
from .reading import Row, Table

MAX_CELL_CHARS = 1000

# Status words that mean "do not let in at the door". Matched as substrings of the
# lower-cased status, so "Refunded", "refund requested" and "order_refunded" all count.
_NOT_ATTENDING_FRAGMENTS = (
    "not attending", "not going", "declin", "cancel", "refund", "void", "delet",
    "wait", "pending", "reject", "expired", "transferred", "unpaid",
    "not approved", "unapproved", "blocked",
    # The same words as pretix's translations write an order's state, which its "Order data" export
    # and lists trimmed from it carry (src/pretix/locale/<lang>/LC_MESSAGES/django.po): German
    # "Bestellung storniert / abgelaufen / abgelehnt", "Ausstehende Zahlungen", "Warteliste"; Dutch
    # "Bestelling geannuleerd / is verlopen / geweigerd", "Openstaande bestellingen", "Wachtlijst";
    # Spanish "Orden expirada", "Órdenes pendientes"; Brazilian "Ordens pendentes" (Spanish and
    # Portuguese "cancelado/cancelada" already contain "cancel"); French "Commande annulée /
    # expirée / rejeté"; and English "Order denied", an order refused approval.
    "storniert", "abgelaufen", "abgelehnt", "ausstehend", "warteliste",
    "geannuleerd", "verlopen", "geweigerd", "openstaand", "wachtlijst",
    "expir", "pendiente", "pendente", "annul", "rejet", "denied",
    # Refunded, deleted, not attending and waitlisted as a report exported in the organiser's
    # language says them (Eventbrite translates its statuses with its titles): German "Erstattet",
    # "Gelöscht", "Nimmt nicht teil"; Spanish and Portuguese "Reembolsado", Spanish "Eliminado",
    # "No asistirá", "Lista de espera"; French "Remboursé", "Supprimé", "Ne participe pas", "Liste
    # d'attente"; Italian "Rimborsato", "Eliminato", "Non partecipa", "Lista d'attesa"; Dutch
    # "Terugbetaald", "Verwijderd", "Neemt niet deel", "Afgemeld"; Portuguese "Excluído", "Não vai".
    # Common words, not a platform's verified strings: a refusal word in any language refuses.
    "erstattet", "gelöscht", "nicht teil", "abgesagt", "reembols", "eliminad", "no asist",
    "lista de espera", "rembours", "supprim", "ne particip", "attente", "rimbors", "eliminat",
    "non partecip", "attesa", "terugbetaal", "verwijder", "niet deel", "afgemeld", "excluíd",
    "não vai", "não particip",
    # What people and organisers type into a plain list's status or a form's "Will you attend?"
    # answer: "Not coming", "Will not attend", "Can't make it", "Unable to attend", "Withdrawn",
    # "Refused", "Removed"; Spanish "Rechazado", "Anulado"; German "Abgemeldet"; French
    # "Refusé", "Désinscrit", "Désisté"; Italian "Rifiutato", "Disdetto"; Dutch "Afgewezen";
    # Portuguese "Recusado". Matched without accents, so "Décliné" is "declin".
    "not coming", "not attend", "won't attend", "won't come", "won't make", "can't attend", "can't come",
    "can't make", "cannot attend", "cannot come", "cannot make", "can not attend", "can not come",
    "unable to attend", "unable to come", "unable to make", "withdr", "refus",
    "removed", "rechaz", "anulad", "abgemeldet", "desinscri", "desist", "rifiut", "disdett",
    "afgewezen", "recusad",
    # A registration or a payment that did not happen or was taken back, as plain lists and shop
    # exports say it: "Not registered", "Unregistered", "Deregistered", "Opted out", "Not paid",
    # "Payment failed", German "Nicht bezahlt" / "Unbezahlt", "Revoked", "Ticket returned",
    # "Resold", "On hold".
    "not registered", "unregister", "deregister", "opted out", "opt out", "not paid", "payment failed",
    "nicht bezahlt", "unbezahlt", "revoked", "returned", "resold", "on hold",
)
# What a yes/no cell says for "no". pretix writes its own _("No") in the organiser's language,
# so a German export says "Nein" (pretix locale/de/LC_MESSAGES/django.po: msgid "No" -> "Nein"),
# a Dutch one "Nee" and a Brazilian one "Não" (locale/nl and locale/pt_BR, same msgid).
NO_WORDS = frozenset({"no", "n", "false", "0", "nein", "non", "nee", "não"})
_NOT_ATTENDING_EXACT = {fold(word) for word in NO_WORDS | {"not attending", "absent"}}
# "Invited" is Luma's guest who was invited and has not accepted, and refuses alone or with a note
# ("Invited (not accepted)"); "Invited speaker" in an organiser's own sheet is someone asked to come.
_INVITED = re.compile(r"\binvited\b(?! +[a-z0-9])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
# How an address arrives when it was copied from a mail program rather than typed: as a
# name-addr, "Ada Lovelace <ada@example.org>" (RFC 5322 section 3.4), or as a link, "mailto:ada@...".
_NAME_ADDR = re.compile(r"[^<>]*<\s*([^<>\s]+)\s*>")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
# What Excel writes for a number longer than 11 digits when a CSV is opened and saved again:
# a 25-digit Eventbrite barcode or a 13-digit EAN becomes "1.12119E+24", its digits gone.
_EXCEL_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?E\+[0-9]{1,3}", re.IGNORECASE)


def header_key(title: str) -> str:
    """Comparable form of a column title: case-folded, NFKC, single spaces, no trailing colon."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(text.split()).rstrip(":").strip()


class Columns:
    """Finds columns of a table by title and reads cleaned, length-checked cells by them."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.titles = table.header
        self.keys = [header_key(title) for title in table.header]
        # The titles as a form asks them: "Attending?" is the "Attending" column, "Company?" the company.
        self.unasked = [key.rstrip("?").rstrip() for key in self.keys]
        self.twins = _same_titled(self.keys)
        # (line, column) -> why a row's platform code was left out (single_code's `optional`)
        self.set_aside: dict[tuple[int, int], str] = {}

    def find(self, *candidates: str) -> int | None:
        """Index of the first column whose title equals one of the candidates, in candidate order
        (a trailing question mark aside, which a form's question titles carry)."""
        for candidate in candidates:
            key = header_key(candidate)
            for titles in (self.keys, self.unasked):
                if key in titles:
                    return titles.index(key)
        return None

    def find_containing(self, words: Iterable[str], skip: Iterable[int | None] = (),
                        unless: Iterable[str] = ()) -> int | None:
        """Index of the first column whose title contains one of the words (custom questions),
        and none of the `unless` words."""
        skipped = {index for index in skip if index is not None}
        lowered = [header_key(word) for word in words]
        excluded = [header_key(word) for word in unless]
        for index, key in enumerate(self.keys):
            if index not in skipped and any(word in key for word in lowered) and not any(
                    word in key for word in excluded):
                return index
        return None

    def require(self, what: str, *candidates: str) -> int:
        """Index of a column the format cannot do without, or an error on the header line."""
        index = self.find(*candidates)
        if index is None:
            raise ImportFileError(
                self.table.path, self.table.header_line,
                f"has no {what} column (expected one titled {' or '.join(repr(c) for c in candidates)})")
        return index

    def cell(self, row: Row, index: int | None, label: str | None = None) -> str:
        """Whitespace-normalised text of a cell ('' for a missing column), at most 1000 characters.

        A blank cell in a column whose title the header repeats (two "Email" columns, after
        merging two lists) reads the first filled column of that title instead.
        """
        if index is None:
            return ""
        index = next((twin for twin in self.twins.get(index, [index]) if row.cells[twin].strip()),
                     index)
        value = " ".join(row.cells[index].split())
        if not value.isascii() and is_blank(value):
            return ""  # a zero-width space or a soft hyphen alone: a blank cell, as it looks
        if len(value) > MAX_CELL_CHARS:
            title = label or self.titles[index] or f"column {index + 1}"
            raise ImportFileError(
                self.table.path, row.line,
                f"the {title!r} value is {len(value)} characters long (the limit is {MAX_CELL_CHARS})")
        return value

    def first_filled(self, row: Row, indices: Iterable[int]) -> str:
        """The first non-blank of several cells that say the same thing ('' when all are blank)."""
        return next((value for value in (self.cell(row, index) for index in indices) if value), "")

    def cells(self, row: Row, *indices: int | None) -> tuple[str, ...]:
        """Several cells at once, read (and length-checked) in the order given."""
        return tuple(self.cell(row, index) for index in indices)


def _same_titled(keys: list[str]) -> dict[int, list[int]]:
    """For each column whose title appears more than once, every column with that title, in order."""
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        if key:
            groups.setdefault(key, []).append(index)
    return {index: group for group in groups.values() if len(group) > 1 for index in group}


class RowParser(Protocol):
    """What each platform module provides: set up from the header, then one person per row (or
    None for a row that is no one of its own, such as a form answered again further down)."""

    def __call__(self, row: Row) -> ImportedPerson | None: ...


def fail(table: Table, row: Row, reason: str) -> ImportFileError:
    """An error about one row, ready to raise."""
    return ImportFileError(table.path, row.line, reason)


def join_name(*parts: str) -> str:
    """A display name from its parts, skipping empty ones."""
    return " ".join(part for part in parts if part)


# Chinese, Japanese and Korean letters: Han ideographs (with their extensions and 々), kana, Hangul.
_EAST_ASIAN = re.compile("[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff"
                         "\u3130-\u318f\uac00-\ud7af\U00020000-\U0003134f]+")


def full_name(first: str, last: str) -> str:
    """The name as its owner writes it, from a given and a family name column.

    "Ada Lovelace"; but a Chinese, Japanese or Korean name is written family name first and
    without a space: given 小明 and family 王 is 王小明 (read as "小明 王", the badge and the
    volunteers' search showed it backwards). The greeting still uses the given name."""
    if first and last and _EAST_ASIAN.fullmatch(first) and _EAST_ASIAN.fullmatch(last):
        return last + first
    return join_name(first, last)


def person_name(table: Table, row: Row, full: str, first: str, last: str) -> tuple[str, str, str]:
    """(name, first, last) from whichever of full name / first / last the row has; never empty."""
    name = full or full_name(first, last)
    if not name:
        raise fail(table, row, "the name is empty")
    if not first and not last:
        family_first = _family_comma_given(name)
        if family_first:
            last, first = family_first
            return full_name(first, last), first, last
        first, last = split_name(name)
    return name, first, last


# Lower-case words inside a family name ("van der Berg", "de la Cruz", "bin Said").
_SURNAME_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "la", "le", "di", "da", "du", "dos", "das",
    "ter", "ten", "bin", "al",
})
# What may follow a comma in a name without being a given name: "Ada Lovelace, PhD", "Acme, Inc.".
_NAME_SUFFIXES = frozenset({
    "jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "msc", "bsc", "ma", "ba", "esq", "cpa", "dds",
    "inc", "ltd", "llc", "gmbh", "plc", "ag", "sa", "bv",
})


def _family_comma_given(name: str) -> tuple[str, str] | None:
    """(family, given) of a name written "Lovelace, Ada", as lists sorted by surname and exports
    from member and CRM databases write it; None for any other name.

    Split at the first word, "Lovelace, Ada" would greet "Lovelace," at the door. A degree or a
    company form after the comma ("Ada Lovelace, PhD", "Acme, Inc.") is not a given name. Only
    one surname (with its particles: "van der Berg") before the comma counts: two words there
    are as often a whole name followed by a company or a city ("Ada Lovelace, Acme"), and turning
    that round would print "Acme Ada Lovelace" on the badge; such a name is kept as written.
    """
    family, comma, given = name.partition(",")
    family, given = family.strip(), given.strip()
    surnames = [word for word in family.split() if word.casefold() not in _SURNAME_PARTICLES]
    if not comma or "," in given or not given or len(surnames) != 1 or not _name_words(family + given):
        return None
    if given.replace(".", "").casefold() in _NAME_SUFFIXES:
        return None
    return family, given


def _name_words(text: str) -> bool:
    """Only what names are written with: letters, spaces, apostrophes, hyphens, full stops (a formula
    or a quoted phrase with a comma in it is not a name to turn round)."""
    return all(ch.isalpha() or ch in " '’.-" for ch in text)


def normalise_email(value: str) -> str | None:
    """Lower-cased address, or None for blanks and placeholders like 'n/a' that are not addresses.

    "Ada <ada@example.org>" and "mailto:ada@example.org" give the bare address: kept whole, the
    first was dropped as no address and the second stored as one no mail program can use.
    """
    email = value.strip()
    name_addr = _NAME_ADDR.fullmatch(email)
    if name_addr:
        email = name_addr.group(1)
    email = _MAILTO.sub("", email).lower()
    if not email or not _EMAIL.fullmatch(email):
        return None
    return email


def email_in_cell(value: str) -> str | None:
    """The address an import stores for a cell: the cell's one address, else the first of the
    several a cell may hold ("ana@x.com; ben@y.com", "ana@x.com, ben@y.com", "Ana <ana@x.com>,
    Ben <ben@y.com>", "ana@x.com ben@y.com"), None when there is none.

    Read whole, such a cell was no address at all: the person was stored without one, keyed by
    name alone and not found by a search for either address. The first is the row's own person's,
    as a family or a colleague's address comes after it."""
    parts = (*re.split(r"[;,]", value), *value.split())  # "ana@x.com;" is ana@x.com, not the whole cell
    return next((email for email in map(normalise_email, parts) if email), None)


def is_attending(status: str) -> bool:
    """Whether a platform status lets someone in; an empty status means yes.

    An answer that is a no followed by a reason ("No, I can't make it", "No - sorry") is a no;
    "No charge (speaker)", "Non-member" and "Not sure" are not. A refusal word anywhere refuses,
    also in a note ("Confirmed (moved off waitlist)"): a volunteer can let such a person in, and
    nobody can take back someone let in by mistake."""
    folded = fold(status.replace("’", "'")).strip()
    text = " ".join(folded.replace("_", " ").replace("-", " ").split())
    if not text:
        return True
    if text in _NOT_ATTENDING_EXACT or _NO_AND_A_REASON.match(folded):
        return False
    if _INVITED.search(text):
        return False
    return not any(fragment in text for fragment in _FOLDED_FRAGMENTS)


_FOLDED_FRAGMENTS = tuple(dict.fromkeys(fold(fragment) for fragment in _NOT_ATTENDING_FRAGMENTS))
_NO_AND_A_REASON = re.compile(r"(?:no|nope|nein|nee|nao)\s*[,.;:!(/–—-]")


def says_no(value: str) -> bool:
    """Whether a yes/no cell says no ("No", "false", "0", German "Nein"); blank is not a no."""
    return value.strip().casefold() in NO_WORDS


def answers_no(value: str) -> bool:
    """A form's free answer that is a no: a plain no, or one with a reason ("No, thanks", "No - sorry")."""
    return says_no(value) or bool(_NO_AND_A_REASON.match(fold(value).strip()))


def role_from(*values: str) -> str:
    """'speaker' when a ticket type, role or tag mentions it, else 'attendee'."""
    return "speaker" if any("speaker" in value.casefold() for value in values) else "attendee"


def parse_count(table: Table, row: Row, value: str, label: str, maximum: int = 99) -> int:
    """A small non-negative whole number such as a guest count; blank means 0."""
    text = value.strip().lstrip("+")
    if not text:
        return 0
    if not text.isdigit() or int(text) > maximum:
        raise fail(table, row,
                   f"the {label!r} value {value!r} is not a whole number from 0 to {maximum}")
    return int(text)


COMPANY_TITLES: tuple[str, ...] = (
    "Company", "Company Name", "Company name", "Organisation", "Organization", "Organisation name",
    "Organization name", "Org", "Employer", "Affiliation", "Firm", "Firma",
    "Société",  # pretix's French "Company" (locale/fr/LC_MESSAGES/django.po)
    # pretix's "Company" in Dutch, Italian, Brazilian Portuguese and Spanish (locale/nl, it, pt_BR, es)
    "Bedrijf", "Azienda", "Empresa", "Compañía",
    "Entreprise",  # French participant lists ("Nom;Prénom;Email;Téléphone;Entreprise", GitHub)
)
COMPANY_WORDS: tuple[str, ...] = (
    "company", "organisation", "organization", "employer", "affiliation", "work for",
    "where do you work",  # a registration form's question, as Google Forms exports it
    # The same questions in other languages: a Luma guest export on GitHub asks "¿Para qué empresa
    # trabajas?" (Spanish); Portuguese "empresa", French "entreprise", Italian "azienda", Dutch
    # "bedrijf", German "Unternehmen", Spanish "organización".
    "empresa", "entreprise", "azienda", "bedrijf", "unternehmen", "organización",
)
# Questions about the company that do not ask its name: "Company size" must not print "11-50" on a badge,
# nor "Ruc de la empresa" (the company's Peruvian tax number, asked beside the name above) its number.
COMPANY_DETAIL_WORDS: tuple[str, ...] = (
    "size", "employees", "how many", "industry", "sector", "type", "website", "url", "role", "position",
    "tax", "vat", "ruc", "cnpj", "nif", "cif", "siret", "tamaño", "taille",
)


def find_company(columns: Columns, titles: Sequence[str] = COMPANY_TITLES,
                 skip: Iterable[int | None] = ()) -> tuple[int, ...]:
    """The company columns, read with :meth:`Columns.first_filled`: a known title, then a question
    that mentions a company.

    A pretix check-in list can have both its Company column and a "Which company do you work
    for?" question; someone who left one blank may have answered the other.
    """
    titled = columns.find(*titles)
    question = columns.find_containing(COMPANY_WORDS, skip=(*skip, titled), unless=COMPANY_DETAIL_WORDS)
    return tuple(index for index in (titled, question) if index is not None)


def nonempty(value: str) -> str | None:
    """None instead of an empty string, for optional fields."""
    return value or None


def excel_rounded(value: str) -> bool:
    """Whether a code cell is a long number that Excel rounded into scientific notation."""
    return bool(_EXCEL_SCIENTIFIC.fullmatch(value.strip()))


def excel_rounded_error(columns: Columns, row: Row, value: str, label: str) -> ImportFileError:
    """The error for a code Excel destroyed: saying why beats "not a code", since the fix is
    to import the file as downloaded (or format the column as Text before saving)."""
    return fail(columns.table, row,
                f"the {label!r} value {value.strip()!r} is a long number Excel rounded when the "
                "file was saved; import the file as downloaded, without saving it in Excel")


def single_code(columns: Columns, row: Row, index: int | None, to_key: Callable[[str], str | None],
                problem: Callable[[str], str], *, optional: bool = False) -> list[str]:
    """The store key of a one-code cell, [] when blank.

    A code that does not convert is never silently dropped: the organiser would otherwise find
    out at the door, when the scan fails. In the organiser's own list it is an error (they can
    fix it); a platform's code (``optional``) is set aside and reported by
    :func:`codes_set_aside`, since nobody can fix the platform's export at 18:20 and refusing
    every guest over one odd link left the door without a list.
    """
    value = columns.cell(row, index)
    if not value:
        return []
    if excel_rounded(value):
        raise excel_rounded_error(columns, row, value, columns.titles[index])
    key = to_key(value)
    if key is None:
        if not optional:
            raise fail(columns.table, row, problem(value))
        assert index is not None  # a blank cell returned above
        columns.set_aside[(row.line, index)] = problem(value)
        return []
    return [key]


def codes_set_aside(columns: Columns, people: list[ImportedPerson]) -> list[str]:
    """One warning per platform code left out of the import, naming the line and the person,
    whom it marks (``code_set_aside``); the file is refused when none of a column's codes is usable.

    A column where every filled cell fails is no odd row but the wrong file or column: refused at
    its first line, as every unusable code was before.
    """
    for index in sorted({column for _, column in columns.set_aside}):
        lines = sorted(line for line, column in columns.set_aside if column == index)
        if len(lines) == sum(1 for row in columns.table.rows if columns.cell(row, index)):
            raise ImportFileError(columns.table.path, lines[0], columns.set_aside[(lines[0], index)])
    by_line = {person.line: person for person in people}
    warnings = []
    for (line, _), reason in sorted(columns.set_aside.items()):
        person = by_line.get(line)
        if person is not None:
            person.code_set_aside = True
        who = person.name if person is not None else "its ticket"
        warnings.append(f"line {line}: {reason}; {who} was imported without it: that code will not scan "
                        "at the door, the kiosk's own ticket and a search by name will")
    return warnings


def build_person(row: Row, names: tuple[str, str, str], *, email: str, company: str,
                 status: str, external_id: str, codes: list[str], ticket: str = "",
                 role_hints: Sequence[str] = (), attending: bool | None = None,
                 guests: int = 0, named: bool = True, refusal: str = "") -> ImportedPerson:
    """One person from raw cell texts, cleaned the same way for every platform.

    ``names`` comes from :func:`person_name`, called by the platform before it
    works out ids and codes so a row with several problems reports the same
    one first. ``attending`` defaults to what ``status`` says; platforms whose
    refusal lives in other columns (Tito's void, pretix's paid/blocked) pass it.
    ``role_hints`` are extra cells, besides the ticket type, that may say speaker. ``refusal`` is
    a "No" from a status column the platform does not know (statuses.other_refusals): it refuses
    whatever the platform's own status says, and is shown beside it.
    """
    name, first, last = names
    if refusal:
        attending = False
        status = f"{status}; {refusal}" if status else refusal
    return ImportedPerson(
        line=row.line,
        name=name,
        first_name=first,
        last_name=last,
        email=email_in_cell(email),
        company=nonempty(company),
        attending=is_attending(status) if attending is None else attending,
        platform_status=status,
        external_id=external_id,
        codes=codes,
        guests=guests,
        named=named,
        role=role_from(ticket, *role_hints),
        ticket_type=nonempty(ticket),
    )
