"""QR ticket images: one PNG per attendee and one printable A4 sheet (PDF).

The QR is made at error correction M from an upper-case alphanumeric code, so
qrcode picks alphanumeric mode and version 2: big modules that a phone screen
held up to a webcam reads at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .textnorm import fold

TICKET_SIZE = (600, 760)
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
    """One ticket: event, the attendee's name, the QR and the code in text for typing."""
    image = Image.new("L", TICKET_SIZE, 255)
    draw = ImageDraw.Draw(image)
    draw.text((30, 24), event_name[:40], font=_font(30), fill=0)
    draw.text((30, 64), event_date, font=_font(24), fill=80)
    draw.text((30, 100), attendee["name"][:36], font=_font(34, attendee["name"]), fill=0)
    qr = qr_image(attendee["ticket_code"]).resize((480, 480), Image.NEAREST)
    image.paste(qr, ((TICKET_SIZE[0] - 480) // 2, 150))
    draw.text((30, 650), attendee["ticket_code"], font=_font(26), fill=0)
    draw.text((30, 690), "Show this code at the door", font=_font(22), fill=100)
    return image


def file_name(attendee: dict[str, Any]) -> str:
    """e.g. 0042-sergio-goncalves.png: sortable, ASCII, no path tricks from a hostile name."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(attendee["name"])).strip("-")[:40] or "attendee"
    return f"{attendee['id']:04d}-{slug}.png"


def write_tickets(folder: Path, people: Iterable[dict[str, Any]], event_name: str, event_date: str) -> tuple[int, Path]:
    """Write one PNG per attendee plus sheet.pdf (6 tickets per A4 page); returns (count, sheet path)."""
    folder.mkdir(parents=True, exist_ok=True)
    tickets = []
    for person in people:
        image = ticket_image(person, event_name, event_date)
        image.save(folder / file_name(person))
        tickets.append(image)
    sheet = folder / "sheet.pdf"
    pages = _sheet_pages(tickets)
    pages[0].save(sheet, save_all=True, append_images=pages[1:], resolution=300)
    return len(tickets), sheet


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
