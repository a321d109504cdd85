"""The change feed: check-ins, undos, walk-ins, imports and printer states, in order.

Publishers never write to a socket. They bump a version, append the change to a
bounded log and wake the listeners; each websocket handler then sends what it has
not sent yet, from its own thread or greenlet. So a phone that stops reading only
delays itself, and one that falls further behind than the log gets a fresh
snapshot instead of a backlog.

The door display only cares about the headcount, so it has its own version and
wake-up: a printer going busy or idle does not wake 500 displays, and the
headcount's JSON is encoded once per change, not once per socket.
"""

from __future__ import annotations

import collections
import json
import threading
from typing import Any, Callable

LOG_SIZE = 1000


class Change:
    """One change: its version, its kind (checked_in | undone | walk_in | import | printer | refresh |
    print_queued | late_refusal | over_capacity) and its data, which a publisher may give as a function: made only
    when a volunteer's screen first asks (a rush with no console open never builds it)."""

    __slots__ = ("version", "kind", "_data")

    def __init__(self, version: int, kind: str, data: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        self.version, self.kind, self._data = version, kind, data

    @property
    def data(self) -> dict[str, Any]:
        data = self._data  # read once: another console's thread may be storing the made dict meanwhile
        if callable(data):
            data = data()
            self._data = data
        return data


class _Signal:
    """Wakes every waiter at once: an Event that is replaced each time it fires.

    Cheaper than Condition.notify_all with hundreds of waiters, each of which would
    have to re-acquire the condition's lock one after the other.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._watched = False
        self._lock = threading.Lock()  # a waiter taking the event and a fire replacing it, one at a time

    def current(self) -> threading.Event:
        """The event to wait on. Take it before looking at what changed, so a change made in
        between fires it (fire() reads `_watched` after the change is visible)."""
        with self._lock:
            self._watched = True
            return self._event

    def fire(self) -> None:
        with self._lock:
            if not self._watched:  # nobody took the event since the last fire: nobody to wake
                return
            self._watched = False
            fired, self._event = self._event, threading.Event()
        fired.set()


class Feed:
    """Versioned in-process publish/subscribe with the latest headcount always at hand."""

    def __init__(self, headcount: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._log: collections.deque[Change] = collections.deque(maxlen=LOG_SIZE)
        self._version = 0
        self._changed = _Signal()
        self._headcount: dict[str, Any] = {}
        self._headcount_json: str | None = "{}"
        self._headcount_version = 0
        self._headcount_changed = _Signal()
        self._set_headcount(headcount or {})

    @property
    def version(self) -> int:
        return self._version

    @property
    def headcount(self) -> dict[str, Any]:
        return self._headcount

    def headcount_snapshot(self) -> tuple[int, str]:
        """(headcount version, its JSON text): what a door display is sent.

        Encoded on first demand, once per change however many displays ask (and never
        during a rush with no display open)."""
        with self._lock:
            if self._headcount_json is None:
                self._headcount_json = json.dumps(self._headcount)
            return self._headcount_version, self._headcount_json

    def publish(self, kind: str, data: dict[str, Any] | Callable[[], dict[str, Any]],
                headcount: dict[str, Any] | None = None) -> int:
        """Record a change and wake every listener; returns its version. `data` may be a function
        that makes it (see Change)."""
        with self._lock:
            self._version += 1
            self._log.append(Change(self._version, kind, data))
            counts_changed = headcount is not None and self._set_headcount(headcount)
            version = self._version
        self._changed.fire()
        if counts_changed:
            self._headcount_changed.fire()
        return version

    def _set_headcount(self, headcount: dict[str, Any]) -> bool:
        if headcount == self._headcount:
            return False
        self._headcount = headcount
        self._headcount_json = None
        self._headcount_version += 1
        return True

    def wait(self, after: int, timeout: float) -> int:
        """Block until a version newer than `after` exists (or timeout); returns the newest version."""
        event = self._changed.current()
        if self._version <= after:
            event.wait(timeout)
        return self._version

    def wait_headcount(self, after: int, timeout: float) -> int:
        """Like wait(), for headcount changes only."""
        event = self._headcount_changed.current()
        if self._headcount_version <= after:
            event.wait(timeout)
        return self._headcount_version

    def kept(self, kind: str, up_to: int) -> list[Change]:
        """The changes of one kind still in the log, up to version `up_to`, oldest first."""
        with self._lock:
            return [c for c in self._log if c.kind == kind and c.version <= up_to]

    def since(self, after: int) -> list[Change] | None:
        """Changes newer than `after`, or None when the log no longer reaches back that far."""
        with self._lock:
            if after >= self._version:
                return []
            if not self._log or self._log[0].version > after + 1:
                return None
            return [c for c in self._log if c.version > after]
