"""pretix's check-in list export (CSV with commas, or semicolons for Excel).

Columns, from pretix's checkinlists exporter: Order code, Attendee name, one
"Attendee name: <part>" column per part of the event's name scheme (Given name,
Family name, Title, Calling name...), Product, Price, Checked in, Checked out,
Automatically checked in, Paid (only when pending orders are included), Secret
(only when "Include QR-code secret" was ticked), E-mail, Phone number, question
answers, Company, Voucher code, Order date, ..., Blocked, Valid from, Valid until.
The Secret is exactly what the ticket's QR code holds.

The check-in list is sorted by attendee name and has no position id, so a row's
place within its order changes when a ticket is renamed or a position cancelled.
People are therefore keyed on the Secret (hashed: the key is not a door code),
and only without one on the order code and the row's place in the order.

Add-on positions (a T-shirt or a workshop seat bought with a ticket) are rows of their own in
both exports. The check-in list gives them the parent's attendee name and email and has no column
that says they are add-ons (checkinlists/exporters.py, every stored version), so there they stay
rows like any other: nothing tells them from a second ticket of the same name. The "Order data"
export's position sheet of current pretix has an "Add-on to position ID" column (the parent's
Position ID in the same order); a row with one is no one of its own, and its Secret becomes a
second door code of the parent, so scanning an add-on ticket that pretix printed checks in its
holder, unless it names an attendee other than the parent's (a companion ticket): that is
somebody else coming (see ``_addons``).

A list the organiser trimmed of its Order code column is still pretix's when its other titles say
so: an attendee-name column, the Paid column and one more of the check-in list's own columns (see
:func:`trimmed_list`). Read as a plain list, its unpaid rows ("Paid: No") were let in. Without order
codes, people are keyed on the Secret, else on their email and name.

Titles are also accepted in German, French, Dutch, Spanish, Italian and Brazilian
Portuguese, as pretix's own translations write them (pretix/pretix
src/pretix/locale/<lang>/LC_MESSAGES/django.po, and de_Informal for the "Du"
locale, where it differs; see the titles below): pretix writes an export in the
language of the organiser who downloads it. A German export writes "Ja"/"Nein"
for Yes/No, so an unpaid order reads "bezahlt: Nein" (Dutch: "Nee").
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable

from ..platform_codes import pretix_key
from ..textnorm import fold
from .common import (
    Columns, RowParser, build_person, fail, find_company, header_key, is_attending, join_name,
    person_name, says_no, single_code,
)
from .model import ImportedPerson, ImportFileError
from .reading import Row
from .statuses import other_refusals

SOURCE = "pretix"

_ORDER_CODE = re.compile(r"[A-Z0-9]{3,16}")

# Column titles in English and as pretix's German translations write them. The German ones
# were looked up in pretix/pretix src/pretix/locale/de/LC_MESSAGES/django.po (msgid -> msgstr,
# e.g. "Order code" -> "Bestellnummer", "Paid" -> "bezahlt") and, where the "Du" locale
# differs, src/pretix/locale/de_Informal/LC_MESSAGES/django.po ("Attendee name" -> "Name
# des/der Teilnehmer*in", "Attendee email" -> "Teilnehmer*innen-E-Mail").
# French ones from src/pretix/locale/fr/LC_MESSAGES/django.po (commit 003d958c, 2019): "Order code"
# -> "Code de commande", "Attendee name" -> "Nom du participant", "Product" -> "Produit",
# "Attendee email" -> "Adresse mail du participant", "Company" -> "Société" (in COMPANY_TITLES).
# Dutch (nl), Italian (it) and Brazilian Portuguese (pt_BR) from the same files at commit
# 003d958c (2019): "Order code" -> "Bestelcode" / "Codice ordine" / "Código do pedido", "Attendee
# name" -> "Naam van aanwezige" / (untranslated in it) / "Nome do participante", "Product" ->
# "Product" / (untranslated) / "Produto", "Secret" -> "Geheim" (nl), "Attendee email" ->
# "E-mailadres van aanwezige" / "E-mail do participante", "Position ID" -> "Plaatsnummer" (nl),
# "Company" -> "Bedrijf" / "Azienda" / "Empresa" (in COMPANY_TITLES).
# Spanish (es) from src/pretix/locale/es/LC_MESSAGES/django.po at commit 0031abf3: "Order code" ->
# "Código de la orden", "Attendee name" -> "Nombre del participante", "Product" -> "Producto",
# "E-mail" -> "Correo electrónico", "Attendee email" -> "Correo electrónico del participante",
# "Ticket secret" -> "Secreto del ticket", "Position ID" -> "ID de posición", "Blocked" ->
# "Bloqueado", "Company" -> "Compañía" (in COMPANY_TITLES).
ORDER_TITLES = ("Order code", "Bestellnummer", "Code de commande", "Bestelcode", "Codice ordine",
                "Código do pedido", "Código de la orden")
ATTENDEE_NAME_TITLES = ("Attendee name", "Name Teilnehmer*in", "Name des/der Teilnehmer*in",
                        "Nom du participant", "Naam van aanwezige", "Nome do participante",
                        "Nombre del participante")
NAME_TITLES = (*ATTENDEE_NAME_TITLES, "Name")
PRODUCT_TITLES = ("Product", "Item", "Produkt", "Produit", "Produto", "Producto")
# The check-in list's own column is _("Secret") (checkinlists/exporters.py), Spanish "Secreto" (es
# django.po at commit 0031abf3, msgid "Secret" referenced from checkinlists/exporters.py:485); the
# "Order data" export's is _("Ticket secret"), "Secreto del ticket".
SECRET_TITLES = ("Secret", "Ticket secret", "Geheim", "Secreto", "Secreto del ticket")
# The "Order data" export's position sheet has both the attendee's email and the order's (the
# buyer's, in "Email"; pretix/base/exporters/orderlist.py iterate_positions); the check-in list has
# one "E-mail", the attendee's or else the order's. The attendee's own address is read first.
ATTENDEE_EMAIL_TITLES = ("Attendee email", "E-Mail Teilnehmer*in", "Teilnehmer*innen-E-Mail",
                         "Adresse mail du participant", "E-mailadres van aanwezige",
                         "E-mail do participante", "Correo electrónico del participante")
ORDER_EMAIL_TITLES = ("E-mail", "Email", "Correo electrónico")
# "betaald" is how the Dutch file translates the PDF list's "paid" column (msgctxt "tablehead");
# titles compare case-folded, so the CSV's "Betaald" matches it too.
# Spanish "Pagado": the es file (commit 0031abf3) writes the PDF list's msgctxt "tablehead" "paid" as
# "pagado" and "Paid (or canceled with paid fee)" as "Pagado (...)"; the CSV's own msgid "Paid" was
# not found in the stored file, so this is the word pretix uses for it elsewhere, not its entry.
# The stored Italian and Brazilian files (2019) leave these titles untranslated: English "Paid".
PAID_TITLES = ("Paid", "bezahlt", "betaald", "Pagado")
POSITION_TITLES = ("Position ID", "Position", "Plaatsnummer", "ID de posición")
# "Gesperrt" was mapped before; the stored django.po (2021) predates the Blocked column.
BLOCKED_TITLES = ("Blocked", "Gesperrt", "Bloqueado")
# An order's status as pretix's REST API writes it, one letter (doc/api/resources/orders.rst: "n"
# pending, "p" paid, "e" expired, "c" canceled), in lists made from the API rather than exported. A
# pending order is refused as the check-in list's "Paid: No" is; "p" is the only one let in.
STATUS_TITLES = ("Status", "Order status")
API_STATUSES = {"n": "pending", "p": "paid", "e": "expired", "c": "canceled"}
# The "Order data" position sheet's column naming the parent of an add-on position, as a project
# importing that sheet documents it against pretix's source ("Add-on to position ID", English only:
# no translation of it was found; stored pretix versions of orderlist.py predate it).
ADDON_TO_TITLES = ("Add-on to position ID",)

# pretix writes one column per part of the event's name scheme, titled _("Attendee name:
# {part}") with the part's label: "Teilnehmer*innenname: {part}" in German, the labels
# "Given name"/"First name" -> "Vorname", "Calling name" -> "Rufname", "Family name" -> "Nachname".
# In Spanish (es django.po, commit 0031abf3) the title is "Nombre del participante: {part}" and the
# labels (pretix/base/settings.py, PERSON_NAME_SCHEMES) "Given name" -> "Nombre", "Family name" ->
# "Apellido", "First name" -> "Primer Nombre", "Calling name" -> "Nombre preferido". The other
# languages translate "Attendee name: {part}" as they translate "Attendee name" (a title followed by
# a colon and the label), so each attendee-name title above also prefixes a part.
# Keys are compared case-folded (see header_key).
_NAME_PART_PREFIXES = ("attendee name: ", "teilnehmer*innenname: ")
_GIVEN_PARTS = ("given name", "first name", "calling name", "vorname", "rufname", "nombre",
                "primer nombre", "nombre preferido")
_FAMILY_PARTS = ("family name", "last name", "surname", "nachname", "apellido")


# Titles of the check-in list's own columns (checkinlists/exporters.py, CSVCheckinList.iterate_list)
# that a list made by hand seldom has; with the Paid column and an attendee name they make a list
# trimmed of its order codes pretix's.
CHECKIN_LIST_TITLES = (*PRODUCT_TITLES, *SECRET_TITLES, *BLOCKED_TITLES, "Checked in", "Checked out",
                       "Automatically checked in", "Requires special attention", "Voucher code", "Seat ID",
                       "Valid from", "Valid until")


def looks_like(columns: Columns) -> bool:
    """pretix's order code next to its attendee or product columns, or next to a status column of
    the API's one-letter order statuses (a list made from pretix's API); or a check-in list whose
    order codes were deleted."""
    if columns.find(*ORDER_TITLES) is None:
        return trimmed_list(columns)
    return (columns.find(*ATTENDEE_NAME_TITLES, *PRODUCT_TITLES, *SECRET_TITLES) is not None
            or api_statuses(columns, columns.find(*STATUS_TITLES)))


def trimmed_list(columns: Columns) -> bool:
    """Whether a header is pretix's check-in list with its Order code column deleted: the attendee
    name (or its parts), the Paid column and one more column of the check-in list's own.

    Detection fell back to a plain list, which knows nothing of "Paid", and let unpaid orders in.
    A plain list with a column titled "Paid" is left alone: there "No" may mean a free guest.
    """
    named = columns.find(*ATTENDEE_NAME_TITLES) is not None or bool(_name_parts(columns))
    return named and columns.find(*PAID_TITLES) is not None and columns.find(*CHECKIN_LIST_TITLES) is not None


def api_statuses(columns: Columns, index: int | None) -> bool:
    """Whether a status column holds pretix's one-letter API statuses: every filled cell one of
    n, p, e, c (in any case), and at least one filled.

    Read one cell at a time, "c" and "e" said nothing and were let in, while "n" was a no. Only a
    whole column of these letters in a pretix list is read so: elsewhere "C" may well be confirmed.
    """
    if index is None:
        return False
    letters = {columns.cell(row, index).casefold() for row in columns.table.rows} - {""}
    return bool(letters) and letters <= API_STATUSES.keys()


def order_summary(columns: Columns) -> bool:
    """Whether a header is the Orders sheet of pretix's "Order data" export: order codes with the
    buyer's name, no attendee or product columns (pretix/base/exporters/orderlist.py, iterate_orders).
    A plain list would fit it, listing buyers instead of the people their tickets are for."""
    return columns.find(*ORDER_TITLES) is not None and not looks_like(columns)


def _pretix_columns(columns: Columns, parts: dict[str, int]) -> bool:
    """Whether a header has a column only pretix's exports have, beside a plain "Name".

    A list chosen as pretix's by mistake (another platform's export, a sheet with an RSVP column)
    was read as pretix's with a "Name" column alone: its own status column went unread, and the
    people who said No or were waitlisted were let in."""
    return bool(parts) or columns.find(*ORDER_TITLES, *ATTENDEE_NAME_TITLES, *PAID_TITLES, *SECRET_TITLES,
                                       *PRODUCT_TITLES, *POSITION_TITLES, *BLOCKED_TITLES, *ADDON_TO_TITLES,
                                       "Checked in", "Voucher code") is not None or api_statuses(
        columns, columns.find(*STATUS_TITLES))


def _name_parts(columns: Columns) -> dict[str, int]:
    """The "Attendee name: <part>" columns, keyed by the lower-cased part label (any language)."""
    parts: dict[str, int] = {}
    prefixes = (*_NAME_PART_PREFIXES, *(header_key(title) + ": " for title in ATTENDEE_NAME_TITLES))
    for index, key in enumerate(columns.keys):
        prefix = next((p for p in prefixes if key.startswith(p)), None)
        if prefix is not None:
            parts.setdefault(key[len(prefix):], index)
    return parts


def row_parser(columns: Columns) -> RowParser:
    """Map pretix's columns once, then turn each order position into a person."""
    table = columns.table
    order = columns.find(*ORDER_TITLES)  # an organiser may have deleted it (see trimmed_list)
    full = columns.find(*NAME_TITLES)
    parts = _name_parts(columns)
    if full is None and not parts:
        columns.require("attendee name", *ATTENDEE_NAME_TITLES)
    if not _pretix_columns(columns, parts):
        raise ImportFileError(
            table.path, table.header_line,
            "has none of pretix's own columns (Order code, Attendee name, Paid, Secret, Product...), so "
            "the status its platform gives each person would not be read and everyone would be let in; "
            "import it with its own platform as the source, or detected automatically")
    given = next((parts[p] for p in _GIVEN_PARTS if p in parts), None)
    family = next((parts[p] for p in _FAMILY_PARTS if p in parts), None)
    emails = tuple(index for index in (columns.find(*ATTENDEE_EMAIL_TITLES),
                                       columns.find(*ORDER_EMAIL_TITLES)) if index is not None)
    company = find_company(columns, skip=parts.values())
    product = columns.find(*PRODUCT_TITLES)
    secret = columns.find(*SECRET_TITLES)
    paid = columns.find(*PAID_TITLES)
    status = columns.find(*STATUS_TITLES)
    lettered = api_statuses(columns, status)
    blocked = columns.find(*BLOCKED_TITLES)
    position = columns.find(*POSITION_TITLES)
    refused_by = other_refusals(columns, own=(status, paid, blocked))

    def written_name(row: Row) -> str:
        """The attendee's name as the row writes it, whole or in parts ("" when none is asked)."""
        return columns.cell(row, full) or join_name(*(columns.cell(row, index) for index in parts.values()))

    addon_lines, addon_codes = _addons(columns, order, position, columns.find(*ADDON_TO_TITLES), secret, written_name)
    seen_orders: Counter[str] = Counter()
    seen_people: Counter[str] = Counter()

    def status_of(row: Row) -> tuple[bool, str]:
        """(attending, status text): cancelled, unpaid or blocked tickets are refused."""
        texts, attending = [], True
        order_status = columns.cell(row, status)
        if lettered and order_status:
            order_status = API_STATUSES[order_status.casefold()]
        if order_status:
            texts.append(order_status)
            attending = is_attending(order_status)
        paid_text = columns.cell(row, paid)
        if paid_text:
            texts.append(f"Paid: {paid_text}")
            attending = attending and not says_no(paid_text)
        blocked_text = columns.cell(row, blocked)
        if blocked_text and not says_no(blocked_text):
            texts.append("Blocked")
            attending = False
        return attending, "; ".join(texts)

    def external_id(row: Row, code: str, name: str) -> str:
        """The position's stable key: its Position ID, else its secret, else its place in the order.

        Only the last one moves when the list is re-sorted, so it is the last resort. Without order
        codes, a Position ID says nothing (each order counts from 1) and there are no places: the
        secret, else the email and name (a second row of both gets "#2").
        """
        if order is None:
            return _key_without_order(columns.cell(row, secret), columns.first_filled(row, emails), name,
                                      seen_people)
        seen_orders[code] += 1
        number = columns.cell(row, position)
        if number:
            if not number.isdigit():
                raise fail(table, row, f"the Position ID {number!r} is not a number")
            return f"{SOURCE}:{code}-{int(number)}"
        ticket_secret = columns.cell(row, secret)
        if ticket_secret:
            digest = hashlib.sha256(ticket_secret.encode("utf-8")).hexdigest()[:20]
            return f"{SOURCE}:{code}-secret-{digest}"
        return f"{SOURCE}:{code}-{seen_orders[code]}"

    def codes(row: Row, code: str) -> list[str]:
        """The QR secret, when the export includes it, then those of the position's add-ons."""
        number = columns.cell(row, position)
        parent = (code, str(int(number)) if number.isdigit() else number)
        return [*_secret_key(columns, row, secret), *addon_codes.get(parent, [])]

    def names(row: Row, code: str) -> tuple[tuple[str, str, str], bool]:
        """The attendee's name, and whether there is one: an event that asks none has only the
        email, or just the order, to list the person by (and no name to greet them by)."""
        full_name = written_name(row)
        given_name, family_name = columns.cells(row, given, family)
        listed_as = columns.first_filled(row, emails) or (f"Order {code}" if code else "")
        if not (full_name or given_name or family_name) and listed_as:
            return (listed_as, "", ""), False
        return person_name(table, row, full_name, given_name, family_name), True

    def parse(row: Row) -> ImportedPerson | None:
        if row.line in addon_lines:  # a T-shirt or a workshop seat of someone listed on their own row
            return None
        code = columns.cell(row, order).upper()
        if order is not None and not _ORDER_CODE.fullmatch(code):
            raise fail(table, row, f"the Order code {code!r} is not a pretix order code")
        attending, status_text = status_of(row)
        ticket = columns.cell(row, product)
        name, named = names(row, code)
        person = build_person(
            row, name, named=named, email=columns.first_filled(row, emails),
            company=columns.first_filled(row, company), status=status_text, attending=attending,
            refusal=refused_by(row),
            external_id=external_id(row, code, name[0]), codes=codes(row, code), ticket=ticket)
        person.placed = order is not None and not (columns.cell(row, position) or columns.cell(row, secret))
        return person

    return parse


def _key_without_order(ticket_secret: str, email: str, name: str, seen: Counter[str]) -> str:
    """A position's key in a list without order codes: its secret (hashed), else its email and name.

    A secret key is found again when the full list, with order codes, is imported after the trimmed
    one or before it (the stored door code is the same; list_import._adopted_by_door_code)."""
    if ticket_secret:
        return f"{SOURCE}:secret-{hashlib.sha256(ticket_secret.encode('utf-8')).hexdigest()[:20]}"
    base = f"{SOURCE}:person:{email.strip().lower()}:{fold(name)}"
    seen[base] += 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def _secret_key(columns: Columns, row: Row, secret: int | None) -> list[str]:
    """The store key of a row's QR secret ([] without one); the message never echoes the secret."""
    return single_code(columns, row, secret, pretix_key, lambda _: "the Secret is not a pretix ticket secret",
                       optional=True)


def _addons(columns: Columns, order: int | None, position: int | None, addon_to: int | None,
            secret: int | None, name_of: Callable[[Row], str]) -> tuple[set[int], dict[tuple[str, str], list[str]]]:
    """(lines of add-on rows, the door codes of each parent's add-ons keyed by (order, Position ID)).

    Only the "Order data" export says which rows are add-ons, in its "Add-on to position ID" column;
    the parent is the position of that number in the same order. An add-on counted as a person
    raised the expected headcount, and its ticket, when pretix prints one, belongs to the parent.
    An add-on with a name of its own (`name_of`), another than its parent's, is somebody else's
    admission (a companion ticket, a workshop day for a colleague): a person of their own, not a
    code of the parent. One without a name whose parent is not in the file is left out all the same.
    """
    lines: set[int] = set()
    codes: dict[tuple[str, str], list[str]] = {}
    if addon_to is None or order is None:  # a Position ID is only a position within its order
        return lines, codes
    parents = {(columns.cell(row, order).upper(), str(int(number))): fold(name_of(row))
               for row in columns.table.rows if (number := columns.cell(row, position)).isdigit()}
    for row in columns.table.rows:
        parent = columns.cell(row, addon_to)
        if not parent:
            continue
        if not parent.isdigit():
            raise fail(columns.table, row, f"the 'Add-on to position ID' {parent!r} is not a number")
        key = (columns.cell(row, order).upper(), str(int(parent)))
        own = fold(name_of(row))
        if own and own != parents.get(key):
            continue
        lines.add(row.line)
        codes.setdefault(key, []).extend(_secret_key(columns, row, secret))
    return lines, codes
