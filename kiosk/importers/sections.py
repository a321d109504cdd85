"""Section headings in a hand-made list: "SPEAKERS", "== Attendees (42) ==", "Waitlist:", "Not going".

An organiser who types a list by hand groups it: the speakers, then everyone else, then the
waitlist, each under a heading row. A heading is no one, and it says something about the rows
under it, to the next heading: speakers get the speaker's badge, and people under a waitlist,
cancelled or "not going" heading are refused at the door unless their own status says otherwise.

A heading is a row with one text cell (a count in the next cell is allowed) made only of words
for a group of people ("speakers", "attendees", "waitlist", "volunteers"...) and small words
around them ("on the", "list", "people"), with any case, colon, count or "==" decoration; or any
such cell ending in a colon ("Friends of the host:"). "John Speaker" is a name: "John" is no
group word. A heading the words do not place still ends the section above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reading import Row

SPEAKER_SECTION, REFUSED_SECTION, OTHER_SECTION = "speaker", "refused", ""

_SPEAKING = frozenset({"speakers", "presenters", "panelists", "panellists", "panel", "talks", "keynotes"})
_REFUSING = frozenset({"waitlist", "waitlisted", "waiting", "wait", "reserve", "reserves", "standby", "hold",
                       "regrets", "declines", "backup", "backups", "overflow", "pending", "dropped",
                       "cancelled", "canceled", "cancellations", "declined", "refunded", "unconfirmed",
                       "espera", "warteliste", "abgesagt", "absagen", "attente", "d'attente", "wachtlijst"})
_NEGATIONS = frozenset({"not", "no", "can't", "cannot", "unable", "won't", "couldn't"})
_COMING = frozenset({"going", "coming", "attending", "attend", "come", "make"})
# A group named in the singular is a heading only when written as one ("SPEAKER", "Speaker:"):
# "Speaker" alone may be a placeholder person.
_SINGULAR = {"speaker": SPEAKER_SECTION, "keynote": SPEAKER_SECTION, "presenter": SPEAKER_SECTION,
             "volunteer": OTHER_SECTION, "organiser": OTHER_SECTION, "organizer": OTHER_SECTION,
             "host": OTHER_SECTION, "sponsor": OTHER_SECTION}
_GROUPS = frozenset({
    "attendees", "guests", "members", "participants", "volunteers", "organisers", "organizers",
    "organising", "organizing", "team", "staff", "sponsors", "hosts", "crew", "press", "vip", "vips",
    "confirmed", "registered", "rsvps", "walk", "ins", "walkins", "speakers",
    "teilnehmer", "inscrits", "deelnemers", "partecipanti", "maybe",
})
# Headings whose words alone are no group: "Plus 1" alone is someone's guest, "Plus ones" a section.
_PHRASES = {("plus", "ones"): OTHER_SECTION, ("plus", "one", "guests"): OTHER_SECTION}
_SMALL_WORDS = frozenset({"the", "on", "our", "list", "people", "persons", "rsvp", "yes", "and", "&", "of",
                          "for", "to", "tonight", "only", "all", "other", "others", "general", "main",
                          "extra", "late", "still", "a", "it", "lista", "de", "liste", "en", "out"})
_HEADING_WORDS = _SPEAKING | _REFUSING | _COMING | _GROUPS
_DECORATION = re.compile(r"\(\s*[0-9]+\s*\)|[0-9]+|[#=*:.•|\-–—_/()\[\]]+")
_NUMBER = re.compile(r"[-+]?[0-9][0-9.,\s]*")
MAX_WORDS = 5


@dataclass(frozen=True)
class Section:
    line: int  # the heading's line
    heading: str  # as written, e.g. "WAITLIST"
    kind: str  # SPEAKER_SECTION, REFUSED_SECTION or OTHER_SECTION


def heading_kind(text: str) -> str | None:
    """The kind of section a heading cell opens, or None for anything that is no heading (a name)."""
    cell = text.strip()
    words = _DECORATION.sub(" ", cell.casefold().replace("’", "'")).split()
    if not words or len(words) > MAX_WORDS:
        return None
    known = all(word in _HEADING_WORDS or word in _SMALL_WORDS or word in _NEGATIONS for word in words)
    if tuple(words) in _PHRASES:
        return _PHRASES[tuple(words)]
    if len(words) == 1 and words[0] in _SINGULAR and (cell.endswith(":") or cell.isupper()):
        return _SINGULAR[words[0]]
    if not (known and any(word in _HEADING_WORDS for word in words)):
        return OTHER_SECTION if cell.endswith(":") and not any(ch.isdigit() for ch in cell) else None
    if _REFUSING.intersection(words) or (_NEGATIONS.intersection(words) and _COMING.intersection(words)):
        return REFUSED_SECTION
    return SPEAKER_SECTION if _SPEAKING.intersection(words) else OTHER_SECTION


def heading_of(cells: list[str]) -> tuple[str, str] | None:
    """(heading text, kind) of a row that is one, else None: one text cell, numbers at most beside it."""
    texts = [cell.strip() for cell in cells if cell.strip() and not _NUMBER.fullmatch(cell.strip())]
    kind = heading_kind(texts[0]) if len(texts) == 1 else None
    return None if kind is None else (texts[0], kind)


def sections(rows: list[Row]) -> dict[int, Section]:
    """Line -> the section a row is in (or heads), for every row at or under a heading."""
    found: dict[int, Section] = {}
    current: Section | None = None
    for row in rows:
        heading = heading_of(row.cells)
        if heading is not None:
            current = Section(row.line, *heading)
        if current is not None:
            found[row.line] = current
    return found
