"""The persistent print queue: jobs are rows in SQLite, so a restart loses none.

A job is written in the same transaction as the check-in that asks for it: either
both happen or neither does. A job is printed once; only a volunteer's reprint
creates another.
"""

from __future__ import annotations

import sqlite_utils

from kiosk import clock


def enqueue(db: sqlite_utils.Database, event_id: int, attendee_id: int | None, station: str | None,
            reason: str, printer: str | None = None) -> int:
    """Queue a badge (inside the caller's transaction); returns the job id."""
    now = clock.now_iso()
    return db["print_jobs"].insert({
        "event_id": event_id, "attendee_id": attendee_id, "printer": printer, "station": station,
        "reason": reason, "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }).last_pk


def cancel_pending(db: sqlite_utils.Database, attendee_id: int) -> int:
    """Cancel an attendee's badges not yet printed (an undone check-in); returns how many."""
    cursor = db.execute("UPDATE print_jobs SET status = 'cancelled' WHERE attendee_id = ? AND status = 'queued'",
                        [attendee_id])
    return cursor.rowcount
