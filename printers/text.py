"""Measure, wrap, fit and draw multi-font text lines on a 1-bit image.

A line is a list of (text, face) runs drawn on one shared baseline. Heights are
taken from the ink, not the font's line gap: a thermal badge pays for every
blank row in job bytes and paper, so blocks are packed tight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageDraw

from printers import fonts

ELLIPSIS = "…"


@dataclass(frozen=True)
class Line:
    """One laid-out line: its runs at a size, its width and ink extent around the baseline."""

    runs: tuple[tuple[str, fonts.Face], ...]
    size: int
    width: int
    top: int      # ink top relative to the baseline (negative = above)
    bottom: int   # ink bottom relative to the baseline

    @property
    def height(self) -> int:
        """Ink height of the line in dots."""
        return max(0, self.bottom - self.top)


def _run_bbox(text: str, face: fonts.Face, size: int) -> tuple[float, int, int]:
    """Advance width and ink top/bottom of one run, relative to its baseline."""
    font = fonts.get_font(face, size)
    width = font.getlength(text)
    try:
        _l, top, _r, bottom = font.getbbox(text, anchor="ls")
    except (TypeError, ValueError):  # bitmap default font: no anchors
        _l, top, _r, bottom = font.getbbox(text)
        top, bottom = top - size, bottom - size
    return width, top, bottom


def make_line(text: str, size: int, bold: bool) -> Line:
    """Lay ``text`` out as one line at ``size`` px."""
    parts = tuple(fonts.runs(text, bold))
    width, top, bottom = 0.0, 0, 0
    for seg, face in parts:
        w, t, b = _run_bbox(seg, face, size)
        width, top, bottom = width + w, min(top, t), max(bottom, b)
    return Line(parts, size, int(round(width)), top, bottom)


def measure(text: str, size: int, bold: bool) -> int:
    """Advance width of ``text`` in dots: cheaper than a full Line, used while wrapping."""
    return _measure(text, size, bold, fonts.generation())


@lru_cache(maxsize=8192)
def _measure(text: str, size: int, bold: bool, _generation: int) -> int:
    """Cached by font generation so fonts.reset() also invalidates widths."""
    return int(round(sum(fonts.get_font(face, size).getlength(seg) for seg, face in fonts.runs(text, bold))))


_HAN = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(f"[{_HAN}]|[^\\s{_HAN}-]+-*\\s*|-+\\s*|\\s+")


def _tokens(text: str) -> list[str]:
    """Break opportunities: after spaces and hyphens, and around each Han/kana/Hangul char."""
    return _TOKEN.findall(text)


def _split_long(token: str, size: int, bold: bool, width: int) -> list[str]:
    """Cut a word wider than the line into pieces that fit (a very long surname).

    Each cut is found by bisection on the prefix length, so a 40-letter word
    costs a handful of measurements instead of one per letter.
    """
    pieces = []
    while token:
        lo, hi = 1, len(token)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(token[:mid], size, bold) <= width:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(token[:lo])
        token = token[lo:]
    return pieces


def wrap(text: str, size: int, bold: bool, width: int) -> list[str]:
    """Greedy wrap of ``text`` into lines no wider than ``width`` dots."""
    lines: list[str] = []
    current = ""
    for token in _tokens(" ".join(text.split())):
        candidate = current + token
        if measure(candidate.rstrip(), size, bold) <= width:
            current = candidate
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        for piece in _split_long(token, size, bold, width):
            if measure((current + piece).rstrip(), size, bold) <= width:
                current += piece
            else:
                if current.strip():
                    lines.append(current.rstrip())
                current = piece
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _ellipsize(text: str, size: int, bold: bool, width: int) -> str:
    """Shorten ``text`` until it fits with a trailing ellipsis."""
    while text and measure(text + ELLIPSIS, size, bold) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def fit(text: str, bold: bool, sizes: tuple[int, int], width: int, max_lines: int) -> list[Line]:
    """Largest size in ``sizes`` (max, min) at which ``text`` fits, preferring fewer lines.

    One line at any size in range beats two lines, and so on; if even the
    smallest size needs more than ``max_lines`` lines, the last one is ellipsised.
    """
    hi, lo = sizes
    for n_lines in range(1, max_lines + 1):
        size = _largest_size(text, bold, lo, hi, width, n_lines)
        if size is not None:
            return [make_line(t, size, bold) for t in wrap(text, size, bold, width)]
    parts = wrap(text, lo, bold, width)
    kept = parts[:max_lines]
    kept[-1] = _ellipsize(kept[-1], lo, bold, width)
    return [make_line(t, lo, bold) for t in kept]


def _largest_size(text: str, bold: bool, lo: int, hi: int, width: int, n_lines: int) -> int | None:
    """Binary search for the largest size whose wrap has at most ``n_lines`` lines."""
    def ok(size: int) -> bool:
        return len(wrap(text, size, bold, width)) <= n_lines
    if not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def draw_line(draw: ImageDraw.ImageDraw, line: Line, x: int, baseline: int, fill: int = 0) -> None:
    """Draw ``line`` with its left edge at ``x`` on ``baseline``; fill 0 is black on mode "1"."""
    cursor = float(x)
    for seg, face in line.runs:
        font = fonts.get_font(face, line.size)
        try:
            draw.text((cursor, baseline), seg, font=font, fill=fill, anchor="ls")
        except ValueError:  # bitmap default font: no anchors
            draw.text((cursor, baseline - line.size), seg, font=font, fill=fill)
        cursor += font.getlength(seg)
