"""People of an event: lookups, search, walk-ins and the import upsert.

Check-in state lives on the attendee row (``checked_in_at``, ``checked_in_station``)
and is only ever changed by the door rules in ``checkin.py``: an import never
touches it, which is how a re-import can never lose or duplicate an arrival.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import sqlite_utils

from . import clock, tickets
from .events import Event
from .importers import ImportBatch, ImportedPerson
from .textnorm import clean, fold

KIOSK_FIELDS = ("id", "name", "first_name", "company", "role", "is_walk_in")
PUBLIC_FIELDS = KIOSK_FIELDS + (
    "last_name", "email", "ticket_code", "ticket_type", "status", "platform_status", "source",
    "guests", "checked_in_at", "checked_in_station",
)


def as_dict(row: Any, fields: Iterable[str] = PUBLIC_FIELDS) -> dict[str, Any]:
    """An attendee row as API JSON; `status` is "attending" or "not_attending"."""
    data = dict(row)
    data["status"] = "attending" if data.get("attending") else "not_attending"
    data["is_walk_in"] = bool(data.get("is_walk_in"))
    return {key: data.get(key) for key in fields}


def search_text(name: str, email: str | None, company: str | None) -> str:
    return " ".join(fold(part) for part in (name, email, company) if part)


def split_name(name: str) -> tuple[str, str]:
    """First word and the rest: good enough for a greeting when a list has one name column."""
    first, _, rest = name.partition(" ")
    return first, rest


def get(db: sqlite_utils.Database, event: Event, attendee_id: int) -> sqlite_utils.db.Table | Any:
    return db.execute("SELECT * FROM attendees WHERE id = ? AND event_id = ?", [attendee_id, event.id]).fetchone()


def by_ticket_code(db: sqlite_utils.Database, code: str) -> Any:
    return db.execute("SELECT * FROM attendees WHERE ticket_code = ?", [code]).fetchone()


def by_door_codes(db: sqlite_utils.Database, event: Event, keys: list[str]) -> Any:
    """The attendee a platform's own ticket code belongs to (Eventbrite, Luma, pretix, Tito)."""
    if not keys:
        return None
    marks = ",".join("?" * len(keys))
    return db.execute(
        f"SELECT a.* FROM door_codes d JOIN attendees a ON a.id = d.attendee_id "
        f"WHERE d.event_id = ? AND d.code IN ({marks}) LIMIT 1", [event.id, *keys]).fetchone()


def search(db: sqlite_utils.Database, event: Event, query: str, limit: int = 25) -> list[dict[str, Any]]:
    """Search as you type: every word must appear in name, email or company, accents and case ignored."""
    words = fold(query).split()[:6]
    if not words:
        rows = db.execute("SELECT * FROM attendees WHERE event_id = ? ORDER BY name LIMIT ?", [event.id, limit])
        return [as_dict(r) for r in rows]
    clauses = " AND ".join("search_text LIKE ? ESCAPE '\\'" for _ in words)
    params = [f"%{_escape_like(w)}%" for w in words]
    rows = db.execute(
        f"SELECT * FROM attendees WHERE event_id = ? AND {clauses} "
        f"ORDER BY (checked_in_at IS NOT NULL), name LIMIT ?", [event.id, *params, limit])
    return [as_dict(r) for r in rows]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def insert(db: sqlite_utils.Database, event: Event, master: bytes, fields: dict[str, Any]) -> int:
    """Insert one person with a fresh signed ticket code; returns the new id."""
    now = clock.now_iso()
    first, last = split_name(fields["name"])
    row = {
        "event_id": event.id, "first_name": first, "last_name": last,
        "created_at": now, "updated_at": now, **fields,
        "ticket_code": _unused_code(db, event, master),
        "search_text": search_text(fields["name"], fields.get("email"), fields.get("company")),
    }
    return db["attendees"].insert(row).last_pk


def _unused_code(db: sqlite_utils.Database, event: Event, master: bytes) -> str:
    """A fresh code no one has yet: random serials can collide, however rarely."""
    while True:
        code = tickets.new_code(master, event.id)
        if by_ticket_code(db, code) is None:
            return code


def add_walk_in(db: sqlite_utils.Database, event: Event, master: bytes, name: str,
                email: str | None, company: str | None) -> int:
    """Register someone who turned up without a ticket."""
    name = clean(name)
    if not name:
        raise ValueError("A walk-in needs a name.")
    serial = db.execute("SELECT count(*) + 1 FROM attendees WHERE event_id = ? AND is_walk_in = 1", [event.id]).fetchone()[0]
    return insert(db, event, master, {
        "name": name, "email": clean(email, 254).lower() or None, "company": clean(company) or None,
        "external_id": f"walk-in:{clock.now_iso()}:{serial}", "source": "walk-in", "is_walk_in": 1,
        "role": "attendee", "attending": 1,
    })


@dataclass
class ImportSummary:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    not_attending: int = 0
    kept_check_ins: int = 0
    added_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "added_ids"}


UPDATABLE = ("name", "first_name", "last_name", "email", "company", "role", "ticket_type",
             "attending", "platform_status", "guests", "search_text")


def upsert_batch(db: sqlite_utils.Database, event: Event, master: bytes, batch: ImportBatch) -> ImportSummary:
    """Add new people, update known ones by their platform id; never touch a check-in.

    Runs inside the caller's write transaction, so a failure part-way imports nothing.
    """
    summary = ImportSummary(source=batch.source)
    existing = {r["external_id"]: r for r in db.execute("SELECT * FROM attendees WHERE event_id = ?", [event.id])}
    seen: dict[str, int] = {}
    for person in batch.people:
        external_id = _unique_key(person.external_id, seen)
        fields = _fields(person, batch.source, external_id)
        summary.not_attending += 0 if person.attending else 1
        old = existing.get(external_id)
        if old is None:
            attendee_id = insert(db, event, master, fields)
            summary.added += 1
            summary.added_ids.append(attendee_id)
        else:
            attendee_id = old["id"]
            changes = {k: fields[k] for k in UPDATABLE if old[k] != fields[k]}
            if changes:
                db["attendees"].update(attendee_id, {**changes, "updated_at": clock.now_iso()})
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.kept_check_ins += 1 if old["checked_in_at"] else 0
        _replace_door_codes(db, event, attendee_id, person.codes)
    return summary


def _unique_key(key: str, seen: dict[str, int]) -> str:
    """Two rows with one key (a shared email in a plain CSV) stay two people."""
    seen[key] = seen.get(key, 0) + 1
    return key if seen[key] == 1 else f"{key}#{seen[key]}"


def _fields(person: ImportedPerson, source: str, external_id: str) -> dict[str, Any]:
    name = clean(person.name)
    first = clean(person.first_name) or split_name(name)[0]
    return {
        "name": name, "first_name": first, "last_name": clean(person.last_name) or split_name(name)[1],
        "email": clean(person.email, 254).lower() or None, "company": clean(person.company) or None,
        "role": person.role, "ticket_type": clean(person.ticket_type) or None,
        "attending": 1 if person.attending else 0, "platform_status": clean(person.platform_status),
        "guests": max(0, int(person.guests or 0)), "source": source, "external_id": external_id,
        "search_text": search_text(name, person.email, person.company),
    }


def _replace_door_codes(db: sqlite_utils.Database, event: Event, attendee_id: int, codes: list[str]) -> None:
    db.execute("DELETE FROM door_codes WHERE attendee_id = ?", [attendee_id])
    for code in dict.fromkeys(codes):
        db.execute("INSERT OR REPLACE INTO door_codes (event_id, code, attendee_id) VALUES (?, ?, ?)",
                   [event.id, code, attendee_id])
