"""People of an event: lookups, search and walk-ins (an imported list's rows: ``list_import``).

Check-in state lives on the attendee row (``checked_in_at``, ``checked_in_station``)
and is only ever changed by the door rules in ``checkin.py``: an import never
touches it, which is how a re-import can never lose or duplicate an arrival.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import sqlite_utils

from . import clock, tickets
from .events import Event
from .names import split_name
from .textnorm import clean, fold, search_text

KIOSK_FIELDS = ("id", "name", "first_name", "company", "role", "is_walk_in", "guests")
PUBLIC_FIELDS = KIOSK_FIELDS + (
    "last_name", "email", "ticket_code", "ticket_type", "status", "platform_status", "source",
    "checked_in_at", "checked_in_station",
)


_DERIVED: dict[str, Callable[[Any], Any]] = {
    "status": lambda row: "attending" if row["attending"] else "not_attending",
    "is_walk_in": lambda row: bool(row["is_walk_in"]),
}
# The kiosk's screen faces strangers: a ticket without a name is listed under its email or order
# (ImportedPerson.named), which the kiosk must not show, so it gets no name at all.
_DERIVED_FOR_KIOSK: dict[str, Callable[[Any], Any]] = {
    **_DERIVED, "name": lambda row: row["name"] if row["first_name"] else "",
}
# The columns as_dict reads (status comes from `attending`): what a check-in reads back.
SHOWN_COLUMNS = ", ".join(dict.fromkeys(["attending", *(key for key in PUBLIC_FIELDS if key != "status")]))


def as_dict(row: Any, fields: Iterable[str] = PUBLIC_FIELDS) -> dict[str, Any]:
    """An attendee row (a whole ``attendees`` row, or a dict of one) as API JSON; `status` is
    "attending" or "not_attending". Reads only `fields`: this runs twice on every check-in."""
    derived = _DERIVED_FOR_KIOSK if fields == KIOSK_FIELDS else _DERIVED
    return {key: derived[key](row) if key in derived else row[key] for key in fields}


def get(db: sqlite_utils.Database, event: Event, attendee_id: int) -> sqlite_utils.db.Table | Any:
    return db.execute("SELECT * FROM attendees WHERE id = ? AND event_id = ?", [attendee_id, event.id]).fetchone()


def by_ticket_code(db: sqlite_utils.Database, code: str) -> Any:
    return db.execute("SELECT * FROM attendees WHERE ticket_code = ?", [code]).fetchone()


def by_door_codes(db: sqlite_utils.Database, event: Event, keys: list[str]) -> Any:
    """The attendee a platform's own ticket code belongs to (Eventbrite, Luma, pretix, Tito):
    the one the first matching key names, `keys` being most specific first."""
    found = _door_code_matches(db, event, keys)
    return next((found[key] for key in keys if key in found), None)


def by_door_codes_if_one(db: sqlite_utils.Database, event: Event, keys: list[str]) -> Any:
    """The attendee `keys` lead to when they all lead to the same one, else None.

    For readings that are guesses (a pretix secret typed with Caps Lock on, case swapped):
    two people matched means the guess cannot tell them apart, and nobody is let in on it."""
    people = {row["id"]: row for row in _door_code_matches(db, event, keys).values()}
    return next(iter(people.values())) if len(people) == 1 else None


def _door_code_matches(db: sqlite_utils.Database, event: Event, keys: list[str]) -> dict[str, Any]:
    """{key: attendee row} for each of `keys` that is someone's door code tonight."""
    if not keys:
        return {}
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        f"SELECT a.*, d.code AS door_code FROM door_codes d JOIN attendees a ON a.id = d.attendee_id "
        f"WHERE d.event_id = ? AND d.code IN ({marks})", [event.id, *keys]).fetchall()
    return {row["door_code"]: row for row in rows}


def search(db: sqlite_utils.Database, event: Event, query: str, limit: int = 25) -> list[dict[str, Any]]:
    """Search as you type: every word must appear in name, email or company, accents and case ignored.

    People whose words start with what was typed come first: "le" lists Lê and Leila before
    everyone whose email is at example.org; and typed accents count: "lê" lists Lê before Lefèvre."""
    words = fold(query).replace(",", " ").split()[:6]  # "Lovelace, Ada", as printed lists put names
    if not words:
        rows = db.execute("SELECT * FROM attendees WHERE event_id = ? ORDER BY name LIMIT ?", [event.id, limit])
        return [as_dict(r) for r in rows]
    clauses = " AND ".join("search_text LIKE ? ESCAPE '\\'" for _ in words)
    misses = " + ".join("((' ' || replace(search_text, '-', ' ')) NOT LIKE ? ESCAPE '\\')" for _ in words)
    params = [f"%{_escape_like(w)}%" for w in words]
    word_starts = [f"% {_escape_like(w)}%" for w in words]
    rows = db.execute(
        f"SELECT * FROM attendees WHERE event_id = ? AND {clauses} "
        f"ORDER BY ({misses}), (checked_in_at IS NOT NULL), name LIMIT ?",
        [event.id, *params, *word_starts, limit])
    return _accents_as_typed_first([as_dict(r) for r in rows], query)


def _accents_as_typed_first(people: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Move the people whose name holds the query's accented words exactly as typed to the front."""
    accented = [word for word in query.casefold().replace(",", " ").split() if fold(word) != word]
    if not accented:
        return people
    return sorted(people, key=lambda person: not all(word in person["name"].casefold() for word in accented))


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def insert(db: sqlite_utils.Database, event: Event, master: bytes, fields: dict[str, Any],
           codes_in_use: set[str] | None = None) -> int:
    """Insert one person with a fresh signed ticket code; returns the new id.

    ``codes_in_use`` (every ticket code in the database, kept up to date here) spares
    a lookup per insert when a whole list is imported.
    """
    now = clock.now_iso()
    first, last = split_name(fields["name"])
    row = {
        "event_id": event.id, "first_name": first, "last_name": last, "created_at": now, "updated_at": now,
        "search_text": search_text(fields["name"], fields.get("email"), fields.get("company")),
        **fields, "ticket_code": _unused_code(db, event, master, codes_in_use),
    }
    columns, marks = ", ".join(row), ", ".join("?" * len(row))
    return db.execute(f"INSERT INTO attendees ({columns}) VALUES ({marks})", list(row.values())).lastrowid


def _unused_code(db: sqlite_utils.Database, event: Event, master: bytes,
                 codes_in_use: set[str] | None = None) -> str:
    """A fresh code no one has yet: random serials can collide, however rarely."""
    while True:
        code = tickets.new_code(master, event.id)
        if codes_in_use is None:
            if by_ticket_code(db, code) is None:
                return code
        elif code not in codes_in_use:
            codes_in_use.add(code)
            return code


def add_walk_in(db: sqlite_utils.Database, event: Event, master: bytes, name: str,
                email: str | None, company: str | None, request_id: str | None = None, guests: int = 0) -> int:
    """Register someone who turned up without a ticket, with the `guests` who came with them.

    `request_id`: the console's name for this one registration, kept as the row's external id,
    so that a retry after a lost answer finds it (``walk_in_by_request``) instead of adding a twin."""
    name = clean(name)
    if not name:
        raise ValueError("A walk-in needs a name.")
    serial = db.execute("SELECT count(*) + 1 FROM attendees WHERE event_id = ? AND is_walk_in = 1", [event.id]).fetchone()[0]
    external_id = _walk_in_request(request_id) if request_id else f"walk-in:{clock.now_iso()}:{serial}"
    return insert(db, event, master, {
        "name": name, "email": clean(email, 254).lower() or None, "company": clean(company) or None,
        "external_id": external_id, "source": "walk-in", "is_walk_in": 1,
        "role": "attendee", "attending": 1, "guests": guests,
    })


def walk_in_by_request(db: sqlite_utils.Database, event: Event, request_id: str) -> Any:
    """The walk-in an earlier registration with this request id made tonight, if any."""
    return db.execute("SELECT * FROM attendees WHERE event_id = ? AND external_id = ?",
                      [event.id, _walk_in_request(request_id)]).fetchone()


def _walk_in_request(request_id: str) -> str:
    return f"walk-in:request:{request_id}"
