"""One place that says what time it is, so every stored time has the same shape."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Timezone-aware UTC now."""
    return dt.datetime.now(dt.timezone.utc)


def now_iso() -> str:
    """UTC now as ISO 8601 with milliseconds: sorts as text and parses back with fromisoformat."""
    return now().isoformat(timespec="milliseconds")


def iso_ago(seconds: float) -> str:
    """The ISO time `seconds` ago, for windows such as "failed scans in the last minute"."""
    return (now() - dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def local_time(iso: str, offset: dt.tzinfo | None = None) -> str:
    """A stored time as a wall clock shows it ("19:42"), for a sentence on a screen: at `offset`
    (the evening's, for what the door says), else the machine's."""
    return dt.datetime.fromisoformat(iso).astimezone(offset).strftime("%H:%M")
