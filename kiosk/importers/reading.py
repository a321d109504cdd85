"""Turn an uploaded file into a header and rows of text, or say exactly why not.

Organisers bring whatever their platform or spreadsheet produced: UTF-8 with
or without a BOM, UTF-16 (Meetup's ".xls" that is really tab-separated text),
CRLF or LF, commas, semicolons or tabs, or a real .xlsx workbook. Everything
format-specific stops here; the platform parsers only see a :class:`Table`.
Anything unreadable raises :class:`ImportFileError` naming the line.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import codepages, sections
from .model import ImportFileError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 500
MAX_CSV_FIELD = 131_072  # the csv module's own default, stated so the message can quote it
# Rows a list may have above its header: a merged title, a date line, a blank-looking note, or a
# report's whole preamble (report name, event, date range, who generated it and when).
MAX_TITLE_ROWS = 8

DELIMITERS = (",", ";", "\t")
# Excel's first line naming a CSV's delimiter, "sep=;" (group 2); its line break is not matched.
_SEPARATOR_HINT = re.compile(r"(sep=([,;\t|]))[ \t]*(?=\r\n|\r|\n)", re.IGNORECASE)

# C0/C1 controls (keeping tab and line breaks, which are whitespace inside a cell), the BOM,
# and bidi overrides, which could make a name on the volunteer screen read backwards.
_UNWANTED_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u202a-\u202e\u2066-\u2069]"
)

# Byte order marks and the encoding each one declares.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)
# A well-formed multi-byte UTF-8 character (RFC 3629, no surrogates, no overlong forms).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# A line organisers add under a list in a spreadsheet: "Total", "Total: 42", "Grand total",
# "Count" (German "Summe"/"Gesamt", Dutch "Totaal"), or "42 attendees"; its other cells hold
# numbers only (a count, a sum of ticket prices). It is a summary, not a person.
_SUMMARY_LABEL = re.compile(
    r"(?:grand\s+)?(?:totals?|sum|count|summe|gesamt|totaal|totale)"
    r"(?:\s+(?:attendees|guests|people|participants|registrations|rsvps|tickets))?\s*:?\s*[0-9]*"
    r"|[0-9]+\s+(?:attendees|guests|people|participants|registrations|rsvps|tickets)",
    re.IGNORECASE)
_SUMMARY_NUMBER = re.compile(r"[-+]?[$€£¥]?\s*[0-9][0-9.,\s]*\s*[$€£¥%]?")
# What a spreadsheet shows in a cell whose formula failed: Excel's error values (and its newer
# dynamic-array and data-type ones), Google Sheets' "#ERROR!", LibreOffice's "Err:502" style codes.
SPREADSHEET_ERRORS = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA", "#ERROR!",
    *(f"Err:{code}" for code in range(501, 540)),
})
# A cell written as a formula that is only a text, ="00123": exports write codes and phone numbers so
# to stop Excel reading them as numbers and dropping their leading zeros.
_EXCEL_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')
# C0 controls other than tab and line breaks: text exported from a spreadsheet has none.
_C0_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# The stream name, in UTF-16 as OLE2 directories write it, of an encrypted Office document.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Signatures of files people pick by mistake, so the error can say what the file is.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "is an old binary Excel workbook (.xls); open it and save it as .xlsx or CSV"),
    (b"\x89PNG\r\n\x1a\n", "is a PNG image, not an attendee list"),
    (b"\xff\xd8\xff", "is a JPEG image, not an attendee list"),
    (b"GIF87a", "is a GIF image, not an attendee list"),
    (b"GIF89a", "is a GIF image, not an attendee list"),
    (b"%PDF-", "is a PDF document, not an attendee list"),
    (b"\x1f\x8b", "is a gzip archive, not an attendee list"),
    (b"SQLite format 3\x00", "is an SQLite database, not an attendee list"),
)


@dataclass
class Row:
    """One data row: its physical line in the file and its cells, one per header column."""

    line: int
    cells: list[str]
    # A section heading typed on a line of its own ("SPEAKERS"), widened to the header's width:
    # only a hand-made list has those, so a platform's export with one is refused (see _fitted).
    widened: bool = False


@dataclass
class Table:
    """A file reduced to text: the header row and the data rows below it."""

    path: str
    kind: str  # "csv" (any delimited text) or "xlsx"
    header: list[str]
    header_line: int
    rows: list[Row]
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None  # the worksheet's name, for an .xlsx workbook


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read a delimited text file or an .xlsx workbook into a :class:`Table` (its likeliest reading)."""
    tables = table_candidates(path)
    try:
        return next(tables)
    finally:
        tables.close()


def table_candidates(path: str | os.PathLike[str],
                     names_a_column: Callable[[str], bool] = lambda cell: False) -> Iterator[Table]:
    """Every plausible reading of the file, likeliest first; the caller keeps the first it understands.

    A text file has one per line that may be its header (title lines can sit above it);
    a workbook, one per sheet (the active sheet first) and per row that may be its header. Raises
    ImportFileError when the file has no reading at all. ``names_a_column(cell)``: whether a line of
    that one cell is a header ("Name"), never a title above one.
    """
    data = _read_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        yield from _xlsx_tables(path, data, names_a_column)
        return
    yield from _text_tables(path, data, names_a_column)


def _text_tables(path: str | os.PathLike[str], data: bytes, names_a_column: Callable[[str], bool]) -> Iterator[Table]:
    """A delimited text file read with its header on the first line, then below title lines.

    Organisers put a title ("Attendee list for ...") and a blank line above the header,
    as in a workbook. When no reading holds together, the error is the first reading's,
    unless that one took a one-cell title for its header and broke on the line under it:
    then the next reading's error, past the title, names the real problem.
    """
    for signature, reason in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ImportFileError(path, 1, _encrypted_reason(data) or reason)
    text, encoding = decode_text(path, data)
    markup = _markup_reason(text)
    if markup:
        raise ImportFileError(path, 1, markup)
    text, hint = _excel_separator_hint(text)
    lines = io.StringIO(text, newline="").readlines()
    nonblank = [index + 1 for index, line in enumerate(lines) if line.strip()]
    skips = [0] if nonblank and names_a_column(_only_cell(lines[nonblank[0] - 1], hint)) else \
        _title_line_counts(lines, nonblank, hint)  # "Name" above "Lovelace, Ada": a header and a faulty row
    errors: list[ImportFileError] = []
    for skip in skips:
        header_line = nonblank[skip]
        # The title lines become empty lines, so every line keeps its number.
        body = "\n" * (header_line - 1) + "".join(lines[header_line - 1:]) if skip else text
        try:
            table = _read_delimited(path, body, hint)
        except ImportFileError as exc:
            errors.append(exc)
            continue
        table.encoding = encoding
        yield table
    if len(errors) == len(skips):
        raise _likeliest_error(errors, lines, nonblank, hint)


def _encrypted_reason(data: bytes) -> str | None:
    """Why an OLE2 file is refused when it is a password-protected or sensitivity-labelled .xlsx:
    Office wraps those in the same container as an old .xls, its stream named "EncryptedPackage"
    (MS-OFFCRYPTO 2.3.4), and "save it as .xlsx" would not help."""
    if ENCRYPTED_PACKAGE not in data:
        return None
    return ("is an encrypted workbook (a password or a sensitivity label protects it); open it in Excel, "
            "remove the protection or save a copy as CSV UTF-8, and import that")


def _markup_reason(text: str) -> str | None:
    """Why a text file that is markup is refused: a web page saved instead of the export (the
    platform's sign-in page, when the session had expired), an HTML table a site names ".xls", or
    Excel's 2003 XML spreadsheet. Read as CSV, their first tag became a header with no one below."""
    head = text[:2048].lstrip().casefold()
    if head.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in head:
        return "is an Excel 2003 XML spreadsheet; open it in Excel and save it as .xlsx or CSV UTF-8"
    if head.startswith(("<!doctype html", "<html", "<table", "<head", "<body")):
        return ("is a web page (HTML), not an attendee list: download the export again while signed in "
                "to the platform, or, if it is a table named .xls, open it in Excel and save it as .xlsx")
    return None


def _likeliest_error(errors: list[ImportFileError], lines: list[str], nonblank: list[int],
                     hint: str | None) -> ImportFileError:
    """The first reading's error, or the next one's when the first read a one-cell title as
    its header and broke on the very next line (so the organiser is sent to the real fault)."""
    first_line = lines[nonblank[0] - 1]
    title_first = _cell_count(first_line, hint or sniff_delimiter(first_line)) == 1
    if title_first and len(errors) > 1 and errors[0].line == nonblank[1]:
        return errors[1]
    return errors[0]


def _title_line_counts(lines: list[str], nonblank: list[int], hint: str | None) -> list[int]:
    """How many leading non-blank lines may be titles: 0, and up to MAX_TITLE_ROWS when each of them has
    one cell, or fewer than the line below them (a title, a date, a note above the header), or two
    above a header of two or more ("Attendees, November 2026": a comma in a title's words). Each
    reading is only tried when the ones before it failed, so a header on the first line still wins."""
    counts = [0]
    for skip in range(1, min(MAX_TITLE_ROWS, len(nonblank) - 1) + 1):
        header = lines[nonblank[skip] - 1]
        delimiter = hint or sniff_delimiter(header)
        cells = _cell_count(header, delimiter)
        if all(_may_be_title(_title_width(lines[line - 1], delimiter, hint or cells > 1), cells)
               for line in nonblank[:skip]):
            counts.append(skip)
    return counts


def _may_be_title(width: int, header_width: int) -> bool:
    return width < max(header_width, 2) or width == 2 <= header_width


def _title_width(line: str, delimiter: str, delimiter_known: bool) -> int:
    """How many cells a line above a possible header holds: split by that header's delimiter, and,
    when the header is one cell (its delimiter only a guess), by the line's own as well.

    A one-cell line (the tail of a quoted cell that runs over two lines) sniffs as a comma list; split
    by commas, a tab-separated header above it is one cell too and would pass for a title, and the
    error reported would be about that misreading instead of the file's real fault.
    """
    count = _cell_count(line, delimiter)
    return count if delimiter_known else max(count, _cell_count(line, sniff_delimiter(line)))


def _only_cell(line: str, hint: str | None) -> str:
    """The text of a line that holds one cell, else ""."""
    cells = _filled_cells(line, hint or sniff_delimiter(line))
    return clean_cell(cells[0]).strip() if len(cells) == 1 else ""


def _cell_count(line: str, delimiter: str) -> int:
    """How many non-empty cells a single line holds."""
    return len(_filled_cells(line, delimiter))


def _filled_cells(line: str, delimiter: str) -> list[str]:
    """The non-empty cells of a single line (split plainly when it is not valid CSV)."""
    try:
        cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        cells = line.split(delimiter)
    return [cell for cell in cells if cell.strip()]


def _excel_separator_hint(text: str) -> tuple[str, str | None]:
    """The text without Excel's "sep=;" first line (blanked, so line numbers hold), and its delimiter.

    Excel writes and honours that line so a CSV opens in columns whatever the locale's separator.
    """
    match = _SEPARATOR_HINT.match(text)
    if not match:
        return text, None
    return text[match.end(1):], match.group(2)


# What a spreadsheet would run as a formula: the attendance report (kiosk/reports.py) and other
# careful exports write such a cell with a leading "'", which Excel hides; read back, it is dropped.
_DEFUSED = ("=", "+", "-", "@")


def clean_cell(value: str) -> str:
    """NFC-normalise a cell and drop control characters, keeping its visible text intact.

    A formula that failed (a VLOOKUP that found no company: ``#N/A``) leaves its error in the
    cell, in the workbook and in the CSV Excel saves from it: that is no text to print on a
    badge, nor a name, so it reads as an empty cell. A code an export wrote as ``="00123"``, so
    that Excel keeps its leading zeros, is the text inside, and a cell the attendance report
    wrote as ``'=HYPERLINK(...)`` (so no spreadsheet runs it) is the name it stands for.
    """
    if not value:
        return ""
    text = _UNWANTED_CHARS.sub("", unicodedata.normalize("NFC", value))
    bare = text.strip()
    if bare in SPREADSHEET_ERRORS:
        return ""
    as_text = _EXCEL_TEXT_FORMULA.fullmatch(bare)
    if as_text:
        return as_text.group(1).replace('""', '"')
    if bare[:1] == "'" and bare[1:2] in _DEFUSED:  # a report's defused formula: "'=Ada" was "=Ada"
        return bare[1:]
    return text


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, refusing missing, odd and oversized files before reading them."""
    try:
        size = os.stat(path).st_size
        if not os.path.isfile(path):
            raise ImportFileError(path, None, "is not a regular file")
        if size > MAX_FILE_BYTES:
            raise ImportFileError(
                path, None, f"is too large ({size / 1048576:.1f} MB; the limit is "
                f"{MAX_FILE_BYTES // 1048576} MB)")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise ImportFileError(path, 1, "the file is empty")
    return data


def decode_text(path: str | os.PathLike[str], data: bytes) -> tuple[str, str]:
    """Decode by BOM, then UTF-16 without BOM, then strict UTF-8, then a Windows code page.

    NUL bytes mean binary. Returns the text and the codec it was read with
    (``"cp1252"`` for Excel's "CSV (Comma delimited)" on Windows).
    """
    text, encoding = _decode(path, data)
    if "\x00" in text:
        raise ImportFileError(path, text[: text.index("\x00")].count("\n") + 1,
                              "contains NUL characters: this is a binary file, not a text list")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError(path, 1, "the file is empty")
    return text, encoding


def _decode(path: str | os.PathLike[str], data: bytes) -> tuple[str, str]:
    """The text and its codec; only a file whose bytes declare nothing may be Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_strictly(path, data[len(bom):], encoding), encoding
    if b"\x00" in data:
        encoding = _guess_utf16(data)
        if encoding is None:
            raise ImportFileError(path, _line_of_byte(data, data.index(b"\x00")),
                                  "contains NUL bytes: this is a binary file, not a text list")
        return _decode_strictly(path, data, encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        codec = "mac_roman" if _classic_mac_lines(data) else codepages.guess(data)
        return _decode_windows_1252(path, data, exc, codec), codec


def _classic_mac_lines(data: bytes) -> bool:
    """Whether lines end in a lone CR, as Excel for Mac's old "Comma Separated Values" and "CSV
    (Macintosh)" write them: those files are MacRoman, not Windows-1252, so "José" is not "JosŽ".

    (Excel on Mac saves CSV "in MacRoman" with classic Mac line ends: seeblog.seenet.ca, "CSV
    Support in Excel for Mac 2016 is a Travesty"; donatstudios.com, "CSV: An Encoding Nightmare".)
    """
    return b"\r" in data and b"\n" not in data


def _decode_strictly(path: str | os.PathLike[str], body: bytes, encoding: str) -> str:
    """The body in the encoding its BOM or byte pattern declared; no second guess."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise _undecodable(path, line, encoding.upper(), body[exc.start]) from exc


def _decode_windows_1252(path: str | os.PathLike[str], data: bytes,
                         utf8_error: UnicodeDecodeError, codec: str = "cp1252") -> str:
    """Read a file that is not UTF-8 as Windows-1252, Excel's "CSV (Comma delimited)" on Windows
    (or as ``codec``: another Windows code page its letters fit better, see ``codepages``, or
    MacRoman for a file with classic Mac line ends).

    Only when the bytes look like that: a file that also holds a well-formed
    multi-byte UTF-8 character is a damaged UTF-8 file (cp1252 text almost never
    forms one by chance), and reading it as cp1252 would turn every accent into
    mojibake silently, so it is refused at its broken byte. Control characters
    mean binary. Bytes cp1252 leaves undefined are refused too.
    """
    if _UTF8_MULTIBYTE.search(data):
        raise _undecodable(path, _line_of_byte(data, utf8_error.start), "UTF-8",
                           data[utf8_error.start]) from utf8_error
    control = _C0_CONTROL.search(data)
    if control:
        raise ImportFileError(
            path, _line_of_byte(data, control.start()),
            f"is not UTF-8 text and has a control character (byte 0x{data[control.start()]:02X}): "
            "this looks like a binary file, not a text list")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:  # MacRoman defines every byte; cp1252 leaves five undefined
        raise _undecodable(path, _line_of_byte(data, exc.start), "UTF-8 or Windows-1252",
                           data[exc.start]) from exc


def _undecodable(path: str | os.PathLike[str], line: int, encodings: str, byte: int) -> ImportFileError:
    """The error for a byte no accepted encoding can read, with the fix the organiser can do."""
    return ImportFileError(path, line, f"is not valid {encodings} text (byte 0x{byte:02X}); "
                           "save the file as 'CSV UTF-8' and import it again")


def _guess_utf16(data: bytes) -> str | None:
    """Recognise BOM-less UTF-16 text by its zero high bytes on ASCII characters."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_zero = sample[0::2].count(0) / (len(sample) / 2)
    odd_zero = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def _line_of_byte(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset, for errors about raw bytes (lone-CR lines too)."""
    return data.count(b"\r" if _classic_mac_lines(data) else b"\n", 0, offset) + 1


def sniff_delimiter(first_line: str) -> str:
    """Pick the delimiter that splits the header line most often (quoted text ignored)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_delimited(path: str | os.PathLike[str], text: str, delimiter: str | None = None) -> Table:
    """Parse delimited text, checking every row's width against the header.

    The delimiter, unless given, is the one that splits the header line most often.
    """
    if delimiter is None:
        first_line = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
        delimiter = sniff_delimiter(first_line)
    if delimiter == "\t":
        records = iter(_tab_records(path, text))
    else:
        records = iter(_csv_records(path, text, delimiter, csv.QUOTE_MINIMAL))
    header_line, header = _take_header(path, records)
    width = len(header)
    rows: list[Row] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells) or _repeats_header(cells, header):
            continue
        rows.append(Row(line, _fit_width(path, line, cells, width), widened=len(cells) < width))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(path, line, f"has more than {MAX_ROWS} rows")
    return _finish(path, "csv", header, header_line, _without_summary_rows(rows), delimiter)


def _tab_records(path: str | os.PathLike[str], text: str) -> list[tuple[int, list[str]]]:
    """Tab-separated records, with or without CSV quoting, whichever the file really uses.

    Meetup writes tabs without CSV quoting, so an answer that begins with a quote mark
    is literal text; read as CSV, that quote would swallow the rows up to the next quote
    mark, silently. So both readings are made: the one whose rows all fit the header
    wins, the unquoted one first. When neither fits, they disagree on how many rows there
    are and a quoted cell took in whole rows (it holds a tab), the file is refused at the
    line where they part, rather than lose rows; otherwise the quoted reading's own fault
    (a row too wide) is the one reported.
    """
    plain = [(line, [_unquote(cell) for cell in cells])
             for line, cells in _csv_records(path, text, "\t", csv.QUOTE_NONE)]
    try:
        quoted = _csv_records(path, text, "\t", csv.QUOTE_MINIMAL)
    except ImportFileError:
        return plain
    if _rectangular(plain):
        return plain
    if _rectangular(quoted) or len(_nonblank(quoted)) == len(_nonblank(plain)) or not _swallows_rows(quoted):
        return quoted
    line = _parting_line(_nonblank(quoted), _nonblank(plain))
    raise ImportFileError(path, line, "has a quote mark that opens a cell running over several lines, "
                          "so rows below it would be lost; remove the stray '\"' (or close it) and import again")


def _swallows_rows(records: list[tuple[int, list[str]]]) -> bool:
    """Whether a quoted cell holds a tab: the mark of a stray quote that ran on over whole rows.

    A cell quoted over two lines and closed (Excel's "Unicode Text" quotes an answer with a line
    break in it) holds no tab, so that reading stands and a row's real fault is reported at its line.
    """
    return any("\t" in cell for _, cells in records for cell in cells)


def _unquote(cell: str) -> str:
    """A fully quoted cell's text without its quotes ("" inside meaning one quote mark)."""
    if len(cell) >= 2 and cell.startswith('"') and cell.endswith('"'):
        return cell[1:-1].replace('""', '"')
    return cell


def _nonblank(records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The records holding anything (blank lines are skipped everywhere)."""
    return [record for record in records if any(cell.strip() for cell in record[1])]


def _rectangular(records: list[tuple[int, list[str]]]) -> bool:
    """Whether every row fits the header's width (empty trailing cells allowed, as _fit_width does)."""
    rows = _nonblank(records)
    if not rows:
        return False
    width = len(_header_titles(rows[0][1]))
    return all(_fitted(cells, width) is not None for _, cells in rows[1:])


def _parting_line(quoted: list[tuple[int, list[str]]], plain: list[tuple[int, list[str]]]) -> int:
    """The line of the quoted record that swallowed the lines after it."""
    for index, ((quoted_line, _), (plain_line, _)) in enumerate(zip(quoted, plain)):
        if quoted_line != plain_line:
            return quoted[max(index - 1, 0)][0]
    return quoted[-1][0] if quoted else 1


def _csv_records(path: str | os.PathLike[str], text: str, delimiter: str,
                 quoting: int) -> list[tuple[int, list[str]]]:
    """(first physical line, cleaned cells) for each CSV record, lines counted exactly."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting,
                        strict=True)
    records: list[tuple[int, list[str]]] = []
    consumed = 0
    while True:
        start = consumed + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise ImportFileError(path, start, _csv_reason(exc)) from exc
        consumed = reader.line_num
        records.append((start, [clean_cell(cell) for cell in cells]))
        if len(records) > MAX_ROWS + 10:
            raise ImportFileError(path, start, f"has more than {MAX_ROWS} rows")


def _csv_reason(exc: csv.Error) -> str:
    """Say in plain words what the csv module objected to."""
    message = str(exc)
    if "field larger than field limit" in message:
        return f"has a cell longer than {MAX_CSV_FIELD} characters"
    if "unexpected end of data" in message or "EOF" in message:
        return "has a quoted cell that is never closed (a missing '\"')"
    return f"is not well-formed CSV ({message})"


def _take_header(path: str | os.PathLike[str], records) -> tuple[int, list[str]]:
    """The first non-blank record, trailing empty titles dropped (a trailing delimiter)."""
    for line, cells in records:
        if any(cell.strip() for cell in cells):
            header = _header_titles(cells)
            if len(header) > MAX_COLUMNS:
                raise ImportFileError(path, line, f"has more than {MAX_COLUMNS} columns")
            return line, header
    raise ImportFileError(path, 1, "the file is empty")


def _header_titles(cells: list[str]) -> list[str]:
    """Whitespace-normalised titles, trailing empty ones dropped (a trailing delimiter)."""
    header = [" ".join(cell.split()) for cell in cells]
    while header and not header[-1]:
        header.pop()
    return header


def _fitted(cells: list[str], width: int) -> list[str] | None:
    """Cells trimmed of empty trailing extras to the header's width, or None if they do not fit.
    A section heading typed on a line of its own ("SPEAKERS") is one cell wide: it is widened."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        cells = cells[:width]
    if len(cells) == 1 < width and sections.heading_of(cells) is not None:
        cells = cells + [""] * (width - 1)
    return cells if len(cells) == width else None


def _fit_width(path: str | os.PathLike[str], line: int, cells: list[str], width: int) -> list[str]:
    """Cells trimmed of empty trailing extras; any other width mismatch is an error."""
    fitted = _fitted(cells, width)
    if fitted is None:
        raise width_error(path, line, len(cells), width)
    return fitted


def width_error(path: str | os.PathLike[str], line: int, fields: int, width: int) -> ImportFileError:
    return ImportFileError(path, line, f"has {fields} field{'s' if fields != 1 else ''} but the header has {width}; "
                           "a value probably contains an unquoted delimiter or a line break")


def _repeats_header(cells: list[str], header: list[str]) -> bool:
    """Whether a row is the header again: two exports pasted one under the other keep the
    second one's title row, which is no person (nor an Eventbrite number to refuse the file on)."""
    titles = _header_titles(cells)
    return len(titles) == len(header) and all(
        title.casefold() == expected.casefold() for title, expected in zip(titles, header))


def _without_summary_rows(rows: list[Row]) -> list[Row]:
    """The rows without the totals lines under the list ("Total,42"), which are no one.

    Only lines at the very end are dropped, and only when every filled cell is a summary
    label or a number: a person named "Total" with an email or a company stays.
    """
    end = len(rows)
    while end and _is_summary(rows[end - 1].cells):
        end -= 1
    return rows[:end]


def _is_summary(cells: list[str]) -> bool:
    """Whether a row reads like "Total: 42" or ",,Total,3,75.00": one label, then numbers."""
    filled = [" ".join(cell.split()) for cell in cells if cell.strip()]
    return bool(filled) and bool(_SUMMARY_LABEL.fullmatch(filled[0])) and all(
        _SUMMARY_NUMBER.fullmatch(cell) for cell in filled[1:])


def _finish(path, kind: str, header: list[str], header_line: int, rows: list[Row],
            delimiter: str | None) -> Table:
    """Build the table, refusing a list with a header and nobody under it."""
    if not rows:
        raise ImportFileError(path, header_line + 1, "there are no attendee rows below the header")
    return Table(os.fspath(path), kind, header, header_line, rows, delimiter)


# --- xlsx ---------------------------------------------------------------------------------


def _xlsx_tables(path: str | os.PathLike[str], data: bytes,
                 names_a_column: Callable[[str], bool] = lambda cell: False) -> Iterator[Table]:
    """Each header candidate of each worksheet, the active sheet first; other ZIP files are refused."""
    _check_xlsx_archive(path, data)
    first_error: ImportFileError | None = None
    found = False
    with _open_workbook(path, data) as workbook:
        for sheet in _sheets_active_first(workbook):
            try:
                merged = _merged_ranges(sheet)
                texts = _unmerged(_sheet_rows(path, sheet), merged, names_a_column)
            except ImportFileError as exc:
                first_error = first_error or exc
                continue
            for skip in range(min(MAX_TITLE_ROWS + 1, max(len(texts), 1))):
                try:
                    table = _xlsx_table(path, texts, sheet.title, skip, merged)
                except ImportFileError as exc:
                    first_error = first_error or exc
                    continue
                found = True
                yield table
    if not found:
        raise first_error or ImportFileError(path, 1, "the workbook has no worksheet")


@contextlib.contextmanager
def _open_workbook(path: str | os.PathLike[str], data: bytes) -> Iterator[object]:
    """A read-only openpyxl workbook, closed afterwards; a broken one is a clear error."""
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise ImportFileError(path, 1, f"could not be read as an .xlsx workbook ({exc})") from exc
    try:
        yield workbook
    finally:
        workbook.close()


def _sheets_active_first(workbook) -> list:
    """Worksheets in the order to try: the one the organiser last looked at, then the rest."""
    sheets = list(workbook.worksheets)
    active = workbook.active
    if active in sheets:
        sheets.remove(active)
        sheets.insert(0, active)
    return sheets


def _sheet_rows(path: str | os.PathLike[str], sheet) -> list[tuple[int, list[object]]]:
    """A sheet's non-blank rows, read past its stored size.

    Read-only mode trusts the sheet's <dimension> element, which some programs write
    wrongly (too small): without the reset, rows beyond it would vanish silently.
    """
    try:
        sheet.reset_dimensions()
        rows = ((_row_values(cells) for cells in sheet.iter_rows()) if _pads_with_zeros(sheet.parent)
                else sheet.iter_rows(values_only=True))  # cells cost time: only when a format needs them
        return _nonblank_sheet_rows(path, sheet.title, rows)
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise ImportFileError(path, 1, f"could not be read as an .xlsx workbook ({exc})",
                              sheet=sheet.title) from exc


def _check_xlsx_archive(path: str | os.PathLike[str], data: bytes) -> None:
    """Refuse ZIPs that are not workbooks, and workbooks that would unpack to something huge."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "xl/workbook.xml" not in names:
                raise ImportFileError(path, 1, _other_zip_reason(archive, names))
    except zipfile.BadZipFile as exc:
        raise ImportFileError(path, 1, "is a damaged ZIP/.xlsx file") from exc
    if sum(info.file_size for info in infos) > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(path, 1, "is too large once unpacked")


def _other_zip_reason(archive: zipfile.ZipFile, names: set[str]) -> str:
    """Why a ZIP that is no .xlsx is refused, naming the spreadsheet it is when it is one: a
    LibreOffice/OpenDocument sheet (its "mimetype" entry, OpenDocument 1.2 part 3 section 3.3)
    or an Apple Numbers document (its "Index/*.iwa" archives), so the organiser knows to export."""
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 200 and archive.read(
            "mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return ("is an OpenDocument spreadsheet (.ods, LibreOffice); save it as .xlsx or "
                "CSV UTF-8 and import it again")
    if any(name.startswith("Index/") and name.endswith(".iwa") for name in names):
        return "is an Apple Numbers document; export it as CSV or Excel and import that"
    return "is a ZIP archive, not an .xlsx workbook"


def _nonblank_sheet_rows(path: str | os.PathLike[str], sheet: str,
                         rows) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) of rows holding anything; blank formatted rows cost nothing."""
    kept: list[tuple[int, list[str]]] = []
    for number, values in enumerate(rows, start=1):
        if any(value is not None and str(value).strip() for value in values):
            kept.append((number, [_xlsx_text(value) for value in values]))
            if len(kept) > MAX_ROWS + MAX_TITLE_ROWS + 1:
                raise ImportFileError(path, number, f"has more than {MAX_ROWS} rows", sheet=sheet)
    return kept


def _xlsx_table(path: str | os.PathLike[str], texts: list[tuple[int, list[str]]], sheet: str,
                skip: int = 0, merged: list[CellRange] | None = None) -> Table:
    """Header and rows from a sheet's cell texts, the header being the non-blank row after ``skip``.

    Cells right of the header are ignored. A title merged over several columns ("Name" over the
    given and the family name) is one column: its cells are read together, as the sheet shows them.
    """
    if not texts:
        raise ImportFileError(path, 1, "the sheet is empty", sheet=sheet)
    header_line, header = _take_header(path, iter(texts[skip:]))
    width = len(header)
    rows: list[Row] = []
    for line, cells in texts:
        if (line <= header_line or not any(cell.strip() for cell in cells[:width])
                or _repeats_header(cells, header)):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(path, line, f"has more than {MAX_ROWS} rows", sheet=sheet)
        rows.append(Row(line, (_joined_under_titles(cells, header_line, merged or []) + [""] * width)[:width]))
    rows = _without_summary_rows(rows)
    if not rows:
        raise ImportFileError(path, header_line + 1, "there are no attendee rows below the header",
                              sheet=sheet)
    table = Table(os.fspath(path), "xlsx", header, header_line, rows, None)
    table.sheet = sheet
    return table


# A merged area of a worksheet: (first column, first row, last column, last row), columns from 0
# (A), rows from 1, as _nonblank_sheet_rows numbers them.
CellRange = tuple[int, int, int, int]
_MERGE_CELL = re.compile(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"')


def _merged_ranges(sheet) -> list[CellRange]:
    """The sheet's merged areas, read from its XML (openpyxl's read-only sheets do not parse them).

    The <mergeCells> element follows the cells, so the part is scanned in pieces, never held whole."""
    source = getattr(sheet, "_get_source", None)
    if source is None:
        return []
    found: list[CellRange] = []
    tail = b""
    with source() as xml:
        while chunk := xml.read(1 << 20):
            text = tail + chunk
            end = max(text.rfind(b"<"), 0)  # a tag cut by the piece's end is read with the next piece
            found += _merge_refs(text[:end])
            tail = text[end:]
        found += _merge_refs(tail)
    return found


def _merge_refs(xml: bytes) -> list[CellRange]:
    """The merged areas named in a piece of a sheet's XML (most pieces hold none: not searched)."""
    if b"mergeCell" not in xml:
        return []
    return [(_column(a) - 1, int(b), _column(c) - 1, int(d)) for a, b, c, d in _MERGE_CELL.findall(xml)]


def _column(letters: bytes) -> int:
    """A column's number from its letters (A = 1, AA = 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _unmerged(texts: list[tuple[int, list[str]]], merged: list[CellRange],
              names_a_column: Callable[[str], bool]) -> list[tuple[int, list[str]]]:
    """Cell texts with merged areas read as the sheet shows them.

    A header of two rows (group titles such as "Attendee" merged over the "First name" and "Last
    name" titles below them) is one header row: the titles of the lower row, and the upper row's
    where a title is merged down over both. Read as the header, the group row named a person
    "First name" and lost the email. A cell merged down over several rows below them (one company
    for four people) is each row's."""
    if not merged:
        return texts
    by_line = {line: list(cells) for line, cells in texts}
    for first_col, first_row, last_col, last_row in merged:
        lower = by_line.get(first_row + 1)
        if (first_row == last_row and first_col < last_col and first_row in by_line and lower is not None
                and first_row <= MAX_TITLE_ROWS + 1 and any(names_a_column(cell) for cell in lower)):
            _fold_into_lower_header(by_line, first_row, merged)
    for first_col, first_row, last_col, last_row in merged:
        if first_col == last_col and first_row < last_row and first_row in by_line:
            value = _cell(by_line[first_row], first_col)
            for line in range(first_row + 1, last_row + 1):
                if line in by_line and not _cell(by_line[line], first_col):
                    cells = by_line[line]
                    cells.extend([""] * (first_col + 1 - len(cells)))
                    cells[first_col] = value
    return sorted(by_line.items())


def _fold_into_lower_header(by_line: dict[int, list[str]], group_line: int, merged: list[CellRange]) -> None:
    """The group row's titles merged down over the row below fill that row's blanks; the group row goes."""
    group = by_line.pop(group_line, None)
    lower = by_line.get(group_line + 1)
    if group is None or lower is None:
        return
    for first_col, first_row, last_col, last_row in merged:
        if first_row == group_line and last_row > group_line and not _cell(lower, first_col):
            lower.extend([""] * (first_col + 1 - len(lower)))
            lower[first_col] = _cell(group, first_col)


def _cell(cells: list[str], index: int) -> str:
    """A row's cell by column, blank past the row's last filled one (sheet rows end where they do)."""
    return cells[index] if index < len(cells) else ""


def _joined_under_titles(cells: list[str], header_line: int, merged: list[CellRange]) -> list[str]:
    """A row's cells with those under a title merged over several columns joined into its first
    ("Ada" and "Lovelace" under one "Name"): the first column alone lost the family name."""
    cells = list(cells)
    for first_col, first_row, last_col, last_row in merged:
        if first_row <= header_line <= last_row and first_col < last_col and first_col < len(cells):
            span = cells[first_col:last_col + 1]
            cells[first_col:last_col + 1] = [" ".join(cell for cell in span if cell.strip())] + [""] * (len(span) - 1)
    return cells


def _pads_with_zeros(workbook) -> bool:
    """Whether the workbook defines a leading-zeros number format (its custom formats; when
    openpyxl does not say, assume it may)."""
    formats = getattr(workbook, "_number_formats", None)
    return formats is None or any(_ZERO_PADDING.fullmatch(str(number_format)) for number_format in formats)


def _row_values(cells: tuple) -> list[object]:
    """A row's values, a whole number shown with leading zeros (format "00000": ticket 00123) as that text."""
    return [_zero_padded(cell.value, getattr(cell, "number_format", None)) for cell in cells]


def _zero_padded(value: object, number_format: str | None) -> object:
    if (isinstance(value, (int, float)) and not isinstance(value, bool) and number_format
            and _ZERO_PADDING.fullmatch(number_format) and float(value).is_integer() and value >= 0):
        return str(int(value)).zfill(len(number_format))
    return value


_ZERO_PADDING = re.compile(r"0{2,30}")


def _xlsx_text(value: object) -> str:
    """Text of a worksheet value; whole-number floats lose the '.0' Excel gave order numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return clean_cell(str(value))
