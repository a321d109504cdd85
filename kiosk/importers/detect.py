"""Which platform produced a file, decided from its header row.

Each platform has column titles no other export uses (Luma's ``api_id``,
Eventbrite's ``Attendee #``, Tito's ``Ticket Reference``, pretix's ``Order
code``, Meetup's ``User ID`` with ``RSVP``). Anything else is a plain list.
Only a Meetup list titled with the common ``Member ID`` is also checked by its
first member id, which must be one of Meetup's member numbers.
"""

from __future__ import annotations

from types import ModuleType

from . import eventbrite, luma, meetup, plain, pretix, tito
from .common import Columns

# Most distinctive first: a plain list that happens to have an "RSVP" column must not
# be mistaken for Meetup before the stricter platform signatures have had their say.
PLATFORMS: tuple[ModuleType, ...] = (luma, eventbrite, tito, pretix, meetup)
PARSERS: dict[str, ModuleType] = {module.SOURCE: module for module in (*PLATFORMS, plain)}


def detect_source(columns: Columns) -> str:
    """The source name for a header: meetup, eventbrite, luma, tito, pretix, or csv."""
    for module in PLATFORMS:
        if module.looks_like(columns):
            return module.SOURCE
    return plain.SOURCE
