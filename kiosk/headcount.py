"""The counts every screen shows. Counts only: nothing here may identify a person."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from .events import Event


def headcount(db: sqlite_utils.Database, event: Event) -> dict[str, Any]:
    """Arrived, expected (attending, not walk-ins), capacity and walk-ins: one row kept by triggers (db.py)."""
    row = db.execute("SELECT checked_in, expected, walk_ins, arrived_expected FROM event_counts WHERE event_id = ?",
                     [event.id]).fetchone()
    counts = dict(row) if row else {"checked_in": 0, "expected": 0, "walk_ins": 0, "arrived_expected": 0}
    capacity = event.capacity
    counts.update({
        "capacity": capacity,
        "remaining": max(capacity - counts["checked_in"], 0) if capacity else None,
        "event": event.name,
        "event_slug": event.slug,  # pages drawn for another evening reload on seeing it (web/static/js/evening.js)
    })
    return counts
