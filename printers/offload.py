"""Keeping slow work off the gevent hub.

Under `kiosk serve` every request and websocket is a greenlet on one OS thread. A
badge render (10-20 ms of Pillow and FreeType) or a USB call blocking in libusb
would stall every check-in for that long, so such calls go to gevent's pool of
real threads; Python's GIL switch interval then bounds what a check-in waits.
Without gevent (tests, Werkzeug, the CLI) they simply run in place.
"""

from __future__ import annotations

import _thread
import threading
import time
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def _gevent_threadpool() -> Any:
    """gevent's pool of real threads when gevent has patched threading, else None."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return None
    return get_hub().threadpool if monkey.is_module_patched("threading") else None


def off_hub(call: Callable[[], T]) -> T:
    """Run `call` in a real thread under gevent (the caller's greenlet waits), else in place.

    A thread cannot be stopped: if the waiting greenlet is killed (a server stopping), it still
    waits for `call` to end before unwinding, so that what `call` uses (the database's one writer
    connection, under its lock) is never used by two threads at once."""
    pool = _gevent_threadpool()
    if pool is None:
        return call()
    result = pool.spawn(_caught, call)
    try:
        raised, value = result.get()
    except BaseException:
        if not result.ready():
            result.wait()
        raise
    if raised:
        raise value
    return value


def _caught(call: Callable[[], T]) -> tuple[bool, Any]:
    """(False, what `call` returned) or (True, what it raised). gevent's pool reports an exception
    raised in its thread to the hub, which prints it with its traceback: a refused import (a bad
    file, an answer the organiser gets anyway) filled the server's log with tracebacks naming
    attendees. Raised again in the waiting greenlet, it is handled there as any other."""
    try:
        return False, call()
    except Exception as exc:  # noqa: BLE001 - raised again by off_hub, in the caller's greenlet
        return True, exc


def _original(module: str, name: str, default: Any) -> Any:
    """`module.name` as it was before gevent patched it (or `default` without gevent)."""
    try:
        from gevent import monkey

        if monkey.is_module_patched(module):
            return monkey.get_original(module, name)
    except ImportError:
        pass
    return default


def real_rlock() -> Any:
    """An OS-level re-entrant lock, even after gevent patched `threading` (renders run in real threads)."""
    return _original("threading", "RLock", threading.RLock)()


def real_lock() -> Any:
    """An OS-level lock, even after gevent patched `threading`: one real thread can wait on it
    (``acquire(timeout=...)``) while another, or the hub, releases it."""
    return _original("threading", "Lock", threading.Lock)()


def start_real_thread(run: Callable[[], None]) -> None:
    """Run `run` in a new OS thread, even after gevent patched `threading` (where Thread would
    make a greenlet, and the original Thread class would wait on gevent's primitives to start)."""
    _original("threading", "_start_new_thread", _thread.start_new_thread)(run, ())


def real_sleep(seconds: float) -> None:
    """Sleep this OS thread, even after gevent patched `time` (for code running inside off_hub)."""
    _original("time", "sleep", time.sleep)(seconds)
