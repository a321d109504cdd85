"""fold() and clean() take shortcuts for the usual text (ASCII, printable); they must give what the
character-by-character pass gives, for every kind of character a name can hold."""

from __future__ import annotations

import random
import unicodedata

from kiosk import textnorm

# Latin with accents, combining marks, Greek, Cyrillic, Vietnamese, CJK, and the troublemakers:
# zero-width space and joiners, NBSP, line separator, bidi override and isolate, soft hyphen,
# BOM, tab, newline, ideographic space, a Hangul filler, German capital sharp s.
ALPHABET = [chr(c) for c in [*range(0x20, 0x250), *range(0x300, 0x370), *range(0x370, 0x400), *range(0x400, 0x460),
                             0x200B, 0x200C, 0x200D, 0xA0, 0x2028, 0x202E, 0x2066, 0xAD, 0xFEFF, 0x9, 0xA, 0x3000,
                             0x115F, 0x1E9E, 0x1EC5, 0x4E2D, 0x6587, 0x0301, 0xFB01, 0x130]]


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(textnorm._SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(textnorm._SPECIAL)


def _clean_slowly(text: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", "".join(textnorm._visible(ch) for ch in text))
    return textnorm._LOOSE_JOINER.sub("", " ".join(value.split()))[:limit]


def _texts(count: int) -> list[str]:
    rng = random.Random(16)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 14))) for _ in range(count)]


def test_fold_is_the_same_with_and_without_its_shortcut():
    texts = [*_texts(20_000), "".join(chr(c) for c in range(128)), "Müller", "ΓΙΩΡΓΟΣ", "İstanbul", "Straße"]
    different = [text for text in texts if textnorm.fold(text) != _fold_slowly(text)]
    assert different == []


def test_clean_is_the_same_with_and_without_its_shortcut():
    texts = [*_texts(20_000), "Nguye\u0302\u0303n", "Ada\u00a0Lovelace", "Zoë\u200b", "محمد\u200cرضا"]
    different = [(text, limit) for text in texts for limit in (200, 4)
                 if textnorm.clean(text, limit) != _clean_slowly(text, limit)]
    assert different == []
    assert textnorm.clean("Nguye\u0302\u0303n") == "Nguy\u1ec5n"  # a Mac's decomposed letters, composed
