"""Pick a font per character so every attendee's name prints as glyphs, never boxes.

No single installed font covers Latin, Greek, Cyrillic, Vietnamese and Han, so a
string is cut into runs that each use the first font of a preference chain that
has the glyph. Pillow exposes no cmap, so coverage is tested by rendering: a char
whose mask equals the font's .notdef mask is missing. Everything is cached: the
font index, loaded fonts per size, and coverage per (font, char).

Fonts are searched in ``KIOSK_FONT_DIR`` (``os.pathsep``-separated; its fonts
win), then the standard folders. With no font at all, Pillow's default font is
used, so a bare machine still prints (Latin only) instead of crashing.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .offload import real_rlock

STANDARD_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# A noncharacter: no font maps it, so it always renders the font's .notdef glyph.
_NOTDEF_PROBE = "\uffff"
_PROBE_SIZE = 32
# Empty-ink categories: spaces, controls and format chars never decide the font.
_NEUTRAL_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}

# File names in order of preference; the first that covers a char wins.
_LATIN_BOLD = ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf")
_LATIN_REGULAR = ("DejaVuSans.ttf", "NotoSans-Regular.ttf")
_HAN_BOLD = ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf")
_HAN_REGULAR = ("wqy-microhei.ttc", "wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc",
                "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf", "DroidSansFallbackFull.ttf")

# FreeType faces are shared through the caches and are not thread-safe: hold this
# lock while rendering with them.
LOCK = real_rlock()  # renders run in real threads even under gevent (printers/offload.py)


@dataclass(frozen=True)
class Face:
    """One font file (and face index inside a .ttc); path "" is Pillow's default font."""

    path: str
    index: int = 0

    @property
    def is_default(self) -> bool:
        """True for Pillow's built-in font, the last resort."""
        return not self.path


DEFAULT_FACE = Face("")


def font_dirs() -> list[Path]:
    """KIOSK_FONT_DIR entries first (they override), then the standard font folders."""
    override = [p for p in os.environ.get("KIOSK_FONT_DIR", "").split(os.pathsep) if p]
    return [Path(p).expanduser() for p in (*override, *STANDARD_DIRS)]


def _walk(folder: Path) -> list[Path]:
    """Font files under one folder, sorted so the choice is the same on every run."""
    if not folder.is_dir():
        return []
    found = [Path(root) / name for root, _dirs, names in os.walk(folder) for name in names
             if name.lower().endswith(FONT_SUFFIXES)]
    return sorted(found)


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(override fonts, all fonts) found once; reset() forgets them."""
    dirs = font_dirs()
    n_override = len(dirs) - len(STANDARD_DIRS)
    override = tuple(p for d in dirs[:n_override] for p in _walk(d))
    everything = tuple(dict.fromkeys(p for d in dirs for p in _walk(d)))
    return override, everything


def _by_name(files: tuple[Path, ...], names: tuple[str, ...]) -> list[Face]:
    """Faces for the given file names, in the order of ``names``."""
    lookup: dict[str, Path] = {}
    for f in files:
        lookup.setdefault(f.name.lower(), f)
    return [Face(str(lookup[n.lower()])) for n in names if n.lower() in lookup]


def _rest_order(path: Path, bold: bool) -> tuple[int, str]:
    """Rank the remaining fonts: plain Noto Sans of the right weight first."""
    name = path.name
    weight_ok = ("Bold" in name) == bold
    sans = name.startswith("NotoSans")
    return (0 if sans and weight_ok else 1 if sans else 2, name)


@lru_cache(maxsize=2)
def chain(bold: bool) -> tuple[Face, ...]:
    """Fonts to try, best first: overrides, Latin/Greek/Cyrillic, Han, then any other."""
    override, everything = _index()
    latin = _LATIN_BOLD + _LATIN_REGULAR if bold else _LATIN_REGULAR + _LATIN_BOLD
    han = _HAN_BOLD + _HAN_REGULAR if bold else _HAN_REGULAR + _HAN_BOLD
    ordered = [Face(str(p)) for p in sorted(override, key=lambda p: _rest_order(p, bold))]
    ordered += _by_name(everything, latin) + _by_name(everything, han)
    ordered += [Face(str(p)) for p in sorted(everything, key=lambda p: _rest_order(p, bold))]
    return tuple(dict.fromkeys(ordered))


@lru_cache(maxsize=512)
def get_font(face: Face, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A loaded font at ``size`` px; Pillow's default font if the file cannot be loaded."""
    size = max(1, int(size))
    if not face.is_default:
        try:
            return ImageFont.truetype(face.path, size, index=face.index)
        except OSError:
            pass  # unreadable, bitmap-only or vanished font: degrade, never crash
    try:
        return ImageFont.load_default(size)
    except (TypeError, ImportError):  # Pillow without FreeType: fixed-size bitmap font
        return ImageFont.load_default()


def _signature(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> tuple:
    """Size and pixels of the rendered text, comparable between chars."""
    mask = font.getmask(text, mode="1")
    return mask.size, bytes(mask)


@lru_cache(maxsize=4096)
def _loadable(face: Face) -> bool:
    """Whether the file loads as a scalable font (colour/bitmap fonts do not)."""
    if face.is_default:
        return True
    try:
        ImageFont.truetype(face.path, _PROBE_SIZE, index=face.index)
    except OSError:
        return False
    return True


@lru_cache(maxsize=16)
def _probe_font(face: Face) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """``face`` at the probe size, cached apart from the fonts text is drawn with. A char that no
    font has is probed in every installed font (hundreds), and keeping each of them loaded for the
    process's life took 40 MB of the print process for one emoji; the answers are cached anyway."""
    return get_font.__wrapped__(face, _PROBE_SIZE)


@lru_cache(maxsize=65536)
def covers(face: Face, char: str) -> bool:
    """True when ``face`` draws ``char`` with a real glyph rather than .notdef."""
    if is_neutral(char):
        return True
    if not _loadable(face):
        return False
    font = _probe_font(face)
    try:
        glyph, notdef = _signature(font, char), _signature(font, _NOTDEF_PROBE)
    except (OSError, ValueError, UnicodeEncodeError):
        return False  # e.g. the bitmap default font cannot encode the char at all
    if notdef[0] == (0, 0) or not any(notdef[1]):
        return glyph[0] != (0, 0) and any(glyph[1])  # empty .notdef: ink means a glyph
    return glyph != notdef


def is_neutral(char: str) -> bool:
    """Spaces and invisible chars: they follow the font of their neighbours."""
    return unicodedata.category(char) in _NEUTRAL_CATEGORIES


@lru_cache(maxsize=65536)
def face_for(char: str, bold: bool = False) -> Face:
    """The first face in the chain that has a glyph for ``char``, else the default font."""
    with LOCK:
        for face in chain(bold):
            if covers(face, char):
                return face
    return DEFAULT_FACE


def runs(text: str, bold: bool = False) -> list[tuple[str, Face]]:
    """Split NFC-normalised ``text`` into (substring, face) runs.

    Spaces and combining marks stay in the current run; every other char takes
    its preferred face, so "王小明 (Acme)" puts the brackets with the Latin word.
    A char no installed font can draw (most emoji) is left out, with the joiners
    and modifiers that belong to it: a box on a badge reads as a printing fault.
    """
    text = drawable(text, bold)
    out: list[tuple[str, Face]] = []
    current: Face | None = None
    buf: list[str] = []
    for ch in text:
        if current is not None and (is_neutral(ch) or unicodedata.category(ch) == "Mn"):
            buf.append(ch)
            continue
        face = _first_face(text, ch, bold)
        if face != current and current is not None:
            out.append(("".join(buf), current))
            buf = []
        current = face
        buf.append(ch)
    if current is not None:
        out.append(("".join(buf), current))
    return out


def _first_face(text: str, ch: str, bold: bool) -> Face:
    """Face for ``ch``; a leading neutral char borrows the face of the first real char."""
    if not is_neutral(ch):
        return face_for(ch, bold)
    for other in text:
        if not is_neutral(other):
            return face_for(other, bold)
    return chain(bold)[0] if chain(bold) else DEFAULT_FACE


def font_for_text(text: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """One font for a plain ``draw.text`` call: the first face that covers every char of ``text``.

    When no single face does (mixed scripts), the face of the longest run is used;
    badge text goes through ``runs()`` instead, which never has that problem.
    """
    chars = [ch for ch in unicodedata.normalize("NFC", text) if not is_neutral(ch)]
    with LOCK:
        for face in chain(bold):
            if all(covers(face, ch) for ch in chars):
                return get_font(face, size)
        parts = runs(text, bold)
    best = max(parts, key=lambda part: len(part[0]))[1] if parts else DEFAULT_FACE
    return get_font(best, size)


def missing_chars(text: str, bold: bool = False) -> list[str]:
    """Chars of ``text`` that no available font can draw (runs() leaves them out)."""
    return [ch for ch in unicodedata.normalize("NFC", text) if not is_neutral(ch) and not _drawable(ch, bold)]


# What goes with a char we cannot draw: the joiner to its neighbour, emoji variation selectors
# and skin tones. Left alone they would print as boxes themselves, or join nothing.
_ATTACHED = {"\u200d", "\ufe0e", "\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))}


def drawable(text: str, bold: bool = False) -> str:
    """NFC ``text`` without the chars no installed font draws, nor what is attached to them."""
    text = unicodedata.normalize("NFC", text)
    kept: list[str] = []
    dropped = False
    for ch in text:
        if dropped and ch in _ATTACHED:
            continue
        dropped = not is_neutral(ch) and not _drawable(ch, bold)
        if dropped:
            while kept and kept[-1] == "\u200d":  # the joiner that led to it
                kept.pop()
        else:
            kept.append(ch)
    return "".join(kept)


def printable(text: str, bold: bool = False) -> str:
    """What of ``text`` prints, single-spaced: ``drawable`` without the gap a left-out emoji leaves
    ("Zoë 🚀 Walker" printed "Zoë  Walker"). Empty for a name of emoji alone, which prints nothing."""
    return " ".join(drawable(text, bold).split())


def prints_anything(text: str) -> bool:
    """Whether any char of ``text`` prints (a name of emoji alone does not). Stops at the first
    that does: a char no font has is probed in every installed font, a quarter of a second each."""
    return any(not is_neutral(ch) and _drawable(ch, False) for ch in unicodedata.normalize("NFC", text))


def _drawable(ch: str, bold: bool) -> bool:
    face = face_for(ch, bold)
    return not face.is_default or covers(face, ch)


_generation = 0


def generation() -> int:
    """Bumped by reset(), so caches kept elsewhere can key on it."""
    return _generation


def reset() -> None:
    """Forget every cache, e.g. after KIOSK_FONT_DIR changed (tests)."""
    global _generation
    _generation += 1
    for cached in (_index, chain, get_font, _loadable, _probe_font, covers, face_for):
        cached.cache_clear()
