"""First and last name from a full name, for lists that have only one name column.

The kiosk greets people by first name ("Welcome, Khai!") and prints it large on the
badge. Most names put the given name first, but Vietnamese names put the family
name first: "Nguyễn Thị Minh Khai" is Khai of the Nguyễn family, and greeting her
"Welcome, Nguyễn!" uses her family name. Such names are recognised by their family
name, conservatively: only surnames that cannot be mistaken for a name of another
culture count, so "Mai Andersen", "Le Blanc" and "Ho Wen" keep their first word.
"""

from __future__ import annotations

import unicodedata


def _key(word: str) -> str:
    """A word as compared: NFC (some exports send "ễ" decomposed) and casefolded (NGUYỄN)."""
    return unicodedata.normalize("NFC", word).casefold()


# Common Vietnamese family names (the fourteen most common and the usual less common ones),
# written with their diacritics, which tell them apart: without them, Le, Ho, Vu, Dang... are as
# often given or family names elsewhere. Left out on purpose: the surnames written without any
# diacritics (Phan, Mai, Cao, Chu, La, Kim, Chung), Hà and Thủy (mostly given names) and Văn
# (mostly a middle name). "Nguyen" is the exception: it is Vietnamese wherever it appears.
VIETNAMESE_SURNAMES = frozenset(map(_key, (
    "Nguyễn", "Nguyen", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Đào", "Đoàn", "Vương", "Trịnh", "Lưu", "Tạ",
    "Lâm", "Lương", "Phùng", "Triệu", "Nghiêm", "Tôn", "Thạch", "Quách", "Tống", "Kiều", "Đàm",
)))
# Titles written before a name ("Dr. Jane Smith", "Prof Ada Lovelace"): the greeting skips them
# when a given and a family name follow ("Dr Smith" stays as written). Not "M." (an initial too).
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame", "rev",
                     "herr", "frau", "mme", "mlle", "sr", "sra", "dott"})
# Never a given name, though Hoàng, Vũ, Lâm... are: a name ending in it is already given name first.
_NEVER_GIVEN = frozenset(map(_key, ("Nguyễn", "Nguyen")))


def split_name(name: str) -> tuple[str, str]:
    """(first, last) of a full name: the given name to greet by and the family name.

    Usually the first word and the rest; a title before a given and a family name is skipped
    ("Dr. Jane Smith" is Jane). A Vietnamese name (family name first) gives its last word and
    its family name: ("Khai", "Nguyễn"); the display name stays as written. A single word, e.g.
    王小明, is all first name.
    """
    words = name.split()
    if not words:
        return "", ""
    if len(words) >= 3 and _key(words[0]).rstrip(".") in _TITLES:  # "Dr. Jane Smith": greet Jane
        first, last = split_name(" ".join(words[1:]))
        return first, last
    if _family_name_first(words):
        return words[-1], words[0]
    return words[0], " ".join(words[1:])


def _family_name_first(words: list[str]) -> bool:
    """Whether a name's words read family name first: a Vietnamese surname, then at least a given
    name, which is never Nguyễn (so "Hoàng Nguyễn", written given name first, stays as it is)."""
    return (len(words) >= 2 and _key(words[0]) in VIETNAMESE_SURNAMES
            and _key(words[-1]) not in _NEVER_GIVEN)
