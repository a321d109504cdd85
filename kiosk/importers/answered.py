"""When each answer of a form's response sheet was submitted, read from its timestamp column.

A form answered twice is two rows, and the later answer is the one that counts. The file's order
says which came later only until someone sorts the sheet (by name, to find people): then only the
timestamp does. Its format depends on the form and the owner's locale:

- Google Forms: "Timestamp" (German "Zeitstempel", French "Horodateur", Spanish "Marca temporal",
  Dutch "Tijdstempel", Italian "Informazioni cronologiche", Portuguese "Carimbo de data/hora"),
  written "11/26/2026 18:30:45" in the US, "26/11/2026 18:30:45" in the UK, "26.11.2026 18:30:45"
  in Germany;
- Microsoft Forms: "Completion time", "11/26/26 18:30:45";
- Typeform, Tally and others: "Submitted At", "Submitted at", ISO 8601 "2026-11-26 18:30:45";
- a workbook cell that holds a date: already ISO 8601 when read (``reading``).

Whether "03/04/2026" is the 3rd of April or the 4th of March is decided for the whole column: a
first number above 12 anywhere means day first, a second number above 12 month first. A column
that cannot be read whole (an unknown format, both orders possible) gives no times at all, and
the file's order decides, as before.
"""

from __future__ import annotations

import datetime as dt
import re

from .common import Columns

SUBMITTED_TITLES = ("Timestamp", "Submitted at", "Submitted", "Submission time", "Submission date",
                    "Date submitted", "Completion time", "Zeitstempel", "Horodateur", "Marca temporal",
                    "Tijdstempel", "Informazioni cronologiche", "Carimbo de data/hora")

# "11/26/2026 18:30:45", "26.11.2026 18:30", "11/26/26 6:30:45 PM": numbers the column decides the order of.
_NUMERIC = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")


def submission_times(columns: Columns) -> dict[int, str]:
    """Line -> when the row was submitted, as sortable ISO 8601 text; {} when the sheet has no
    timestamp column or it cannot be read whole."""
    index = columns.find(*SUBMITTED_TITLES)
    if index is None:
        return {}
    cells = {row.line: columns.cell(row, index).strip() for row in columns.table.rows}
    cells = {line: text for line, text in cells.items() if text}
    if not cells:
        return {}
    iso = {line: _iso(text) for line, text in cells.items()}
    if all(iso.values()):
        return iso  # type: ignore[return-value]  # every value is text here
    numeric = {line: _NUMERIC.fullmatch(text) for line, text in cells.items()}
    if not all(numeric.values()):
        return {}
    day_first = _day_first([match for match in numeric.values() if match])
    if day_first is None:
        return {}
    times = {line: _from_numbers(match, day_first) for line, match in numeric.items() if match}
    return times if all(times.values()) else {}  # type: ignore[return-value]


def _iso(text: str) -> str | None:
    """ISO 8601 text, in UTC when it says its offset (so 10:30+01:00 comes before 10:00Z)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when.astimezone(dt.timezone.utc) if when.tzinfo else when).replace(tzinfo=None).isoformat()


def _day_first(matches: list[re.Match[str]]) -> bool | None:
    """True for day/month, False for month/day, None when the column does not say (or says both)."""
    firsts = {int(match.group(1)) for match in matches}
    seconds = {int(match.group(2)) for match in matches}
    if max(firsts) > 12 and max(seconds) <= 12:
        return True
    if max(seconds) > 12 and max(firsts) <= 12:
        return False
    if all(match.string[match.end(2)] == "." for match in matches):
        return True  # 26.11.2026 is German (and Dutch, and Russian): day first
    if len(firsts) == 1 and len(seconds) == 1:
        return True  # one day only: either order sorts the same
    return None


def _from_numbers(match: re.Match[str], day_first: bool) -> str | None:
    first, second, year, hour, minute, secs, half = match.groups()
    day, month = (first, second) if day_first else (second, first)
    hours = int(hour) % 12 + (12 if half and half.lower() == "pm" else 0) if half else int(hour)
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        return dt.datetime(full_year, int(month), int(day), hours, int(minute), int(secs or 0)).isoformat()
    except ValueError:
        return None
