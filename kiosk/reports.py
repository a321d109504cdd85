"""After the evening: who came, and how the arrivals were spread over time."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, tzinfo
from typing import Any

import openpyxl
import sqlite_utils
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .events import Event
from .headcount import headcount
from .textnorm import fold

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The report's formats and their mimetypes: the CLI (by file extension) and the API (?format=) accept these only.
FORMATS = {"csv": "text/csv", "json": "application/json", "xlsx": XLSX_MIMETYPE}
EXPORT_COLUMNS = ("id", "name", "email", "company", "role", "status", "platform_status", "source",
                  "is_walk_in", "guests", "ticket_code", "checked_in_at", "checked_in_station")


def attendee_rows(db: sqlite_utils.Database, event: Event) -> list[dict[str, Any]]:
    """Every attendee of the event as plain dicts (the CLI's `attendees` and the export share this),
    in the order of their names read without accents (see ``_by_name``), arrival times at the
    evening's own UTC offset, so `kiosk attendees` and the report say the same time for the same
    check-in (the list used to print it in UTC, an hour off a London summer report)."""
    rows = db.execute("SELECT * FROM attendees WHERE event_id = ? ORDER BY id", [event.id])
    offset = event.offset
    out = []
    for row in rows:
        data = dict(row)
        data["status"] = "attending" if data["attending"] else "not_attending"
        data["is_walk_in"] = bool(data["is_walk_in"])
        data["checked_in_at"] = at_offset(data["checked_in_at"], offset)
        out.append({key: data[key] for key in EXPORT_COLUMNS})
    return sorted(out, key=_by_name)


def _by_name(row: dict[str, Any]) -> tuple[str, int]:
    """Élodie among the Es, Łukasz among the Ls: SQLite's NOCASE order put every name starting with
    an accented or special letter after Zsófia, where an organiser reading the list down never looked."""
    return fold(row["name"]), row["id"]


def table(rows: list[dict[str, Any]], columns: tuple[str, ...] = EXPORT_COLUMNS) -> list[list[Any]]:
    """The header and one row of cells per person, formula-looking text defused.

    CSV and XLSX are both written from this, so a spreadsheet opened from either shows the same cells.
    """
    return [list(columns)] + [[_defuse(row.get(column)) for column in columns] for row in rows]


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = EXPORT_COLUMNS) -> str:
    """CSV with formula-looking cells defused, since organisers open this in a spreadsheet.

    Plain UTF-8 with no BOM: scripts read it with the csv module; Excel users take the .xlsx.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table(rows, columns))
    return buffer.getvalue()


def to_xlsx(rows: list[dict[str, Any]], columns: tuple[str, ...] = EXPORT_COLUMNS) -> bytes:
    """A real workbook for Excel users, who otherwise see a UTF-8 CSV's names garbled as cp1252."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Attendance")
    for values in table(rows, columns):
        sheet.append([_xlsx_cell(sheet, value) for value in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Text as a string cell, never a formula, without the control characters XLSX cannot hold."""
    if not isinstance(value, str):
        return value
    if not value:
        return None
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def _defuse(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would run as a formula (a name "=HYPERLINK(...)")."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def at_offset(stamp: str | None, offset: tzinfo | None) -> str | None:
    """An ISO 8601 time moved to `offset`, keeping its milliseconds; None (not arrived) stays None.

    Times are stored in UTC; an organiser reading a June report of a London evening would
    otherwise see every arrival an hour early (18:05 for someone who came at 19:05 BST).
    """
    if not stamp or offset is None:
        return stamp
    return datetime.fromisoformat(stamp).astimezone(offset).isoformat(timespec="milliseconds")


def attendance(db: sqlite_utils.Database, event: Event, fmt: str = "csv") -> bytes:
    """The attendance report in one of FORMATS: one row per person with arrival time and station."""
    rows = attendee_rows(db, event)
    if fmt == "json":
        return json.dumps({"event": event.public(), "headcount": headcount(db, event), "attendees": rows},
                          ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(rows)
    if fmt == "csv":
        return to_csv(rows).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}: use {', '.join(FORMATS)}")


def arrivals_per_minute(db: sqlite_utils.Database, event: Event) -> list[dict[str, Any]]:
    """[{minute: "2026-11-26T18:31", arrivals: n}, ...] from current check-ins, counting people
    (a host's guests arrive with them), as the headcount does."""
    rows = db.execute(
        "SELECT substr(checked_in_at, 1, 16) AS minute, sum(1 + guests) AS arrivals FROM attendees "
        "WHERE event_id = ? AND checked_in_at IS NOT NULL GROUP BY minute ORDER BY minute", [event.id])
    return [dict(r) for r in rows]
