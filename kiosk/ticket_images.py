"""QR ticket images: one PNG per attendee and one printable A4 sheet (PDF).

The QR is made at error correction M from an upper-case alphanumeric code, so
qrcode picks alphanumeric mode and version 2: big modules that a phone screen
held up to a webcam reads at once.
"""

from __future__ import annotations

import errno
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
    lines = [ln for ln in text.fit(" ".join(fonts.drawable(value).split()), bold, sizes, INNER_WIDTH, max_lines)
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
    tickets = []
    for person in people:
        image = ticket_image(person, event_name, event_date)
        name = file_name(person)
        _remove_tickets_of(folder, person["id"], keep=name)
        image.save(folder / name)
        tickets.append(image)
    sheet = folder / "sheet.pdf"
    pages = _sheet_pages(tickets)
    pages[0].save(sheet, save_all=True, append_images=pages[1:], resolution=300)
    return len(tickets), sheet


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


def _sheet_pages(tickets: list[Image.Image]) -> list[Image.Image]:
    """Lay tickets out 3 by 3 on A4 at 300 dpi (QRs about 5 cm wide), with room to cut."""
    cols, rows, width = 3, 3, 760
    height = width * TICKET_SIZE[1] // TICKET_SIZE[0]
    margin_x = (A4_300DPI[0] - cols * width) // 2
    margin_y = (A4_300DPI[1] - rows * height) // 2
    pages = []
    for start in range(0, max(len(tickets), 1), cols * rows):
        page = Image.new("L", A4_300DPI, 255)
        draw = ImageDraw.Draw(page)
        for slot, ticket in enumerate(tickets[start:start + cols * rows]):
            x, y = margin_x + (slot % cols) * width, margin_y + (slot // cols) * height
            page.paste(ticket.resize((width, height)), (x, y))
            draw.rectangle((x, y, x + width - 1, y + height - 1), outline=190)
        pages.append(page.convert("RGB"))
    return pages
