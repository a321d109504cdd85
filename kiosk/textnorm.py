"""Text folding for search: "serg" finds Sérgio, "muller" finds Müller, "ΓΙΩΡΓΟΣ" finds Γιώργος."""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})

# Zero-width non-joiner and joiner are part of the text: Persian "محمد‌رضا" is one word with a
# ZWNJ, and "👩‍💻" is one emoji with a ZWJ. Every other format character (zero-width space,
# bidi overrides and isolates...) is invisible and could make a name read differently.
_JOINERS = frozenset("\u200c\u200d")
# A joiner joins two visible characters; at the edge of a word it is only a hidden mark.
_LOOSE_JOINER = re.compile(r"(?:(?<=\s)|^)[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)")


def fold(text: str | None) -> str:
    """Case- and accent-insensitive form of text (NFKD, combining marks dropped, casefolded)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPECIAL)


def clean(text: object, limit: int = 200) -> str:
    """A single-line display string: control characters removed, whitespace collapsed, length capped.

    Controls (line breaks, tabs) become spaces; invisible format characters are dropped,
    except the joiners inside a word, which change how the name is written. The result is
    NFC, as imported names are: a name typed on a Mac may arrive decomposed ("e" + U+0301),
    and must compare, sort and print as the same name.
    """
    if text is None:
        return ""
    if isinstance(text, str) and text.isascii() and text.isprintable():  # the usual station name: no control chars
        return " ".join(text.split())[:limit]
    value = unicodedata.normalize("NFC", "".join(_visible(ch) for ch in str(text)))
    return _LOOSE_JOINER.sub("", " ".join(value.split()))[:limit]


def _visible(ch: str) -> str:
    """One character as shown: itself, a space for a control, nothing for a hidden format mark."""
    category = unicodedata.category(ch)
    if category[0] != "C" or ch in _JOINERS:
        return ch
    return "" if category == "Cf" else " "
