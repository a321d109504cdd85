"""The headcounts kept by triggers (kiosk/db.py) always equal a count made from scratch."""

from __future__ import annotations

import random
from pathlib import Path

from kiosk.db import COUNTED, Store


def fresh_counts(db) -> dict[int, tuple]:
    """What the triggers should hold, counted from every attendee row."""
    sums = ", ".join(f"sum({rule.format(r='')})" for rule in COUNTED.values())
    return {row[0]: tuple(row[1:]) for row in db.execute(f"SELECT event_id, {sums} FROM attendees GROUP BY event_id")}


def kept_counts(db) -> dict[int, tuple]:
    columns = ", ".join(COUNTED)
    return {row[0]: tuple(row[1:]) for row in db.execute(f"SELECT event_id, {columns} FROM event_counts")
            if any(row[1:])}


def test_random_changes_keep_the_counts_equal_to_a_recount(tmp_path: Path) -> None:
    store, rng = Store(tmp_path / "counts.db"), random.Random(7)
    with store.write() as db:
        for event in (1, 2):
            db.execute("INSERT INTO events (id, slug, name, starts_at, created_at) VALUES (?, ?, ?, ?, '')",
                       [event, f"e{event}", f"Event {event}", f"2026-0{event}-01T18:30"])
    changes = [
        "UPDATE attendees SET checked_in_at = '2026-01-01T18:30' WHERE id = ?",  # a check-in
        "UPDATE attendees SET checked_in_at = NULL WHERE id = ?",                 # an undo
        "UPDATE attendees SET attending = 1 - attending WHERE id = ?",            # a re-import
        "UPDATE attendees SET is_walk_in = 1 - is_walk_in WHERE id = ?",
        "UPDATE attendees SET event_id = 3 - event_id WHERE id = ?",              # moved to the other event
        "UPDATE attendees SET guests = (guests + 1) % 3 WHERE id = ?",          # a re-import: more or fewer guests
        "UPDATE attendees SET name = name || '!' WHERE id = ?",                   # not counted
        "DELETE FROM attendees WHERE id = ?",
    ]
    with store.write() as db:
        for n in range(1, 301):
            db.execute("INSERT INTO attendees (id, event_id, external_id, ticket_code, name, attending, is_walk_in, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '')",
                       [n, rng.choice((1, 2)), f"x{n}", f"T{n}", f"P{n}", rng.random() < 0.8, rng.random() < 0.1])
        for _ in range(3000):
            db.execute(rng.choice(changes), [rng.randint(1, 300)])
        assert kept_counts(db) == fresh_counts(db)
        assert sum(count[0] for count in kept_counts(db).values()) > 0  # some are checked in
    store.close()
