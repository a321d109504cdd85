"""After the evening: who came, and how the arrivals were spread over time."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import sqlite_utils

from .events import Event
from .headcount import headcount

EXPORT_COLUMNS = ("id", "name", "email", "company", "role", "status", "platform_status", "source",
                  "is_walk_in", "guests", "ticket_code", "checked_in_at", "checked_in_station")


def attendee_rows(db: sqlite_utils.Database, event: Event) -> list[dict[str, Any]]:
    """Every attendee of the event as plain dicts (the CLI's `attendees` and the export share this)."""
    rows = db.execute("SELECT * FROM attendees WHERE event_id = ? ORDER BY name COLLATE NOCASE, id", [event.id])
    out = []
    for row in rows:
        data = dict(row)
        data["status"] = "attending" if data["attending"] else "not_attending"
        data["is_walk_in"] = bool(data["is_walk_in"])
        out.append({key: data[key] for key in EXPORT_COLUMNS})
    return out


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = EXPORT_COLUMNS) -> str:
    """CSV with formula-looking cells defused, since organisers open this in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _defuse(v) for k, v in row.items()})
    return buffer.getvalue()


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def attendance(db: sqlite_utils.Database, event: Event, fmt: str = "csv") -> str:
    """The attendance report: one row per person with arrival time and station."""
    rows = attendee_rows(db, event)
    if fmt == "json":
        return json.dumps({"event": event.public(), "headcount": headcount(db, event), "attendees": rows},
                          ensure_ascii=False, indent=1)
    return to_csv(rows)


def arrivals_per_minute(db: sqlite_utils.Database, event: Event) -> list[dict[str, Any]]:
    """[{minute: "2026-11-26T18:31", arrivals: n}, ...] from current check-ins."""
    rows = db.execute(
        "SELECT substr(checked_in_at, 1, 16) AS minute, count(*) AS arrivals FROM attendees "
        "WHERE event_id = ? AND checked_in_at IS NOT NULL GROUP BY minute ORDER BY minute", [event.id])
    return [dict(r) for r in rows]
