"""What an import produces, and the one error it raises."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass
class ImportedPerson:
    """One attendee row of an organiser's list, normalised and validated."""

    line: int  # 1-based physical line of the row in the file (header = line 1)
    name: str  # full display name, whitespace-normalised, never empty
    first_name: str
    last_name: str
    email: str | None  # lower-cased, None when absent
    company: str | None
    attending: bool  # False for declined, cancelled, refunded, void, waitlisted...
    platform_status: str  # the raw status text from the file ('' when none)
    external_id: str  # stable re-import key, e.g. "eventbrite:123456789"
    codes: list[str]  # store keys of the door codes on this person's platform ticket
    guests: int = 0  # Meetup "+1" guests
    role: str = "attendee"  # "speaker" when a ticket type / role column says so
    ticket_type: str | None = None
    # False when the platform holds no name for this person (a pretix event that asks none): the
    # list shows their email or order instead, and they are greeted and badged without a name,
    # never "Welcome, Order!".
    named: bool = True
    # True when `external_id` is only the row's place in its order (pretix without a Secret or a
    # Position ID): a renamed ticket re-sorts the list and moves it (list_import._repaired_places).
    placed: bool = False
    # True when the row's platform code could not be read and was left out (common.codes_set_aside):
    # the codes stored for them by an earlier list are kept, not replaced by none.
    code_set_aside: bool = False


@dataclass
class ImportBatch:
    """Everyone in one file; only ever returned whole, after the whole file validated."""

    source: str  # meetup|eventbrite|luma|tito|pretix|csv|xlsx
    path: str
    people: list[ImportedPerson] = field(default_factory=list)
    # The codec a text file was read with ("utf-8", "utf-16-le", "cp1252"...), None for .xlsx:
    # a list read as Windows-1252 is worth saying, since only the organiser can tell whether
    # that guess was right.
    encoding: str | None = None
    # What the organiser should know of rows imported without part of what they said ("line 7: ...").
    warnings: list[str] = field(default_factory=list)


class ImportFileError(ValueError):
    """Anything wrong with an attendee file; the message names the file and, when known, the line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, reason: str,
                 sheet: str | None = None) -> None:
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason
        self.sheet = sheet
        where = os.path.basename(self.path) or self.path
        if sheet is not None:
            where += f" sheet {sheet!r}"
        if line is not None:
            where += f" line {line}"
        super().__init__(f"{where}: {reason}")

    def in_sheet(self, sheet: str | None) -> "ImportFileError":
        """The same error naming the worksheet, so the organiser knows which tab to fix."""
        if sheet is None or self.sheet is not None:
            return self
        return ImportFileError(self.path, self.line, self.reason, sheet=sheet)

    def nothing_imported(self) -> str:
        """The message plus "Nothing was imported." as its own sentence: reasons are written
        without a closing full stop (they follow "file line 4:"), so one is added here, once,
        for the web upload and the command line alike."""
        text = str(self).rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        return f"{text} Nothing was imported."
