"""An attendee list imported into an evening: each row found as the person it already is, or added.

A row is matched to a stored person by its platform key, else by what a changed export still
shares with them: the kiosk's own ticket (a report imported again), an Eventbrite order, the
name, a walk-in's email and name, or another platform's listing of the same email (a meetup
cross-posted). What the list says is written; the check-in never is (see ``attendees``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import sqlite_utils

from . import clock, importers
from .attendees import insert
from .events import Event
from .importers import ImportBatch, ImportedPerson, ImportFileError
from .names import split_name
from .textnorm import clean, fold, search_text


@dataclass
class ImportSummary:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    not_attending: int = 0
    kept_check_ins: int = 0
    missing: int = 0  # still expected from an earlier list of this platform, but not in this file
    missing_removed: bool = False  # whether those were marked not attending
    missing_names: list[str] = field(default_factory=list)  # the first few of them, by name
    added_ids: list[int] = field(default_factory=list)
    encoding: str | None = None  # how the file's text was read; None for a spreadsheet
    imported_before: str | None = None  # another evening this same file went into ("Name (date)")
    names_kept: int = 0  # stored names not replaced by the file's copy with "?" for their letters
    merged: int = 0  # people another platform's list had, found by their email: one person, listed twice
    missing_still_coming: int = 0  # of the missing marked not attending: those another platform's list still lets in
    warnings: list[str] = field(default_factory=list)  # rows imported without their platform code, by line and name

    def as_dict(self) -> dict[str, Any]:
        """The summary for the organiser who imported (names of missing people included)."""
        return {**{k: v for k, v in self.__dict__.items() if k != "added_ids"}, "encoding_note": self.encoding_note()}

    def counts(self) -> dict[str, Any]:
        """The summary without names: for the audit trail and the screens' live feed."""
        return {k: v for k, v in self.as_dict().items()
                if k not in ("missing_names", "encoding_note", "imported_before", "warnings")}

    def encoding_note(self) -> str | None:
        """A word for the organiser when the file was not Unicode: the one case where names may be wrong."""
        kept = (f"{self.names_kept} stored name(s) kept: the file has \"?\" in place of their letters "
                "(saved in an encoding that cannot hold them)." if self.names_kept else None)
        return " ".join(note for note in (GUESSED_ENCODING_NOTES.get(self.encoding or ""), kept) if note) or None


# A file that is not UTF-8 was read in the encoding its bytes fit best: a guess, so the organiser is asked to look.
GUESSED_ENCODING_NOTES = {
    "cp1252": "The file was read as Windows-1252, what Excel on Windows saves as \"CSV (Comma delimited)\": "
              "check that accented names look right.",
    "cp1250": "The file was read as Windows-1250 (Central European), what Excel on a Polish or Czech computer "
              "saves as \"CSV (Comma delimited)\": check that accented names look right.",
    "cp1253": "The file was read as Windows-1253 (Greek), what Excel on a Greek computer saves as "
              "\"CSV (Comma delimited)\": check that the names look right.",
    "cp1251": "The file was read as Windows-1251 (Cyrillic), what Excel on a Russian, Ukrainian or Bulgarian "
              "computer saves as \"CSV (Comma delimited)\": check that the names look right.",
    "mac_roman": "The file was read as Mac Roman, what Excel for Mac saves as \"Comma Separated Values\": "
                 "check that accented names look right.",
}


# What a list says of the person (written by their first listing) and of its own listing.
PERSON_FIELDS = ("name", "first_name", "last_name", "email", "company", "role", "ticket_type", "search_text")
LISTING_FIELDS = ("attending", "platform_status", "guests")
# Platforms whose lists of one evening may name the same person, found by email (_listed_elsewhere).
# Meetup's download has no email; plain lists (speakers, guests) are the organiser's own.
CROSS_POSTED = frozenset({"eventbrite", "luma", "tito", "pretix"})
PLATFORM_NAMES = {"eventbrite": "Eventbrite", "luma": "Luma", "tito": "Tito", "pretix": "pretix",
                  "meetup": "Meetup", "csv": "List", "walk-in": "Walk-in"}

MISSING_STATUS = "Not in the latest list"
MISSING_NAMES_SHOWN = 5

Progress = Callable[[int, int], None]


def upsert_batch(db: sqlite_utils.Database, event: Event, master: bytes, batch: ImportBatch,
                 remove_missing: bool = False, progress: Progress | None = None) -> ImportSummary:
    """Add new people, update known ones by their platform id; never touch a check-in.

    People of the same platform who are not in the file are counted and named in the
    summary; with ``remove_missing`` they are also marked not attending (pretix leaves
    cancelled orders out of its list). Runs inside the caller's write transaction, so a
    failure part-way imports nothing. ``progress(done, total)`` follows the rows.
    """
    summary = ImportSummary(source=batch.source, encoding=batch.encoding, warnings=list(batch.warnings))
    _check_distinct_keys(batch)
    existing = _listed(db, event)
    _check_code_owners(batch, existing)
    stored_codes = _door_codes(db, event)
    own = _own_tickets(batch, existing)
    adopted = {**_adopted_by_door_code(batch, existing, stored_codes, own), **own}
    adopted.update(_adopted_by_order(batch, existing, adopted))
    adopted.update(_adopted_by_name(batch, existing, adopted))
    adopted.update(_adopted_across_reports(batch, existing, adopted, stored_codes))
    adopted.update(_adopted_walk_ins(batch, existing, adopted))
    repaired = _repaired_places(batch, existing)
    elsewhere = _listed_elsewhere(batch, existing, adopted, repaired)
    # A list that carries no door codes at all (Eventbrite's summary report, a plain list without a
    # code column) says nothing about them: the codes an earlier list gave stay, so the tickets scan.
    carries_codes = any(person.codes for person in batch.people if person.external_id not in own)
    codes_in_use = {row[0] for row in db.execute("SELECT ticket_code FROM attendees")}
    _let_go_of_places(db, repaired, existing)
    matched: set[str] = set()  # the stored listings this file names
    others = _other_platforms(existing)
    for person in importers.with_progress(batch.people, progress):
        fields = _fields(person, batch.source, person.external_id)
        summary.not_attending += 0 if person.attending else 1
        key = person.external_id
        old = repaired[key] if key in repaired else existing.get(key) or adopted.get(key)
        if old is not None:
            matched.add(old["external_id"])
        if key in own:  # the kiosk's own ticket: the person keeps the key and codes of their platform
            fields.update(external_id=old["external_id"], source=old["source"])
        if old is None and key in elsewhere:
            attendee_id = _add_listing(db, event, elsewhere[key], fields)
            others.setdefault(attendee_id, set()).add(_platform(key))
            summary.merged += 1
            summary.kept_check_ins += 1 if elsewhere[key]["checked_in_at"] else 0
        elif old is None:
            attendee_id = insert(db, event, master, fields, codes_in_use)
            summary.added += 1
            summary.added_ids.append(attendee_id)
        else:
            attendee_id = old["id"]
            fields, kept = _without_lost_letters(old, fields)
            summary.names_kept += kept
            if not person.named and old["first_name"]:
                fields = _with_stored_name(old, fields)
            whole = key in own and old["listings"] > 1
            changed = _update_whole_person(db, old, fields) if whole else _update(db, old, fields)
            summary.updated += 1 if changed else 0
            summary.unchanged += 0 if changed else 1
            summary.kept_check_ins += 1 if old["checked_in_at"] else 0
        stored = _listing_codes(stored_codes.get(attendee_id, []), others.get(attendee_id, set()) - {_platform(key)})
        codes = _codes_to_store(person, stored)
        if carries_codes and key not in own and set(codes) != set(stored):
            _replace_door_codes(db, event, attendee_id, codes, stored)
    _handle_missing(db, batch, existing, matched, remove_missing, summary)
    return summary


def _check_distinct_keys(batch: ImportBatch) -> None:
    """Every row must have its own key: numbering repeats in file order would let a re-sorted
    list hand one person's record and check-in to another (the importers make keys unique)."""
    seen: set[str] = set()
    for person in batch.people:
        if person.external_id in seen:
            raise ValueError(f"two people in one batch share the key {person.external_id!r}")
        seen.add(person.external_id)


def _check_code_owners(batch: ImportBatch, existing: dict[str, Any]) -> None:
    """Refuse a plain list whose ticket codes mostly belong to other people already stored.

    A plain list's own codes key its people, so a second list numbered from 1 like the first
    (speakers, then guests), or a list renumbered after a row was deleted, would otherwise
    rename the people already stored and hand them each other's check-ins. A row with the
    stored person's email, or a name sharing a word with theirs (a typo fixed, a surname added,
    letters Excel wrote as "?"), is the same person. An update of the same list has a few
    tickets passed on to someone else at most; when at least half of the rows whose code is
    stored name someone else, the file is refused at the first of them, and nothing is imported."""
    stored = [(person, existing[person.external_id]) for person in batch.people
              if person.external_id.startswith("csv:code:") and person.external_id in existing]
    others = [(person, old) for person, old in stored if not _plausibly_same(old, person)]
    if not others or len(others) * 2 < len(stored):
        return
    person, old = others[0]
    code = person.external_id.removeprefix("csv:code:").split("#")[0]
    raise ImportFileError(batch.path, person.line, (
        f"the ticket code {code!r} belongs to {old['name']} on the stored list, not to {person.name}, and "
        f"{len(others)} of the {len(stored)} codes already stored name other people: two lists numbered "
        "alike would swap people and their check-ins. Give one list's codes a prefix (S1, S2...) or leave "
        "its code column out"))


def _plausibly_same(old: Any, person: ImportedPerson) -> bool:
    if old["email"] and person.email and old["email"] == person.email:
        return True
    return _lost_letters(old["name"], person.name) or bool(_name_words(old["name"]) & _name_words(person.name))


def _name_words(name: str) -> set[str]:
    """A name's words that say something about who it is: not "de", "van", "al" or an initial."""
    return {word for word in fold(name).replace(".", " ").split() if len(word) > 2 and word not in _PARTICLES}


_PARTICLES = frozenset({"von", "van", "der", "den", "della", "dos", "das", "bin", "ibn"})


def _door_codes(db: sqlite_utils.Database, event: Event) -> dict[int, list[str]]:
    """Each attendee's stored door codes, read once so unchanged people cost no writes."""
    codes: dict[int, list[str]] = {}
    for attendee_id, code in db.execute("SELECT attendee_id, code FROM door_codes WHERE event_id = ?", [event.id]):
        codes.setdefault(attendee_id, []).append(code)
    return codes


def _own_tickets(batch: ImportBatch, existing: dict[str, Any]) -> dict[str, Any]:
    """Stored people a row names by the kiosk's own ticket code (K1-...), keyed by the row's key.

    The attendance report and `kiosk attendees` list everyone with that code: the report edited in
    a spreadsheet (a few people added, a company fixed) and imported again was read as a new plain
    list, and everyone in it was added a second time, their check-ins left with the first. The
    code is the ticket the kiosk printed for that very person, whichever platform they came from,
    when the row still names them (their email, or a word of their name): codes pasted onto the
    wrong rows of a re-sorted sheet must not rename people and hand them each other's check-ins."""
    keys = {person.external_id for person in batch.people}
    by_code = {f"code:{row['ticket_code']}": row for key, row in existing.items() if key not in keys}
    own: dict[str, Any] = {}
    taken: set[int] = set()
    for person in batch.people:
        if person.external_id in existing:
            continue
        row = next((by_code[code] for code in person.codes if code in by_code), None)
        if row is not None and row["id"] not in taken and _plausibly_same(row, person):
            own[person.external_id] = row
            taken.add(row["id"])
    return own


def _adopted_by_door_code(batch: ImportBatch, existing: dict[str, Any],
                          stored_codes: dict[int, list[str]], own: dict[str, Any]) -> dict[str, Any]:
    """Stored people a new key belongs to, found by the platform ticket code they share.

    When a platform's key changes form (pretix positions were once keyed by their
    place in the order, now by the secret), the ticket's own code still says who it is.
    Only people of the same platform whose old key is not in this file are adopted.
    """
    keys = {person.external_id for person in batch.people}
    taken = {row["id"] for row in own.values()}  # found by their kiosk ticket (_own_tickets)
    by_id: dict[int, list[Any]] = {}
    for key, row in existing.items():
        if key not in keys and row["id"] not in taken:
            by_id.setdefault(row["id"], []).append(row)
    owner = {code: _listing_of(code, by_id[attendee_id]) for attendee_id, codes in stored_codes.items()
             if attendee_id in by_id for code in codes}
    adopted: dict[str, Any] = {}
    for person in batch.people:
        if person.external_id in existing or person.external_id in own:
            continue
        row = next((owner[code] for code in person.codes if code in owner), None)
        if row is not None and _platform(row["external_id"]) == _platform(person.external_id):
            adopted[person.external_id] = row
            owner = {code: r for code, r in owner.items() if r["id"] != row["id"]}
    return adopted


def _listing_of(code: str, listings: list[Any]) -> Any:
    """Which of a person's listings a door code of theirs is: the one of its platform, when they have several."""
    return next((row for row in listings if _platform(row["external_id"]) == _platform(code)), listings[-1])


def _adopted_by_order(batch: ImportBatch, existing: dict[str, Any], adopted: dict[str, Any]) -> dict[str, Any]:
    """Stored people of an Eventbrite summary report whose ticket is now alone in its order.

    A ticket alone in its order is keyed on the order ("eventbrite:order:X"), one of several also
    on its name ("eventbrite:order:X:ada lovelace"), as every ticket was before: when the order's
    other tickets leave the report, or a list imported by an older version is imported again, the
    same person arrives under the order alone. The stored key of that order not in this file is
    theirs: the only one, or else the one under their name."""
    keys = {person.external_id for person in batch.people}
    taken = {row["id"] for row in adopted.values()}
    by_order: dict[str, list[Any]] = {}
    for key, row in existing.items():
        parts = key.split(":", 3)
        if len(parts) == 4 and parts[:2] == ["eventbrite", "order"] and key not in keys and row["id"] not in taken:
            by_order.setdefault(":".join(parts[:3]), []).append(row)
    found: dict[str, Any] = {}
    for person in batch.people:
        rows = by_order.get(person.external_id, [])
        same_name = [row for row in rows if fold(row["name"]) == fold(clean(person.name))]
        chosen = same_name if len(same_name) == 1 else rows
        if person.external_id not in existing and person.external_id not in adopted and len(chosen) == 1:
            found[person.external_id] = chosen[0]
    return found


def _adopted_by_name(batch: ImportBatch, existing: dict[str, Any], adopted: dict[str, Any]) -> dict[str, Any]:
    """Stored people of a plain list whose key changed while their name did not.

    A plain list keys people on their ticket code, else their email, else their name: the
    updated list that corrects an email (or adds the email column a first list lacked) gives
    the same person a new key. Without this they would be added again, and a check-in already
    made would stay with the old record while the door admitted the new one too. Only a name
    that one new key and one stored person left behind share is matched, two people of one
    name staying apart, and only when the file is an update of the stored list (see _same_list):
    another plain list (the speakers after the guests, or the guests after the speakers) is not,
    and its namesakes are other people."""
    keys = {person.external_id for person in batch.people}
    taken = {row["id"] for row in adopted.values()}
    stored = {key: row for key, row in existing.items()
              if _platform(key) == "csv" and not row["is_walk_in"] and row["id"] not in taken}
    new: dict[str, list[ImportedPerson]] = {}
    for person in batch.people:
        if _platform(person.external_id) == "csv" and person.external_id not in existing \
                and person.external_id not in adopted:
            new.setdefault(fold(clean(person.name)), []).append(person)
    if not new or not _same_list(stored, batch):
        return {}
    left: dict[str, list[Any]] = {}
    for key, row in stored.items():
        if key not in keys:
            left.setdefault(fold(row["name"]), []).append(row)
    found = {people[0].external_id: left[name][0] for name, people in new.items()
             if len(people) == 1 and len(left.get(name, [])) == 1}
    return {**found, **_adopted_by_found_letters(
        [people[0] for name, people in new.items() if name not in left and len(people) == 1],
        [row for rows in left.values() for row in rows if "?" in row["name"]])}


def _adopted_by_found_letters(people: list[ImportedPerson], rows: list[Any]) -> dict[str, Any]:
    """The stored people whose name was imported with "?" for letters (Excel's "CSV (Comma
    delimited)" writes "Nguy?n" for "Nguyễn"), each found by the file that has the letters again.

    The organiser who saw the question marks saves the list as "CSV UTF-8" and imports it again:
    matched on the name as written, everyone with such a letter was added a second time, with
    their check-in left on the old copy. A match must be one stored name and one name of the file."""
    stored: dict[str, list[Any]] = {}
    for row in rows:
        stored.setdefault(_marked(row["name"]), []).append(row)
    claims: dict[str, list[ImportedPerson]] = {}
    for person in people:
        claims.setdefault(_marked(clean(person.name)), []).append(person)
    return {claimants[0].external_id: stored[mark][0] for mark, claimants in claims.items()
            if len(claimants) == 1 and len(stored.get(mark, [])) == 1
            and _lost_letters(clean(claimants[0].name), stored[mark][0]["name"])}


def _marked(name: str) -> str:
    """A name with each letter outside ASCII as "?", casefolded: the same for "Nguyễn Van An"
    and the "Nguy?n Van An" a code page without "ễ" made of it."""
    return "".join(ch if ch.isascii() else "?" for ch in name).casefold()


def _adopted_across_reports(batch: ImportBatch, existing: dict[str, Any], adopted: dict[str, Any],
                            stored_codes: dict[int, list[str]]) -> dict[str, Any]:
    """Stored Eventbrite tickets a list of the other Eventbrite report names again.

    The attendee report keys a ticket on its Attendee #, the Attendee summary report (which has
    none) on its order: a list downloaded as one report and later as the other would add every
    ticket twice. Both know the order (the classic one in the barcode it stored, order + Attendee
    # + "001"), and within an order a ticket is told by its holder's name, or by being the one
    left on both sides."""
    keys = {person.external_id for person in batch.people}
    taken = {row["id"] for row in adopted.values()}
    left: dict[str, list[Any]] = {}
    for key, row in existing.items():
        order = _eventbrite_order(key, stored_codes.get(row["id"], []))
        if order and key not in keys and row["id"] not in taken:
            left.setdefault(order, []).append(row)
    new: dict[str, list[ImportedPerson]] = {}
    for person in batch.people:
        order = _eventbrite_order(person.external_id, person.codes)
        if order and person.external_id not in existing and person.external_id not in adopted:
            new.setdefault(order, []).append(person)
    found: dict[str, Any] = {}
    for order, people in new.items():
        found.update(_same_tickets(people, left.get(order, [])))
    return found


def _adopted_walk_ins(batch: ImportBatch, existing: dict[str, Any], adopted: dict[str, Any]) -> dict[str, Any]:
    """Walk-ins the list now has a ticket for: the same email and the same name.

    Someone registered at the door who then bought a ticket (or whom the organiser added on the
    platform) is one person: without this a re-import adds them again, and their ticket checks
    in a second record. The names must be the same, or one within the other ("Larry" and
    "Larry Late"): a family sharing one email are different people; a row with no name at all
    (added by email alone) fits by its email. Only a walk-in that exactly one new row fits is taken,
    and only one no list has named yet: a later platform's list of them adds a listing
    (``_listed_elsewhere``) rather than taking the first platform's away."""
    taken = {row["id"] for row in adopted.values()}
    walk_ins = [row for row in existing.values() if row["is_walk_in"] and row["email"] and row["id"] not in taken
                and _platform(row["external_id"]) == "walk-in"]
    if not walk_ins:
        return {}
    fits: dict[int, list[ImportedPerson]] = {}
    for person in batch.people:
        if person.external_id in existing or person.external_id in adopted or not person.email:
            continue
        rows = [row for row in walk_ins if row["email"] == _email(person)
                and (not person.named or _one_name_within(row["name"], person.name))]
        if len(rows) == 1:
            fits.setdefault(rows[0]["id"], []).append(person)
    by_id = {row["id"]: row for row in walk_ins}
    return {people[0].external_id: by_id[row_id] for row_id, people in fits.items() if len(people) == 1}


def _one_name_within(name: str, other: str) -> bool:
    """"Larry" and "Larry Late", or the same name: one person. "Anna Schmidt" and "Peter Schmidt",
    who share a family email, are two."""
    words, other_words = set(fold(name).split()), set(fold(other).split())
    return bool(words) and bool(other_words) and (words <= other_words or other_words <= words)


def _eventbrite_order(key: str, codes: Iterable[str]) -> str | None:
    """The order of an Eventbrite ticket: in a summary report's key ("eventbrite:order:X..."), or
    in the barcode of an attendee report's ticket ("eventbrite:<Attendee #>")."""
    platform, _, rest = key.partition(":")
    if platform != "eventbrite":
        return None
    if rest.startswith("order:"):
        return rest.split(":")[1] or None
    suffix = f"{rest}001"
    barcodes = (code.partition(":")[2] for code in codes if code.startswith("eventbrite:"))
    return next((digits[:-len(suffix)] for digits in barcodes
                 if rest.isdigit() and digits.endswith(suffix) and len(digits) > len(suffix)), None)


def _same_tickets(people: list[ImportedPerson], rows: list[Any]) -> dict[str, Any]:
    """New tickets of one order paired with the stored ones of the other report: by the holder's
    name, then the one left on each side. A report's own keys never change, so only a ticket keyed
    the other way is paired (an attendee report's new Attendee # is another ticket). Tickets under
    one name on both sides (a buyer's two unassigned tickets) are paired in order, as many as
    both sides have: nothing tells them apart, and each is one of the order's tickets."""
    summary = _summary_key(people[0].external_id)  # one file is one report
    rows = sorted((row for row in rows if _summary_key(row["external_id"]) != summary), key=lambda row: row["id"])
    pairs: dict[str, Any] = {}
    by_name: dict[str, list[ImportedPerson]] = {}
    for person in people:
        by_name.setdefault(fold(clean(person.name)), []).append(person)
    for name, named in by_name.items():
        for person, row in zip(named, [row for row in rows if fold(row["name"]) == name]):
            pairs[person.external_id] = row
            rows.remove(row)
    rest = [person for person in people if person.external_id not in pairs]
    if len(rest) == 1 and len(rows) == 1:
        pairs[rest[0].external_id] = rows[0]
    return pairs


def _summary_key(key: str) -> bool:
    """Whether an Eventbrite key is the Attendee summary report's (keyed on the order)."""
    return key.startswith("eventbrite:order:")


def _same_list(stored: dict[str, Any], batch: ImportBatch) -> bool:
    """Whether a file is an update of the stored plain list: each holds at least half of the
    other's people, found by their key or by their name.

    Both ways, because a list that merely contains the stored one is no update of it: the 237
    guests imported after three speakers hold two of them, and a guest who bears the third
    speaker's name is someone else."""
    keys = {person.external_id for person in batch.people}
    names = {fold(clean(person.name)) for person in batch.people}
    marked_names = {_marked(clean(person.name)) for person in batch.people}
    stored_names = {fold(row["name"]) for row in stored.values()}
    stored_marked = {_marked(row["name"]) for row in stored.values() if "?" in row["name"]}  # see _adopted_by_found_letters
    kept = sum(1 for key, row in stored.items() if key in keys or fold(row["name"]) in names
               or ("?" in row["name"] and _marked(row["name"]) in marked_names))
    known = sum(1 for person in batch.people
                if person.external_id in stored or fold(clean(person.name)) in stored_names
                or _marked(clean(person.name)) in stored_marked)
    return kept * 2 >= len(stored) and known * 2 >= len(batch.people)


def _repaired_places(batch: ImportBatch, existing: dict[str, Any]) -> dict[str, Any]:
    """Who each row keyed only by its place in its order is (``ImportedPerson.placed``): key -> the
    stored person, or None for someone new.

    pretix's check-in list without its Secret column is sorted by name, so renaming Ana to Zoe
    puts Bea first: by place, Bea got Ana's record and check-in, and Zoe got Bea's. Within an
    order, a row goes first to the stored person of its name (one each way), then to its place's
    stored person if nobody took them, then to the order's stored people left, in order."""
    orders: dict[str, list[ImportedPerson]] = {}
    for person in batch.people:
        if person.placed:
            orders.setdefault(person.external_id.rsplit("-", 1)[0], []).append(person)
    repaired: dict[str, Any] = {}
    for order, people in orders.items():
        stored = [row for key, row in existing.items() if _place(key, order) is not None]
        if stored:
            repaired.update(_pair_in_order(people, stored, existing))
    return repaired


_PLACE = re.compile(r"(\d+)(?:~\d+)?")


def _place(key: str, order: str) -> int | None:
    """A stored key's place in `order` ("pretix:Q1W2E-2"; "...-2~17" once let go of), else None."""
    head, _, tail = key.rpartition("-")
    found = _PLACE.fullmatch(tail) if head == order else None
    return int(found[1]) if found else None


def _let_go_of_places(db: sqlite_utils.Database, repaired: dict[str, Any], existing: dict[str, Any]) -> None:
    """Before people change places in their order: a stored person whose place another row now
    takes lets go of that key (keys are unique), for a while if a row of the file is them (it
    gets its new place when written), for good if none is (they are then reported missing)."""
    for key, row in existing.items():
        if key in repaired and (repaired[key] is None or repaired[key]["id"] != row["id"]):
            _rename_listing(db, row, f"{key}~{row['id']}")


def _pair_in_order(people: list[ImportedPerson], stored: list[Any], existing: dict[str, Any]) -> dict[str, Any]:
    """One order's rows paired with its stored people (see _repaired_places)."""
    new_names = Counter(fold(clean(person.name)) for person in people)
    old_names = Counter(fold(row["name"]) for row in stored)
    named = {fold(row["name"]): row for row in stored if old_names[fold(row["name"])] == 1}
    pairs: dict[str, Any] = {}
    for person in people:
        name = fold(clean(person.name))
        if new_names[name] == 1 and name in named:
            pairs[person.external_id] = named[name]
    taken = {row["id"] for row in pairs.values()}
    order = people[0].external_id.rsplit("-", 1)[0]
    free = {row["id"]: row for row in sorted(stored, key=lambda row: _place(row["external_id"], order))
            if row["id"] not in taken}
    for person in people:  # then its own place's person, if nobody took them
        own = existing.get(person.external_id)
        if person.external_id not in pairs and own is not None and own["id"] in free:
            pairs[person.external_id] = free.pop(own["id"])
    for person in people:  # then the order's people left, in their order; else someone new
        if person.external_id not in pairs:
            pairs[person.external_id] = free.pop(next(iter(free))) if free else None
    return pairs


def _platform(key: str) -> str:
    """The platform part of a key ("pretix" of "pretix:ABC12-1"; "csv" for CSV and XLSX lists)."""
    return key.split(":", 1)[0]


def _without_lost_letters(old: Any, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The fields with the stored name and company kept where the file's copy only has "?" in
    place of letters (Excel's "CSV (Comma delimited)" writes "Nguy?n" for "Nguyễn", "???" for
    Greek): the badge must not print question marks. Returns the fields and whether any was kept."""
    kept = {key: old[key] for key in ("name", "first_name", "last_name", "company")
            if fields[key] and old[key] and fields[key] != old[key] and _lost_letters(old[key], fields[key])}
    if not kept:
        return fields, False
    return _keeping(fields, kept), "name" in kept


def _with_stored_name(old: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """A row the platform holds no name for (ImportedPerson.named) keeps the name stored before:
    a walk-in who gave it at the door, later added on the platform by email alone, is still
    greeted and badged by it."""
    return _keeping(fields, {key: old[key] for key in ("name", "first_name", "last_name")})


def _keeping(fields: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The fields with `stored` values put back, and what search matches made from them."""
    fields = {**fields, **stored}
    fields["search_text"] = search_text(fields["name"], fields["email"], fields["company"])
    return fields


def _lost_letters(stored: str, new: str) -> bool:
    """Whether `new` is `stored` with some of its non-ASCII letters written as "?"."""
    if "?" not in new or len(new) != len(stored):
        return False
    return all(a == b or (b == "?" and not a.isascii()) for a, b in zip(stored, new))


def _update(db: sqlite_utils.Database, old: Any, fields: dict[str, Any]) -> bool:
    """Write what the list changed about a known person's listing (and an adopted key); False if
    nothing did. The name, email, company and role are the person's first listing's (``own``):
    a second platform's list of them changes only what that listing says (coming, guests)."""
    changed = _update_listing(db, old, fields)
    changes = {k: fields[k] for k in PERSON_FIELDS if old["own"] and old[k] != fields[k]}
    if old["listings"] == 1:  # the list says what the door reads, as the row has it (several: _derive)
        changes.update({k: fields[k] for k in LISTING_FIELDS if old["person"][k] != fields[k]})
    if old["checked_in_at"]:  # their party came as the door counted it: a later list does not recount it
        changes.pop("guests", None)
    if changes:
        changes["updated_at"] = clock.now_iso()
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db.execute(f"UPDATE attendees SET {assignments} WHERE id = ?", [*changes.values(), old["id"]])
    if changed and old["listings"] > 1:
        _derive(db, old["id"])
    return changed or bool(changes)


def _update_listing(db: sqlite_utils.Database, old: Any, fields: dict[str, Any]) -> bool:
    """Write the listing's own part (its key, whether it says they come, its status and guests)."""
    if fields["external_id"] != old["external_id"]:
        _rename_listing(db, old, fields["external_id"])
    changes = {k: fields[k] for k in LISTING_FIELDS if old[k] != fields[k]}
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db.execute(f"UPDATE listings SET {assignments} WHERE id = ?", [*changes.values(), old["listing_id"]])
    return bool(changes) or fields["external_id"] != old["external_id"]


def _rename_listing(db: sqlite_utils.Database, listing: Any, new_key: str) -> None:
    """Give a listing (a row of ``_listed``) a new key, and its person too when it is their own listing."""
    db.execute("UPDATE attendees SET external_id = ? WHERE id = ? AND external_id = "
               "(SELECT external_id FROM listings WHERE id = ?)", [new_key, listing["id"], listing["listing_id"]])
    db.execute("UPDATE listings SET external_id = ? WHERE id = ?", [new_key, listing["listing_id"]])


def _add_listing(db: sqlite_utils.Database, event: Event, person: Any, fields: dict[str, Any]) -> int:
    """List a stored person a second time, from another platform (``_listed_elsewhere``); returns their id."""
    db.execute("INSERT INTO listings (event_id, attendee_id, source, external_id, attending, platform_status, guests) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", [event.id, person["id"], fields["source"], fields["external_id"],
                                                 fields["attending"], fields["platform_status"], fields["guests"]])
    _derive(db, person["id"])
    return person["id"]


def _derive(db: sqlite_utils.Database, attendee_id: int) -> None:
    """Set what the door reads on a person listed by several platforms: coming when any listing
    says so; the guests of the largest party among the listings that decide it (one person
    bringing one guest on both lists is a party of two, not three; unchanged once checked in);
    each listing's status, named by its platform."""
    rows = db.execute("SELECT l.source, l.attending, l.platform_status, l.guests FROM listings l "
                      "JOIN attendees a ON a.id = l.attendee_id WHERE l.attendee_id = ? "
                      "ORDER BY l.external_id != a.external_id, l.id", [attendee_id]).fetchall()
    attending = max(row["attending"] for row in rows)
    guests = max(row["guests"] for row in rows if row["attending"] == attending)
    status = "; ".join(f"{PLATFORM_NAMES.get(row['source'], row['source'])}: {row['platform_status']}"
                       for row in rows if row["platform_status"])
    db.execute("UPDATE attendees SET attending = ?, platform_status = ?, updated_at = ?, "
               "guests = CASE WHEN checked_in_at IS NULL THEN ? ELSE guests END WHERE id = ?",
               [attending, status, clock.now_iso(), guests, attendee_id])


def _update_whole_person(db: sqlite_utils.Database, old: Any, fields: dict[str, Any]) -> bool:
    """A row found by the kiosk's own ticket (the report edited and imported again) speaks for the
    person, not for one of their listings: a status it changes (the organiser wrote not_attending
    beside someone Eventbrite and Luma both list) goes to every listing, where it went to the first
    alone and the other still let them in; one it leaves as the listings give it changes none.
    False if nothing changed."""
    decided = fields["attending"] != old["person"]["attending"]
    if decided:
        db.execute("UPDATE listings SET attending = ?, platform_status = ? WHERE attendee_id = ?",
                   [fields["attending"], fields["platform_status"], old["id"]])
        _derive(db, old["id"])
    return _update(db, old, {**fields, **{key: old[key] for key in LISTING_FIELDS}}) or decided


def _listed(db: sqlite_utils.Database, event: Event) -> dict[str, dict[str, Any]]:
    """Every listing of the evening, by its key: the person's row as that listing shows them (its
    key, source, status and guests; the row's own under ``person``), with ``own`` (their first
    listing, whose key they bear) and ``listings`` (how many they have). A person's own listing
    comes after their others."""
    rows = db.execute(
        "SELECT a.*, l.id AS listing_id, l.external_id AS l_key, l.source AS l_source, l.attending AS l_attending, "
        "l.platform_status AS l_status, l.guests AS l_guests, l.external_id = a.external_id AS own, "
        "(SELECT count(*) FROM listings m WHERE m.attendee_id = a.id) AS listings "
        "FROM listings l JOIN attendees a ON a.id = l.attendee_id WHERE l.event_id = ? ORDER BY own, l.id", [event.id])
    listed: dict[str, dict[str, Any]] = {}
    for row in rows:
        view = dict(row)
        view["person"] = {key: view[key] for key in LISTING_FIELDS}  # the attendee row's own values
        view.update(external_id=view.pop("l_key"), source=view.pop("l_source"), attending=view.pop("l_attending"),
                    platform_status=view.pop("l_status"), guests=view.pop("l_guests"))
        listed[view["external_id"]] = view
    return listed


def _other_platforms(existing: dict[str, Any]) -> dict[int, set[str]]:
    """The platforms each stored person is listed by (a door code's prefix names its platform)."""
    platforms: dict[int, set[str]] = {}
    for key, row in existing.items():
        platforms.setdefault(row["id"], set()).add(_platform(key))
    return platforms


def _listing_codes(codes: list[str], other_platforms: set[str]) -> list[str]:
    """A person's door codes that are not another listing's: a Luma list re-imported keeps their Eventbrite barcode."""
    return [code for code in codes if _platform(code) not in other_platforms]


def _listed_elsewhere(batch: ImportBatch, existing: dict[str, Any], adopted: dict[str, Any],
                      repaired: dict[str, Any]) -> dict[str, Any]:
    """Stored people another platform lists whom a new row of this one names by the same email.

    A meetup cross-posted on Eventbrite and Luma has people who registered on both: added twice,
    the door expected one too many, search showed them twice, both tickets checked in and two
    badges printed. Such a row becomes a second listing of the stored person (key -> their row)
    when its email is on no other row of the file (an Eventbrite buyer's email repeated on the
    tickets of an order names several people) and on exactly one stored person, whom only other
    platforms of CROSS_POSTED list (not a plain list, nor this platform), or who is a walk-in a list
    has named and who bears the row's name too (``_adopted_walk_ins``; any list's row then)."""
    emails = Counter(_email(person) for person in batch.people if person.email)
    taken = {row["id"] for row in (*adopted.values(), *repaired.values(), *(
        existing[person.external_id] for person in batch.people if person.external_id in existing)) if row}
    listed_by = _other_platforms(existing)
    people: dict[str, list[Any]] = {}
    for row in existing.values():
        if row["own"] and row["email"] and (row["is_walk_in"] or listed_by[row["id"]] <= CROSS_POSTED):
            people.setdefault(row["email"], []).append(row)
    found: dict[str, Any] = {}
    for person in batch.people:
        key, email, platform = person.external_id, _email(person), _platform(person.external_id)
        if key in existing or key in adopted or repaired.get(key) is not None or not email or emails[email] != 1:
            continue
        rows = people.get(email, [])
        if len(rows) == 1 and rows[0]["id"] not in taken and platform not in listed_by[rows[0]["id"]] \
                and (_one_name_within(rows[0]["name"], person.name) or not person.named if rows[0]["is_walk_in"]
                     else platform in CROSS_POSTED):
            found[key] = rows[0]
    return found


def _email(person: ImportedPerson) -> str:
    """A row's email as stored (the same cleaning as _fields), to compare in any case."""
    return clean(person.email, 254).lower()


def _handle_missing(db: sqlite_utils.Database, batch: ImportBatch, existing: dict[str, Any],
                    matched: set[str], remove: bool, summary: ImportSummary) -> None:
    """Count (and name) people an earlier list of this platform expected who are not in this one.

    They stay as they are unless ``remove``: a second check-in list may hold only some
    products, so absence alone does not prove a cancellation. Removing them only marks
    them not attending; a check-in that happened stays.
    """
    platforms = {_platform(person.external_id) for person in batch.people}
    missing = sorted((row for key, row in existing.items()
                      if key not in matched and _platform(key) in platforms and row["attending"]
                      and not row["is_walk_in"]),
                     key=lambda row: fold(row["name"]))
    summary.missing = len(missing)
    summary.missing_names = [row["name"] for row in missing[:MISSING_NAMES_SHOWN]]
    summary.missing_removed = remove and bool(missing)
    for row in missing if summary.missing_removed else []:  # only their listing in this platform's list
        _update(db, row, {**row, "attending": 0, "platform_status": MISSING_STATUS})
        still = db.execute("SELECT attending FROM attendees WHERE id = ?", [row["id"]]).fetchone()[0]
        summary.missing_still_coming += still


def _fields(person: ImportedPerson, source: str, external_id: str) -> dict[str, Any]:
    name = clean(person.name)
    split_first, split_last = split_name(name)
    return {
        "name": name, "first_name": (clean(person.first_name) or split_first) if person.named else "",
        "last_name": (clean(person.last_name) or split_last) if person.named else "",
        "email": clean(person.email, 254).lower() or None, "company": clean(person.company) or None,
        "role": person.role, "ticket_type": clean(person.ticket_type) or None,
        "attending": 1 if person.attending else 0, "platform_status": clean(person.platform_status),
        "guests": max(0, int(person.guests or 0)), "source": source, "external_id": external_id,
        "search_text": search_text(name, person.email, person.company),
    }


def _codes_to_store(person: ImportedPerson, stored: list[str]) -> list[str]:
    """A row's door codes, and when the file's code for it was unreadable (``code_set_aside``) also
    those an earlier list stored: a Luma QR that scanned with yesterday's export still does, and the
    row's other codes (Eventbrite's printed barcode, a pretix add-on's secret) are stored all the same."""
    return [*person.codes, *stored] if person.code_set_aside else person.codes


def _replace_door_codes(db: sqlite_utils.Database, event: Event, attendee_id: int, codes: list[str],
                        stored: list[str]) -> None:
    """Store a listing's door codes in place of the `stored` ones it had (a person's other
    listings keep theirs)."""
    for code in stored:
        db.execute("DELETE FROM door_codes WHERE event_id = ? AND code = ?", [event.id, code])
    for code in dict.fromkeys(codes):
        db.execute("INSERT OR REPLACE INTO door_codes (event_id, code, attendee_id) VALUES (?, ?, ?)",
                   [event.id, code, attendee_id])
