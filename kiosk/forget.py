"""Personal data after the event: delete who came, keep how many came.

The series' statistics (how many registered, arrived, walked in, per event) survive
because the rows stay; only what identifies a person is blanked: names, emails,
companies, the codes scanned and the platform ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

from . import clock


def forget(db: sqlite_utils.Database, before: str | None = None, event_slug: str | None = None) -> dict[str, int]:
    """Blank the personal data of events before a date (YYYY-MM-DD) or of one event; returns counts."""
    if event_slug is not None:
        ids = [r[0] for r in db.execute("SELECT id FROM events WHERE slug = ?", [event_slug])]
        if not ids:
            raise ValueError(f"no event with slug {event_slug!r}")
    else:
        ids = [r[0] for r in db.execute("SELECT id FROM events WHERE substr(starts_at, 1, 10) < ?", [before])]
    people = 0
    for event_id in ids:
        people += _forget_event(db, event_id)
    jobs = [r[0] for r in db.execute(f"SELECT id FROM print_jobs WHERE event_id IN ({','.join('?' * len(ids))})", ids)] if ids else []
    return {"events": len(ids), "attendees": people, "print_jobs": jobs}


def delete_badge_files(folders: list[Path], job_ids: list[int]) -> int:
    """A file printer keeps every badge as .bin and .png, names included: delete those of forgotten jobs."""
    deleted = 0
    for folder in folders:
        for job_id in job_ids:
            for path in (folder / f"job-{job_id:06d}.bin", folder / f"job-{job_id:06d}.png"):
                if path.exists():
                    path.unlink()
                    deleted += 1
    return deleted


def _forget_event(db: sqlite_utils.Database, event_id: int) -> int:
    count = db.execute(
        "UPDATE attendees SET name = '', first_name = '', last_name = '', email = NULL, company = NULL, "
        "search_text = '', external_id = 'forgotten:' || id, platform_status = '' WHERE event_id = ?",
        [event_id]).rowcount
    db.execute("DELETE FROM door_codes WHERE event_id = ?", [event_id])
    db.execute("UPDATE scans SET code = '', response = '{}', client = '' WHERE event_id = ?", [event_id])
    db.execute("UPDATE audit SET details = '{}' WHERE event_id = ?", [event_id])
    db.execute("UPDATE events SET forgotten_at = ? WHERE id = ?", [clock.now_iso(), event_id])
    return count


def event_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per event: expected, arrived and walk-ins (what `forget` keeps)."""
    rows = db.execute(
        """SELECT e.slug, e.name, e.starts_at, e.is_current, e.forgotten_at,
                  coalesce(sum(a.attending = 1 AND a.is_walk_in = 0), 0) AS expected,
                  coalesce(sum(a.checked_in_at IS NOT NULL), 0) AS checked_in,
                  coalesce(sum(a.is_walk_in), 0) AS walk_ins
           FROM events e LEFT JOIN attendees a ON a.event_id = e.id
           GROUP BY e.id ORDER BY e.starts_at""")
    return [dict(r) for r in rows]
