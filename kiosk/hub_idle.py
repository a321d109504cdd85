"""Waiting, under gevent, until the server has nothing else ready to run.

Why: ``kiosk.group_commit`` keeps a transaction open while the requests already
read do their work, and commits once there are none left. gevent's event loop
(libev) knows when that is: an idle watcher runs only in a loop iteration that
found no other ready event, so its callback means every greenlet that could run
has run and every socket that was readable has been read.
"""

from __future__ import annotations

from typing import Any


def _gevent() -> tuple[Any, Any] | None:
    """(getcurrent, get_hub_if_exists) when gevent has patched threading, else None. Asked on
    every batch of scans, so it is found out once per process: gevent patches at start-up
    (`kiosk serve`'s worker) or never (Werkzeug, the CLI, the print process)."""
    global _GEVENT
    if _GEVENT is _UNKNOWN:
        _GEVENT = _find_gevent()
    return _GEVENT  # type: ignore[return-value]


def _find_gevent() -> tuple[Any, Any] | None:
    try:
        from gevent import getcurrent, monkey
        from gevent._hub_local import get_hub_if_exists
    except ImportError:
        return None
    return (getcurrent, get_hub_if_exists) if monkey.is_module_patched("threading") else None


_UNKNOWN = object()
_GEVENT: Any = _UNKNOWN


def _hub() -> Any:
    """The gevent hub of this OS thread when gevent has patched threading and one runs here, else None."""
    found = _gevent()
    if found is None:
        return None
    getcurrent, get_hub_if_exists = found
    hub = get_hub_if_exists()
    return hub if hub is not None and getcurrent() is not hub else None


def available() -> bool:
    """Whether `wait` waits here: a greenlet under gevent (not the hub itself, not a real thread)."""
    return _hub() is not None


def wait(max_seconds: float) -> None:
    """Let every other ready greenlet run; return when the loop is idle or after about `max_seconds`.

    The timer is looked at only when the hub gets back to its loop: a greenlet that runs for
    50 ms without giving way makes this wait 50 ms (``kiosk.group_commit`` lingers only when that
    is likely to pay)."""
    hub = _hub()
    if hub is None:
        return
    from gevent.hub import Waiter

    waiter = Waiter(hub)
    idle, timer = hub.loop.idle(), hub.loop.timer(max_seconds)
    idle.start(waiter.switch, None)
    timer.start(waiter.switch, None)
    try:
        waiter.get()
    finally:
        idle.stop()
        timer.stop()
        idle.close()
        timer.close()
