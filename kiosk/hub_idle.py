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
    """(getcurrent, get_hub_if_exists) once gevent has patched threading, else None. Looked up on
    every scan, so the imports are done once, not on each call."""
    global _GEVENT
    if _GEVENT is False:
        try:
            from gevent import getcurrent, monkey
            from gevent._hub_local import get_hub_if_exists
        except ImportError:
            return None
        if not monkey.is_module_patched("threading"):
            return None  # not yet, perhaps: asked again next time
        _GEVENT = (getcurrent, get_hub_if_exists)
    return _GEVENT


_GEVENT: tuple[Any, Any] | None | bool = False


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
