"""QR ticket images: one PNG per attendee and one printable A4 sheet (PDF).

The QR is made at error correction M from an upper-case alphanumeric code, so
qrcode picks alphanumeric mode and version 2: big modules that a phone screen
held up to a webcam reads at once.
"""

from __future__ import annotations

import errno
import io
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import qrcode
from PIL import Image, ImageDraw, ImageFont

from printers import fonts, text

from .textnorm import fold

TICKET_SIZE = (600, 760)
MARGIN = 30
INNER_WIDTH = TICKET_SIZE[0] - 2 * MARGIN
QR_BOTTOM_LIMIT = TICKET_SIZE[1] - 90  # room under the QR for the code and "Show this code at the door"
A4_300DPI = (2480, 3508)


def qr_image(code: str, box_size: int = 14, border: int = 4) -> Image.Image:
    """The ticket's QR as a black-on-white image."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(code)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def qr_version(code: str) -> int:
    """The QR version the code needs at error correction M (kept at 3 or lower)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    return qr.version


def _font(size: int, text: str = "Aa") -> ImageFont.ImageFont:
    """A font that has the glyphs of `text` (the badge fonts), else Pillow's own."""
    try:
        from printers.fonts import font_for_text

        return font_for_text(text, size)
    except Exception:  # fonts are a nicety here: the QR is what matters
        return ImageFont.load_default(size)


def ticket_image(attendee: dict[str, Any], event_name: str, event_date: str) -> Image.Image:
    """One ticket: event, the attendee's name, the QR and the code in text for typing.

    Names go through the badge's fitting (printers/text.py): every script in a font that has it,
    emoji no font draws left out rather than printed as boxes, a long name shrunk or wrapped to
    two lines inside the ticket. The QR moves down (and shrinks a little) under a two-line name.
    """
    image = Image.new("L", TICKET_SIZE, 255)
    draw = ImageDraw.Draw(image)
    _draw_fitted(draw, event_name, 24, False, (30, 18), 1)
    draw.text((MARGIN, 64), event_date, font=_font(24), fill=80)
    name_bottom = _draw_fitted(draw, attendee["name"], 100, True, (34, 18), 2)
    qr_top = max(150, name_bottom + 12)
    qr_size = min(480, QR_BOTTOM_LIMIT - qr_top)
    image.paste(qr_image(attendee["ticket_code"]).resize((qr_size, qr_size), Image.NEAREST),
                ((TICKET_SIZE[0] - qr_size) // 2, qr_top))
    below = qr_top + qr_size
    draw.text((MARGIN, below + 20), attendee["ticket_code"], font=_font(26), fill=0)
    draw.text((MARGIN, below + 60), "Show this code at the door", font=_font(22), fill=100)
    return image


def _draw_fitted(draw: ImageDraw.ImageDraw, value: str, top: int, bold: bool, sizes: tuple[int, int],
                 max_lines: int) -> int:
    """Draw text fitted to the ticket's width, its ink starting at ``top``; returns where the ink ends.

    Lines are spaced a fifth of their size apart, as on the badge.
    """
    lines = [ln for ln in text.fit(fonts.printable(value), bold, sizes, INNER_WIDTH, max_lines)
             if ln.height > 0]
    y = top
    for ln in lines:
        text.draw_line(draw, ln, MARGIN, y - ln.top)
        y += ln.height + max(2, ln.size // 5)
    return y if lines else top


def file_name(attendee: dict[str, Any]) -> str:
    """e.g. 0042-sergio-goncalves.png or 0043-γιωργος.png: sortable by id, readable in any script,
    no path separators nor a leading dot from a hostile name (only letters, digits and dashes)."""
    return f"{attendee['id']:04d}-{_slug(attendee['name']) or 'attendee'}.png"


def _slug(name: str) -> str:
    """Letters and digits of every script, lower case, runs of anything else as one dash.

    Latin letters lose their accents (an ASCII name stays ASCII for mail and zip tools); other
    scripts are kept as written, since folding them would change the word (Japanese ガ is not カ).
    """
    chars = [_slug_char(ch) for ch in unicodedata.normalize("NFC", name.lower())]
    return re.sub(r"-+", "-", "".join(chars)).strip("-")[:40].strip("-")


def _slug_char(ch: str) -> str:
    """One character of a slug: a letter, digit or mark as kept (Latin without accents), else a dash."""
    if unicodedata.category(ch)[0] not in "LNM":
        return "-"
    return fold(ch) if unicodedata.name(ch, "").startswith("LATIN") else ch


def write_tickets(folder: Path, people: Iterable[dict[str, Any]], event_name: str, event_date: str) -> tuple[int, Path]:
    """Write one PNG per attendee plus sheet.pdf (9 tickets per A4 page); returns (count, sheet path).

    Each person's tickets from earlier runs are removed first: after a rename the old file would
    otherwise stay beside the new one, and the folder would hold two tickets of one person.
    """
    if folder.exists() and not folder.is_dir():  # mkdir would say only "File exists"
        raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    sheet = folder / "sheet.pdf"
    count = 0
    with _Sheet(sheet) as pages:
        for person in people:
            image = ticket_image(person, event_name, event_date)
            name = file_name(person)
            _remove_tickets_of(folder, person["id"], keep=name)
            image.save(folder / name)
            pages.add(image)
            count += 1
    return count, sheet


def remove_tickets(folder: Path, people: Iterable[dict[str, Any]]) -> int:
    """Remove the tickets an earlier run wrote for these people (now left out); returns how many.

    A ticket of someone who cancelled, left in the folder, may be mailed and then refused at the door.
    """
    return sum(_remove_tickets_of(folder, person["id"]) for person in people)


def _remove_tickets_of(folder: Path, attendee_id: int, keep: str = "") -> int:
    """Delete this attendee's ticket PNGs (same id prefix) other than ``keep``; returns how many."""
    removed = 0
    for old in folder.glob(f"{attendee_id:04d}-*.png"):
        if old.name != keep:
            old.unlink()
            removed += 1
    return removed


class _Sheet:
    """sheet.pdf written a page at a time: tickets laid out 3 by 3 on A4 at 300 dpi (QRs about 5 cm
    wide), with room to cut.

    Each finished page goes into the file as a JPEG at once and is let go: Pillow's PDF writer wants
    every page in memory, and an A4 page is 26 MB per nine people, so the sheet took 1.2 GB for the
    demo's 251 people and ran a laptop out of memory for a few thousand."""

    COLS, ROWS, WIDTH = 3, 3, 760

    def __init__(self, path: Path) -> None:
        self.path = path
        self.height = self.WIDTH * TICKET_SIZE[1] // TICKET_SIZE[0]
        self.margin = ((A4_300DPI[0] - self.COLS * self.WIDTH) // 2, (A4_300DPI[1] - self.ROWS * self.height) // 2)
        self.page: Image.Image | None = None
        self.slot = 0
        self.offsets: list[int] = []  # of objects 3, 4, ...: per page an image, its drawing, the page
        self.file: Any = None

    def __enter__(self) -> "_Sheet":
        self.file = open(self.path, "wb")
        self.file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            if exc_type is None:
                if self.page is not None or not self.offsets:
                    self._finish_page()  # the last page, or one blank page for a list of nobody
                self._finish_file()
        finally:
            self.file.close()

    def add(self, ticket: Image.Image) -> None:
        """Place a ticket in the next slot, starting a page when the last one is full."""
        if self.page is None:
            self.page = Image.new("L", A4_300DPI, 255)
        x = self.margin[0] + (self.slot % self.COLS) * self.WIDTH
        y = self.margin[1] + (self.slot // self.COLS) * self.height
        self.page.paste(ticket.convert("L").resize((self.WIDTH, self.height)), (x, y))
        ImageDraw.Draw(self.page).rectangle((x, y, x + self.WIDTH - 1, y + self.height - 1), outline=190)
        self.slot += 1
        if self.slot == self.COLS * self.ROWS:
            self._finish_page()

    def _finish_page(self) -> None:
        """Write the page (a blank one when none was started) as three objects, and let it go."""
        page = self.page or Image.new("L", A4_300DPI, 255)
        jpeg = io.BytesIO()
        page.save(jpeg, "JPEG", quality=90)
        width, height = (round(side * 72 / 300, 2) for side in page.size)
        first = len(self.offsets) + 3
        self._object(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                     b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % (*page.size, len(jpeg.getvalue()))
                     + jpeg.getvalue() + b"\nendstream")
        drawing = b"q %.2f 0 0 %.2f 0 0 cm /Ticket Do Q" % (width, height)
        self._object(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing))
        self._object(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject "
                     b"<< /Ticket %d 0 R >> >> /Contents %d 0 R >>" % (width, height, first, first + 1))
        self.page, self.slot = None, 0

    def _object(self, body: bytes, number: int | None = None) -> None:
        """One numbered object at the end of the file (3, 4, ... unless `number` is given)."""
        if number is None:
            self.offsets.append(self.file.tell())
            number = len(self.offsets) + 2
        self.file.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _finish_file(self) -> None:
        """The catalog and the page list (objects 1 and 2), the cross-reference table, the trailer."""
        heads = [self.file.tell()]
        self._object(b"<< /Type /Catalog /Pages 2 0 R >>", 1)
        heads.append(self.file.tell())
        kids = b" ".join(b"%d 0 R" % number for number in range(5, len(self.offsets) + 3, 3))
        self._object(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.offsets) // 3), 2)
        table = self.file.tell()
        self.file.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 3))
        for offset in heads + self.offsets:
            self.file.write(b"%010d 00000 n \n" % offset)
        self.file.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                        % (len(self.offsets) + 3, table))
