"""Events: the meetup runs every month, each evening is one event; one is current.

The config's [event] describes tonight. At start-up it is created if new and made
current, so moving the config to next month's date starts a fresh evening while
every earlier one stays in the database for the series' statistics.

One evening per date: an event is found by its date, so correcting tonight's name
in the config (even at the door) renames the evening instead of starting an empty
one in which every ticket would be refused. Two events on one day need two
databases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import sqlite_utils

from . import clock
from .config import EventSettings
from .textnorm import fold


@dataclass(frozen=True)
class Event:
    id: int
    slug: str
    name: str
    starts_at: str
    doors_open: str
    ends_at: str
    venue: str
    capacity: int
    schedule: tuple[tuple[str, str], ...]
    sponsors: tuple[str, ...]

    @property
    def offset(self) -> tzinfo | None:
        """The evening's own UTC offset (that of `starts_at`): the door's and the report's times are
        the venue's wall clock, whatever the laptop's time zone (often UTC on a fresh install)."""
        return datetime.fromisoformat(self.starts_at).tzinfo

    @property
    def date_label(self) -> str:
        """e.g. "Thu 26 Nov 2026", for badges and screens."""
        return datetime.fromisoformat(self.starts_at).strftime("%a %d %b %Y")

    def public(self) -> dict:
        """What any screen may show: no personal data in an event."""
        return {
            "slug": self.slug, "name": self.name, "starts_at": self.starts_at, "doors_open": self.doors_open,
            "ends_at": self.ends_at, "venue": self.venue, "capacity": self.capacity,
            "date": self.date_label,
            "schedule": [{"time": t, "title": title} for t, title in self.schedule],
            "sponsors": list(self.sponsors),
        }


def slug_for(settings: EventSettings) -> str:
    """Date plus name, so each month's evening gets its own row."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(settings.name)).strip("-")[:60]
    return f"{settings.starts_at.date().isoformat()}-{words or 'event'}"


def ensure_current(db: sqlite_utils.Database, settings: EventSettings, make_current: bool = True) -> Event:
    """Create tonight's event if new, refresh its details, and make it the current one.

    `make_current=False` while a server runs on the database: the evening it serves stays the
    current one (what `kiosk events` marks), whatever a command run beside it was configured for."""
    slug = slug_for(settings)
    fields = {
        "name": settings.name, "starts_at": settings.starts_at.isoformat(),
        "doors_open": settings.doors_open, "ends_at": settings.ends_at, "venue": settings.venue,
        "capacity": settings.capacity,
        "schedule": json.dumps([list(item) for item in settings.schedule]),
        "sponsors": json.dumps(list(settings.sponsors)),
    }
    row = _stored_row(db, slug)
    if row is None:
        db["events"].insert({"slug": slug, "created_at": clock.now_iso(), **fields})
    else:
        db["events"].update(row[0], {"slug": slug, **fields})
    if make_current:
        db.execute("UPDATE events SET is_current = (slug = ?)", [slug])
    event = by_slug(db, slug)
    assert event is not None  # inserted or updated to this slug just above
    return event


def stored_for(db: sqlite_utils.Database, settings: EventSettings) -> Event | None:
    """The evening of these settings as stored (see ``ensure_current``), changing nothing; None when new."""
    row = _stored_row(db, slug_for(settings))
    return by_id(db, row[0]) if row else None


def _stored_row(db: sqlite_utils.Database, slug: str) -> Any:
    """The id of the evening stored on this slug, or else on its date."""
    return db.execute("SELECT id FROM events WHERE slug = ?", [slug]).fetchone() or _same_date(db, slug)


def _same_date(db: sqlite_utils.Database, slug: str) -> Any:
    """The evening already held on this slug's date (its name was since corrected), if any;
    of several (databases from before this rule), the current one, else the latest."""
    return db.execute("SELECT id FROM events WHERE substr(slug, 1, 10) = ? ORDER BY is_current DESC, id DESC LIMIT 1",
                      [slug[:10]]).fetchone()


def by_slug(db: sqlite_utils.Database, slug: str) -> Event | None:
    row = db.execute("SELECT * FROM events WHERE slug = ?", [slug]).fetchone()
    return from_row(row) if row else None


def find(db: sqlite_utils.Database, wanted: str) -> Event | None:
    """The evening an organiser names: by its slug, its date (2026-11-26: one evening per date) or
    its exact name in any case, when only one evening has it. `kiosk events` lists slugs, but an
    organiser exporting last month types its date, and was told there was no such event."""
    text = wanted.strip()
    found = by_slug(db, text)
    if found is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        found = _only(db.execute("SELECT * FROM events WHERE substr(starts_at, 1, 10) = ?", [text]).fetchall())
    if found is None and text:
        found = _only([row for row in db.execute("SELECT * FROM events") if fold(row["name"]) == fold(text)])
    return found


def _only(rows: list[Any]) -> Event | None:
    """The one evening among `rows`; None for none, or for several (a name used every month)."""
    return from_row(rows[0]) if len(rows) == 1 else None


def current(db: sqlite_utils.Database) -> Event:
    """The event the door is working on tonight."""
    row = db.execute("SELECT * FROM events WHERE is_current = 1").fetchone()
    if row is None:
        raise LookupError("no current event: start the server or run `kiosk demo` first")
    return from_row(row)


def by_id(db: sqlite_utils.Database, event_id: int) -> Event | None:
    row = db.execute("SELECT * FROM events WHERE id = ?", [event_id]).fetchone()
    return from_row(row) if row else None


def all_events(db: sqlite_utils.Database) -> list[Event]:
    return [from_row(r) for r in db.execute("SELECT * FROM events ORDER BY starts_at")]


def from_row(row) -> Event:
    return Event(
        id=row["id"], slug=row["slug"], name=row["name"], starts_at=row["starts_at"],
        doors_open=row["doors_open"], ends_at=row["ends_at"], venue=row["venue"], capacity=row["capacity"],
        schedule=tuple(tuple(item) for item in json.loads(row["schedule"])),
        sponsors=tuple(json.loads(row["sponsors"])),
    )
