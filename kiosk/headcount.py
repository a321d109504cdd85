"""The counts every screen shows. Counts only: nothing here may identify a person."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from .events import Event


def headcount(db: sqlite_utils.Database, event: Event) -> dict[str, Any]:
    """Arrived, expected (attending, not walk-ins), capacity and walk-ins for the current event."""
    row = db.execute(
        """SELECT
             coalesce(sum(checked_in_at IS NOT NULL), 0) AS checked_in,
             coalesce(sum(attending = 1 AND is_walk_in = 0), 0) AS expected,
             coalesce(sum(is_walk_in = 1 AND checked_in_at IS NOT NULL), 0) AS walk_ins,
             coalesce(sum(attending = 1 AND is_walk_in = 0 AND checked_in_at IS NOT NULL), 0) AS arrived_expected
           FROM attendees WHERE event_id = ?""", [event.id]).fetchone()
    counts = dict(row)
    capacity = event.capacity
    counts.update({
        "capacity": capacity,
        "remaining": max(capacity - counts["checked_in"], 0) if capacity else None,
        "event": event.name,
    })
    return counts
