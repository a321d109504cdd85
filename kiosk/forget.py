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


def past_events(db: sqlite_utils.Database, current_id: int, before: str | None = None,
                event_slug: str | None = None) -> list[Any]:
    """The evenings `kiosk forget` may blank: held before today and before `before`, or the one
    named; never tonight's (the config's event, whose people are still expected at the door)
    nor one still to come. ValueError says why a named one is refused."""
    today = clock.now().date().isoformat()
    if event_slug is None:
        return db.execute("SELECT id, slug, name FROM events WHERE substr(starts_at, 1, 10) < ? AND "
                          "substr(starts_at, 1, 10) < ? AND id != ? AND forgotten_at IS NULL ORDER BY starts_at",
                          [before, today, current_id]).fetchall()
    row = db.execute("SELECT id, slug, name, starts_at FROM events WHERE slug = ?", [event_slug]).fetchone()
    if row is None:
        raise ValueError(f"no event with slug {event_slug!r} (`kiosk events` lists them)")
    if row["id"] == current_id:
        raise ValueError(f"{event_slug} is tonight's event (the config's [event]): its people are still expected "
                         "at the door. Point the config at another evening first.")
    if row["starts_at"][:10] >= today:
        raise ValueError(f"{event_slug} has not happened yet ({row['starts_at'][:10]})")
    return [row]


def forget(db: sqlite_utils.Database, ids: list[int]) -> dict[str, Any]:
    """Blank the personal data of these events (see past_events); returns counts and their print jobs."""
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
    # A listing's key may hold a name (an Eventbrite order's "...:ada lovelace"): each person keeps one, blank.
    db.execute("DELETE FROM listings WHERE event_id = ? AND id NOT IN "
               "(SELECT min(id) FROM listings WHERE event_id = ? GROUP BY attendee_id)", [event_id, event_id])
    db.execute("UPDATE listings SET external_id = 'forgotten:' || attendee_id, platform_status = '' WHERE event_id = ?",
               [event_id])
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
    """Per event: expected, arrived (people, guests included, as the headcount counts them) and
    walk-ins registered (what `forget` keeps)."""
    rows = db.execute(
        """SELECT e.slug, e.name, e.starts_at, e.is_current, e.forgotten_at,
                  coalesce(c.expected, 0) AS expected, coalesce(c.checked_in, 0) AS checked_in,
                  (SELECT count(*) FROM attendees a WHERE a.event_id = e.id AND a.is_walk_in = 1) AS walk_ins
           FROM events e LEFT JOIN event_counts c ON c.event_id = e.id ORDER BY e.starts_at""")
    return [dict(r) for r in rows]
