"""Which Windows code page a list that is not UTF-8 was saved in.

Excel on Windows saves "CSV (Comma delimited)" in the computer's ANSI code page: Windows-1252 in
Western Europe and the Americas, but Windows-1250 on a Polish or Czech computer, Windows-1253 on
a Greek one and Windows-1251 on a Russian or Bulgarian one. Read as Windows-1252, "Małgorzata"
becomes "Ma³gorzata" and "Γιώργος" becomes "ÃéþñãïÞ", and those would be printed on badges.

The bytes do not say which it was, so this is a guess, and the organiser is told to look:

- A list whose accented words have no plain letter at all (every letter of "Γιώργος" is a high
  byte) is in a non-Latin script, Greek or Cyrillic; otherwise it is Western or Central European.
- Western or Central European: Windows-1250 only when it reads the file clearly better: a
  Polish letter Windows-1252 has as a symbol inside a word ("Ma³gorzata"), or at least two
  fewer words whose accents fit no one language ("Dvoøák" is Czech "Dvořák" read as
  Windows-1252; "Lefčvre" fits Czech as well as "Lefèvre" fits French, so that stays
  Windows-1252, by far the most common). "vegan¹", "cm³", "£10", "¿Qué?" and one odd name
  ("Hjørdís", Faroese) are Western as written.
- Greek or Cyrillic: the one whose words look like words (no capital inside a small word, no word
  almost without vowels: "НЯкпт" and "Рбрбдьрпхлпт" are Greek read as Cyrillic); a tie goes to
  charset-normalizer (not asked about Latin lists: it misreads short Western ones as Central
  European).
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

WESTERN = "cp1252"
CENTRAL_EUROPEAN = "cp1250"
NON_LATIN = ("cp1253", "cp1251")  # Greek, Cyrillic
SAMPLE_BYTES = 64 * 1024

_WORD = re.compile(r"[^\W\d_]{3,}")
# Polish letters that Windows-1252 has as symbols: "ł" is "³", "ą" "¹", "ż" "¿" (and Slovak "ľ" "¾").
_POLISH_AS_SYMBOL = re.compile("[³¹¿¾]")
# The accented letters of each language written in these code pages: a real word's accents come
# from one of them. (Faroese, which has both "ø" and "á", is left out: "Dvoøák" must not fit.)
LATIN_ALPHABETS = tuple(frozenset(letters) for letters in (
    "àâæçéèêëîïôœùûüÿ",  # French
    "äöüß",  # German
    "áéíóúñü",  # Spanish
    "áâãàçéêíóôõú",  # Portuguese
    "àèéìíîòóùú",  # Italian
    "àçèéíïòóúü·",  # Catalan
    "éèëïöüáóúêôàâ",  # Dutch
    "æøåéó",  # Danish, Norwegian
    "åäöé",  # Swedish, Finnish
    "áðéíóúýþæö",  # Icelandic
    "áéíóú",  # Irish
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "ąćęłńóśźż",  # Polish
    "áéíóöőúüű",  # Hungarian
    "čćđšž",  # Croatian, Bosnian, Serbian Latin, Slovene
    "ăâîșțşţ",  # Romanian
    "äöüõšž",  # Estonian
))
# Greek and Cyrillic vowels, small: a Greek name read as Cyrillic (or the other way) loses most of them.
NON_LATIN_VOWELS = frozenset("αεηιουωάέήίόύώϊϋΐΰаеёиоуыэюяіїє")


def guess(data: bytes) -> str:
    """The code page `data` (not UTF-8, no BOM) was most likely saved in."""
    sample = data[:SAMPLE_BYTES]  # plenty of names to judge by; a 10 MB list is not read twice more
    if _non_latin_script(sample.decode(WESTERN, errors="replace")):
        return _greek_or_cyrillic(data, sample)
    readable = [codec for codec in (WESTERN, CENTRAL_EUROPEAN) if _decodes(data, codec)]
    if len(readable) < 2:
        return readable[0] if readable else WESTERN  # none: the caller names the byte Windows-1252 cannot read
    western, central = sample.decode(WESTERN), sample.decode(CENTRAL_EUROPEAN)
    if _polish_in_western(western):
        return CENTRAL_EUROPEAN
    # One odd word is not enough: a Faroese "Hjørdís" fits no language here but is Western.
    return CENTRAL_EUROPEAN if _misfits(western) - _misfits(central) >= 2 else WESTERN


def _greek_or_cyrillic(data: bytes, sample: bytes) -> str:
    """Of the two, the one whose words look like words; a tie goes to charset-normalizer."""
    oddities = {codec: _oddities(sample.decode(codec, errors="replace"))
                for codec in NON_LATIN if _decodes(data, codec)}
    if not oddities:
        return WESTERN
    fewest = [codec for codec, count in oddities.items() if count == min(oddities.values())]
    if len(fewest) > 1:
        match = from_bytes(sample, cp_isolation=fewest).best()
        return match.encoding if match is not None else fewest[0]
    return fewest[0]


def _non_latin_script(text: str) -> bool:
    """Whether most words with accents are accents only: a Greek or Cyrillic list read as Windows-1252.
    A Western word with accents keeps plain letters ("José", "Müller", "été")."""
    accented = [word for word in _WORD.findall(text) if not word.isascii()]
    high_only = [word for word in accented if not any(ch.isascii() for ch in word)]
    return bool(accented) and len(high_only) * 2 >= len(accented)


def _polish_in_western(text: str) -> int:
    """Polish letters Windows-1252 reads as symbols, inside a word: "Ma³gorzata", "Wi¹zowska",
    "Ró¿a". At a word's edge they are Western as often: "vegan¹" (a footnote), "cm³", "(£m)",
    "¿Qué?", "3¼in"."""
    count = 0
    for found in _POLISH_AS_SYMBOL.finditer(text):
        before, after = _letters_before(text, found.start()), _letters_after(text, found.end())
        count += bool(before and after) and before + after >= 3
    return count


def _letters_before(text: str, index: int) -> int:
    count = 0
    while index - count > 0 and text[index - count - 1].isalpha():
        count += 1
    return count


def _letters_after(text: str, index: int) -> int:
    count = 0
    while index + count < len(text) and text[index + count].isalpha():
        count += 1
    return count


def _misfits(text: str) -> int:
    """Words whose accented letters fit no one language's alphabet: "Dvoøák" (ø and á) is Czech
    "Dvořák" read as Windows-1252, "Řdegĺrd" is Danish "Ødegård" read as Windows-1250."""
    count = 0
    for word in _WORD.findall(text):
        if not word.isascii():
            accents = {ch for ch in word.casefold() if not ch.isascii() and ch.isalpha()}
            count += bool(accents) and not any(accents <= alphabet for alphabet in LATIN_ALPHABETS)
    return count


def _oddities(text: str) -> int:
    """What no Greek or Cyrillic name holds, but one read in the other code page does: an accented
    capital inside a word with small letters ("НЯкпт" is "Νίκος" read as Cyrillic) and a word of
    four letters or more almost without vowels ("Рбрбдьрпхлпт")."""
    count = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        count += any(ch.isupper() and not ch.isascii() for ch in word[1:]) and not word.isupper()
        if len(word) >= 4:
            count += sum(ch in NON_LATIN_VOWELS for ch in word.casefold()) * 4 < len(word)
    return count


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True
