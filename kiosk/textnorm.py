"""Text folding for search: "serg" finds Sérgio, "muller" and "mueller" find Müller, "ΓΙΩΡΓΟΣ" finds Γιώργος."""

from __future__ import annotations

import functools
import re
import unicodedata

# Apostrophes too: a phone's keyboard (an iPhone's smart punctuation) types O’Neill, lists hold
# both, and "o'neill" found nobody called O’Neill (nor "o’neill" anyone called O'Neill).
_SPECIAL = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th",
                          "\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# How German and Scandinavian names are written out on a keyboard without the letter:
# Müller as "Mueller", Jørgensen as "Joergensen", Åsa as "Aasa".
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa"})

# Zero-width non-joiner and joiner are part of the text: Persian "محمد‌رضا" is one word with a
# ZWNJ, and "👩‍💻" is one emoji with a ZWJ. Every other format character (zero-width space,
# bidi overrides and isolates...) is invisible and could make a name read differently.
_JOINERS = frozenset("\u200c\u200d")
# A joiner joins two visible characters; at the edge of a word it is only a hidden mark.
_LOOSE_JOINER = re.compile(r"(?:(?<=\s)|^)[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)")


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str | None) -> str:
    """Case- and accent-insensitive form of text (NFKD, combining marks dropped, casefolded).

    Remembered: importing a list folds each name in several places (matching it to the stored
    people, then its search text), and the character-by-character pass was most of an import."""
    if not text:
        return ""
    if text.isascii():  # nothing to decompose, no marks, no special letters: the same as below
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPECIAL)


def fold_spelled_out(text: str | None) -> str:
    """`fold` of text with its umlauts written out ("Müller" -> "mueller"), or "" when that
    changes nothing: the second spelling a volunteer may type for the same name."""
    if not text:
        return ""
    spelled = unicodedata.normalize("NFC", text.casefold()).translate(_SPELLED_OUT)
    folded = fold(spelled)
    return folded if folded != fold(text) else ""


def fold_without_apostrophes(text: str | None) -> str:
    """`fold` of text without its apostrophes ("O'Neill" -> "oneill"), or "" when it has none:
    how a name is often typed on a phone, where the apostrophe is a long press away."""
    folded = fold(text)
    bare = folded.replace("'", "")
    return bare if bare != folded else ""


def search_text(name: str, email: str | None, company: str | None) -> str:
    """What search matches: name, email and company folded, plus the name and company with
    their umlauts written out, so "mueller" finds Müller as "muller" does, and without their
    apostrophes, so "oneill" finds O'Neill as "o'neill" and "o’neill" do."""
    folded = [fold(part) for part in (name, email, company) if part]
    variants = [variant(part) for part in (name, company) for variant in (fold_spelled_out, fold_without_apostrophes)]
    return " ".join(folded + [part for part in variants if part])


def clean(text: object, limit: int = 200) -> str:
    """A single-line display string: control characters removed, whitespace collapsed, length capped.

    Controls (line breaks, tabs) become spaces; invisible format characters are dropped,
    except the joiners inside a word, which change how the name is written. The result is
    NFC, as imported names are: a name typed on a Mac may arrive decomposed ("e" + U+0301),
    and must compare, sort and print as the same name.
    """
    if text is None:
        return ""
    if isinstance(text, str) and text.isprintable():  # no control, format or odd space character to look at
        return " ".join(unicodedata.normalize("NFC", text).split())[:limit]
    value = unicodedata.normalize("NFC", "".join(_visible(ch) for ch in str(text)))
    return _LOOSE_JOINER.sub("", " ".join(value.split()))[:limit]


# Letters that draw nothing: Hangul fillers (a popular "invisible nickname"), the blank Braille
# pattern, the combining grapheme joiner. In a name they are nobody's name.
_DRAWS_NOTHING = str.maketrans(dict.fromkeys("\u115f\u1160\u3164\uffa0\u2800\u034f"))


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing at all once cleaned (a zero-width space, a soft hyphen, a
    Hangul filler): an imported name like that is no name, however many characters it has."""
    if text.isascii():
        return not text.strip()
    return not clean(text, len(text)).translate(_DRAWS_NOTHING).strip()


def _visible(ch: str) -> str:
    """One character as shown: itself, a space for a control, nothing for a hidden format mark."""
    category = unicodedata.category(ch)
    if category[0] != "C" or ch in _JOINERS:
        return ch
    return "" if category == "Cf" else " "
