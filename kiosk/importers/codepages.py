"""Which Windows code page a list that is not UTF-8 was saved in.

Excel on Windows saves "CSV (Comma delimited)" in the computer's ANSI code page: Windows-1252 in
Western Europe and the Americas, but Windows-1250 on a Polish or Czech computer, Windows-1253 on
a Greek one and Windows-1251 on a Russian or Bulgarian one. Read as Windows-1252, "Małgorzata"
becomes "Ma³gorzata" and "Γιώργος" becomes "ÃéþñãïÞ", and those would be printed on badges.

The bytes do not say which it was, so this is a guess, and the organiser is told to look:

- A list whose accented words have no plain letter at all (every letter of "Γιώργος" is a high
  byte) is in a non-Latin script, Greek or Cyrillic; otherwise it is Western or Central European.
- Of the two, the one that reads with fewer oddities wins: a symbol inside a word ("Ma³gorzata",
  "Wi¹zowska" are Polish words read as Windows-1252), a capital inside a small word or a word
  almost without vowels ("НЯкпт" and "Рбрбдьрпхлпт" are Greek read as Cyrillic).
- A tie between the Latin two is Windows-1252, by far the most common. A tie between Greek and
  Cyrillic goes to charset-normalizer (it is not asked about Latin lists: it misreads short
  Western ones as Central European).
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

WESTERN = "cp1252"
CENTRAL_EUROPEAN = "cp1250"
NON_LATIN = ("cp1253", "cp1251")  # Greek, Cyrillic
SAMPLE_BYTES = 64 * 1024

_WORD = re.compile(r"[^\W\d_]{3,}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Greek and Cyrillic vowels, small: a Greek name read as Cyrillic (or the other way) loses most of them.
NON_LATIN_VOWELS = frozenset("αεηιουωάέήίόύώϊϋΐΰаеёиоуыэюяіїє")


def guess(data: bytes) -> str:
    """The code page `data` (not UTF-8, no BOM) was most likely saved in."""
    sample = data[:SAMPLE_BYTES]  # plenty of names to judge by; a 10 MB list is not read twice more
    candidates = NON_LATIN if _non_latin_script(sample.decode(WESTERN, errors="replace")) else (WESTERN, CENTRAL_EUROPEAN)
    vowels = NON_LATIN_VOWELS if candidates == NON_LATIN else frozenset()
    oddities = {codec: _oddities(sample.decode(codec, errors="replace"), vowels)
                for codec in candidates if _decodes(data, codec)}
    if not oddities:
        return WESTERN  # the caller names the byte Windows-1252 cannot read
    fewest = [codec for codec, count in oddities.items() if count == min(oddities.values())]
    if len(fewest) > 1 and candidates == NON_LATIN:
        match = from_bytes(sample, cp_isolation=fewest).best()
        return match.encoding if match is not None else fewest[0]
    return fewest[0]  # a tie between the Latin ones: Windows-1252


def _non_latin_script(text: str) -> bool:
    """Whether most words with accents are accents only: a Greek or Cyrillic list read as Windows-1252.
    A Western word with accents keeps plain letters ("José", "Müller", "été")."""
    accented = [word for word in _WORD.findall(text) if not word.isascii()]
    high_only = [word for word in accented if not any(ch.isascii() for ch in word)]
    return bool(accented) and len(high_only) * 2 >= len(accented)


def _oddities(text: str, vowels: frozenset[str] = frozenset()) -> int:
    """What no name holds, but a name read in the wrong code page does: a symbol inside a word
    ("Ma³gorzata") or opening one before a small letter ("£ukasz"); an accented capital inside a
    word with small letters ("НЯкпт" is Greek "Νίκος" read as Cyrillic); and, given the script's
    `vowels`, a word of four letters or more that has almost none ("Рбрбдьрпхлпт")."""
    count = 0
    for found in _NON_ASCII.finditer(text):
        ch, index = found.group(), found.start()
        if not (ch.isalpha() or ch.isspace()):
            before = text[index - 1] if index else " "
            after = text[index + 1] if index + 1 < len(text) else " "
            count += after.isalpha() and (before.isalpha() or after.islower())
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        count += any(ch.isupper() and not ch.isascii() for ch in word[1:]) and not word.isupper()
        if vowels and len(word) >= 4:
            count += sum(ch in vowels for ch in word.casefold()) * 4 < len(word)
    return count


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True
