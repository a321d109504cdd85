"""Badge layout: an attendee's details -> a 1-bit image exactly as wide as the paper.

Top to bottom: first name as large as fits, the full name when it says more,
company, the mark (WALK-IN, SPEAKER) white on black, event and date, the sponsor
line, and the ticket QR last. The QR comes last so that a printer with native QR
support can print the same layout as one raster image followed by its own QR
(``include_qr=False``), and the preview (``include_qr=True``) shows the QR where
and as large as the printer will put it.

Sizes are given for 576 dots (80 mm paper) and scale with the width. Blocks are
packed on their ink, because every blank raster row costs job bytes and paper.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from printers import fonts, qr, text

REFERENCE_WIDTH = 576


@dataclass(frozen=True)
class BadgeInfo:
    """What a badge says about one attendee; strings as they should be shown."""

    name: str
    first_name: str
    company: str | None
    event_name: str
    event_date: str          # e.g. "Thu 26 Nov 2026"
    ticket_code: str         # upper-case alphanumeric with '-' (QR alphanumeric mode)
    sponsor_line: str | None  # e.g. "Thanks to Gamesys & Tecknuovo"
    mark: str | None         # "WALK-IN" / "SPEAKER" / None


@dataclass(frozen=True)
class _Block:
    """A horizontal band of the badge: its height, the space above it, and how to paint it."""

    height: int
    gap_before: int
    paint: Callable[[Image.Image, ImageDraw.ImageDraw, int], None]


class _Scale:
    """Turns sizes designed for 80 mm paper into dots for this paper width."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.factor = width / REFERENCE_WIDTH
        self.margin = self(12)
        self.inner = width - 2 * self.margin

    def __call__(self, dots: float) -> int:
        """``dots`` at 576 wide, scaled to this width (at least 1)."""
        return max(1, round(dots * self.factor))

    def text(self, px: float) -> int:
        """A font size: shrinks less than the paper so 58 mm badges stay readable."""
        return max(8, round(px * self.factor ** 0.5))


def render_badge(info: BadgeInfo, width_dots: int, include_qr: bool = True) -> Image.Image:
    """The badge as a mode "1" image exactly ``width_dots`` wide.

    With ``include_qr=False`` the QR symbol is left out and the image ends with
    its quiet zone: the printer prints its native QR right after this image,
    exactly where the ``include_qr=True`` preview draws it.
    """
    if width_dots < 64:
        raise ValueError(f"badge width must be at least 64 dots, got {width_dots}")
    sc = _Scale(width_dots)
    with fonts.LOCK:  # shared FreeType faces are not thread-safe
        blocks = _text_blocks(info, sc)
        if info.ticket_code:  # a guest's badge has none: it is no ticket
            blocks.append(_qr_block(info.ticket_code, sc, draw_symbol=include_qr))
        return _paint(blocks, sc)


def _paint(blocks: list[_Block], sc: _Scale) -> Image.Image:
    """Stack the blocks top to bottom on a white image."""
    top_margin = sc(4)  # the cutter already leaves blank paper above the badge
    height = top_margin + sum(b.gap_before + b.height for b in blocks)
    image = Image.new("1", (sc.width, height), 1)
    draw = ImageDraw.Draw(image)
    y = top_margin
    for block in blocks:
        y += block.gap_before
        block.paint(image, draw, y)
        y += block.height
    return image


def _text_blocks(info: BadgeInfo, sc: _Scale) -> list[_Block]:
    """Every band above the QR, in order, leaving out the empty ones."""
    full = fonts.printable(_clean(info.name))
    # None for a ticket without a name. A first name no font draws ("🎉 Zoë Walker") gives way to
    # the first word that prints: the big line was blank, and the name small below it.
    first = fonts.printable(_clean(info.first_name), bold=True) or full.partition(" ")[0]
    if full.casefold() == first.casefold():
        full = ""  # the big first name already says it all
    blocks = [_lines_block(text.fit(first, True, (sc(96), sc.text(44)), sc.inner, 2), sc, 0)]
    blocks += _paragraph(full, False, (36, 26), 3, sc, gap=10)
    blocks += _paragraph(_clean(info.company), False, (30, 22), 2, sc, gap=12)
    if _clean(info.mark):
        blocks.append(_mark_block(_clean(info.mark), sc))
    blocks += _paragraph(_clean(info.event_name), True, (26, 20), 2, sc, gap=18)
    blocks += _paragraph(_clean(info.event_date), False, (24, 18), 1, sc, gap=6)
    blocks += _paragraph(_clean(info.sponsor_line), False, (22, 16), 2, sc, gap=12)
    return [b for b in blocks if b.height > 0]


def _paragraph(value: str, bold: bool, sizes: tuple[int, int], max_lines: int, sc: _Scale,
               gap: int) -> list[_Block]:
    """A centred text block at the largest size (given for 80 mm) that fits; nothing if empty."""
    value = fonts.printable(value, bold)
    if not value:
        return []
    lines = text.fit(value, bold, (sc.text(sizes[0]), sc.text(sizes[1])), sc.inner, max_lines)
    return [_lines_block(lines, sc, sc(gap))]


def _clean(value: str | None) -> str:
    """NFC, single spaces, no control chars: imported names come with all sorts of junk."""
    if not value:
        return ""
    value = "".join(ch for ch in unicodedata.normalize("NFC", value) if unicodedata.category(ch) != "Cc")
    return " ".join(value.split())


def _lines_block(lines: list[text.Line], sc: _Scale, gap_before: int) -> _Block:
    """Centred lines of one size, spaced a fifth of the size apart."""
    lines = [ln for ln in lines if ln.height > 0]
    spacing = max(2, lines[0].size // 5) if lines else 0
    height = sum(ln.height for ln in lines) + spacing * max(0, len(lines) - 1)

    def paint(_image: Image.Image, draw: ImageDraw.ImageDraw, y: int) -> None:
        for ln in lines:
            text.draw_line(draw, ln, (sc.width - ln.width) // 2, y - ln.top)
            y += ln.height + spacing
    return _Block(height, gap_before, paint)


def _mark_block(mark: str, sc: _Scale) -> _Block:
    """The mark in white capitals on a black box, so volunteers spot speakers and walk-ins."""
    ln = text.fit(mark.upper(), True, (sc.text(30), sc.text(18)), sc.inner - 2 * sc(16), 1)[0]
    pad_x, pad_y = sc(16), sc(8)
    box_w, box_h = min(sc.inner, ln.width + 2 * pad_x), ln.height + 2 * pad_y

    def paint(_image: Image.Image, draw: ImageDraw.ImageDraw, y: int) -> None:
        left = (sc.width - box_w) // 2
        draw.rectangle((left, y, left + box_w - 1, y + box_h - 1), fill=0)
        text.draw_line(draw, ln, (sc.width - ln.width) // 2, y + pad_y - ln.top, fill=1)
    return _Block(box_h, sc(14), paint)


def _qr_block(code: str, sc: _Scale, draw_symbol: bool) -> _Block:
    """The ticket QR, centred, with its quiet zone above and below.

    Without the symbol only the quiet zone above remains: the printer's native
    QR then lands exactly where the preview draws it.
    """
    module = qr.module_size(sc.width)
    quiet = qr.QUIET_MODULES * module
    if not draw_symbol:
        return _Block(0, quiet, lambda _image, _draw, _y: None)
    symbol = qr.qr_image(code, module)

    def paint(image: Image.Image, _draw: ImageDraw.ImageDraw, y: int) -> None:
        image.paste(symbol, ((sc.width - symbol.width) // 2, y))
    return _Block(symbol.height + quiet, quiet, paint)
