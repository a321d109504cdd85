"""Text folding for search: "serg" finds Sérgio, "muller" finds Müller, "ΓΙΩΡΓΟΣ" finds Γιώργος."""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form of text (NFKD, combining marks dropped, casefolded)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPECIAL)


def clean(text: object, limit: int = 200) -> str:
    """A single-line display string: control characters removed, whitespace collapsed, length capped."""
    if text is None:
        return ""
    if isinstance(text, str) and text.isascii() and text.isprintable():  # the usual station name: no control chars
        return " ".join(text.split())[:limit]
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(text))
    return " ".join(value.split())[:limit]
