"""The change feed: check-ins, undos, walk-ins, imports and printer states, in order.

Publishers never write to a socket. They bump a version, append the change to a
bounded log and wake the listeners; each websocket handler then sends what it has
not sent yet, from its own thread or greenlet. So a phone that stops reading only
delays itself, and one that falls further behind than the log gets a fresh
snapshot instead of a backlog.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

LOG_SIZE = 1000


@dataclass(frozen=True)
class Change:
    version: int
    kind: str          # checked_in | undone | walk_in | import | printer | refresh
    data: dict[str, Any]


class Feed:
    """Versioned in-process publish/subscribe with the latest headcount always at hand."""

    def __init__(self, headcount: dict[str, Any] | None = None) -> None:
        self._cond = threading.Condition()
        self._log: collections.deque[Change] = collections.deque(maxlen=LOG_SIZE)
        self._version = 0
        self._headcount: dict[str, Any] = headcount or {}
        self._printers: dict[str, Any] = {}

    @property
    def version(self) -> int:
        return self._version

    @property
    def headcount(self) -> dict[str, Any]:
        return self._headcount

    @property
    def printers(self) -> dict[str, Any]:
        return dict(self._printers)

    def publish(self, kind: str, data: dict[str, Any], headcount: dict[str, Any] | None = None) -> int:
        """Record a change and wake every listener; returns its version."""
        with self._cond:
            self._version += 1
            if headcount is not None:
                self._headcount = headcount
            if kind == "printer":
                self._printers[data["name"]] = data
            self._log.append(Change(self._version, kind, data))
            self._cond.notify_all()
            return self._version

    def wait(self, after: int, timeout: float) -> int:
        """Block until a version newer than `after` exists (or timeout); returns the newest version."""
        with self._cond:
            if self._version <= after:
                self._cond.wait(timeout)
            return self._version

    def since(self, after: int) -> list[Change] | None:
        """Changes newer than `after`, or None when the log no longer reaches back that far."""
        with self._cond:
            if after >= self._version:
                return []
            if not self._log or self._log[0].version > after + 1:
                return None
            return [c for c in self._log if c.version > after]
