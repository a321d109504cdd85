"""Parsers for the attendee lists organisers download from their ticketing platform.

Pure functions over a file: no database, no Flask. :func:`read_attendee_file`
reads and validates the whole file before returning anything, so the caller can
import all-or-nothing; every problem is an :class:`ImportFileError` whose message
names the file and the line.

Supported: Meetup's attendee download, Eventbrite's attendee report, Luma's guest
CSV, Tito's ticket export, pretix's check-in list, and any plain CSV or .xlsx
with a name column. Door codes come back as store keys from
:mod:`kiosk.platform_codes`, the same keys :func:`kiosk.platform_codes.scan_keys`
produces for what a scanner reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from .common import Columns, RowParser, codes_set_aside
from . import plain, pretix
from .detect import PARSERS, detect_source
from .model import ImportBatch, ImportedPerson, ImportFileError
from .reading import Table, table_candidates, width_error

__all__ = [
    "SOURCES",
    "ImportBatch",
    "ImportFileError",
    "ImportedPerson",
    "read_attendee_file",
    "with_progress",
]

SOURCES = ("auto", "meetup", "eventbrite", "luma", "tito", "pretix", "csv")

ProgressCallback = Callable[[int, int], None]
T = TypeVar("T")

# Progress is reported about this many times per file, whatever its size.
_PROGRESS_STEPS = 50


def read_attendee_file(path: str | os.PathLike[str], source: str = "auto",
                       progress: ProgressCallback | None = None) -> ImportBatch:
    """Read, detect and validate an attendee file; return everyone in it, or raise ImportFileError.

    ``source`` forces a format ("csv" means any plain CSV or .xlsx list); "auto"
    decides from the header row. ``progress(done_rows, total_rows)`` is called as
    rows are parsed, ending with ``progress(total, total)``.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    columns, chosen, parse_row = _choose_table(path, source)
    table = columns.table
    widened = next((row for row in table.rows if row.widened), None)
    if widened is not None and chosen != "csv":  # a heading line only a hand-made list has
        raise width_error(path, widened.line, 1, len(table.header))
    try:
        people = _check_unique(table, _parse_rows(table, parse_row, progress))
        warnings = codes_set_aside(columns, people)
    except ImportFileError as exc:
        raise exc.in_sheet(table.sheet) from None
    batch_source = "xlsx" if chosen == "csv" and table.kind == "xlsx" else chosen
    return ImportBatch(source=batch_source, path=os.fspath(path), people=people,
                       encoding=table.encoding, warnings=warnings)


def _choose_table(path: str | os.PathLike[str], source: str) -> tuple[Columns, str, RowParser]:
    """The first reading of the file whose header the format understands (its columns), with its row parser.

    A workbook offers several readings (other sheets, a header under a title row); when
    none fits, the error is the one about the likeliest reading, naming its sheet. One reading
    is passed over while another may fit: pretix's order summary, which a plain list would
    fit. Its "Order data" workbook opens on the Orders sheet, one buyer per order, while the
    people and their ticket secrets are on its "Order positions" sheet.
    """
    first_error: ImportFileError | None = None
    summary_reading: tuple[Columns, str, RowParser] | None = None
    with contextlib.closing(table_candidates(path, plain.names_a_column)) as tables:
        for table in tables:
            columns = Columns(table)
            chosen = detect_source(columns) if source == "auto" else source
            try:
                parse_row = PARSERS[chosen].row_parser(columns)
            except ImportFileError as exc:
                first_error = first_error or exc.in_sheet(table.sheet)
                continue
            if source != "auto" or not pretix.order_summary(columns):
                return columns, chosen, parse_row
            summary_reading = summary_reading or (columns, chosen, parse_row)
    if summary_reading is not None:
        return summary_reading
    assert first_error is not None  # table_candidates raises rather than yield nothing
    raise first_error


def _parse_rows(table: Table, parse_row: Callable, progress: ProgressCallback | None
                ) -> list[ImportedPerson]:
    """Every row as a person (a row its format passes over, none), reporting progress at even intervals."""
    return [person for person in map(parse_row, with_progress(table.rows, progress)) if person is not None]


def with_progress(items: Sequence[T], progress: ProgressCallback | None) -> Iterator[T]:
    """The items one by one, calling ``progress(done, total)`` about 50 times, and at the end.

    Each call comes after the item's work is done, so a bar never runs ahead of it.
    """
    total = len(items)
    step = max(1, total // _PROGRESS_STEPS)
    if progress:
        progress(0, total)
    for done, item in enumerate(items, start=1):
        yield item
        if progress and (done % step == 0 or done == total):
            progress(done, total)


def _check_unique(table: Table, people: list[ImportedPerson]) -> list[ImportedPerson]:
    """The people, each ticket once; two different rows with one identity or one door code would
    make re-imports and scans ambiguous, and refuse the file.

    A row repeated whole (pasted twice, two exports put one under the other) is the same ticket
    again: it is left out, since refusing the list over it left the door without one.
    """
    first_of: dict[str, ImportedPerson] = {}
    holder_of: dict[str, ImportedPerson] = {}
    unique: list[ImportedPerson] = []
    for person in people:
        earlier = first_of.get(person.external_id)
        if earlier is not None:
            if _same_ticket(earlier, person):
                continue
            raise ImportFileError(
                table.path, person.line,
                f"is the same ticket as line {earlier.line} ({person.external_id}); the file lists it twice")
        holders = [holder_of[code] for code in person.codes if code in holder_of]
        if holders and all(_same_ticket(holder, person) for holder in holders):
            continue
        for code in person.codes:
            if code in holder_of:
                raise ImportFileError(
                    table.path, person.line,
                    f"has the same ticket code as line {holder_of[code].line} ({code})")
            holder_of[code] = person
        first_of[person.external_id] = person
        unique.append(person)
    return unique


def _same_ticket(earlier: ImportedPerson, later: ImportedPerson) -> bool:
    """Whether a later row says just what an earlier one said: a row repeated, not a second ticket.
    The key is left out of the comparison, since a plain list numbers a repeated one (`#2`)."""
    return dataclasses.replace(later, line=earlier.line, external_id=earlier.external_id) == earlier
