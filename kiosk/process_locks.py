"""Locks that say which of the kiosk's processes run on a database file.

One server per file: a second `kiosk serve` on the same file would start a second
print process on the same queue; it would take the job the first one is printing
for an interrupted one and print it again, and the two would overwrite each other's
printer states. So a server holds ``<database>.serving`` for as long as it runs.

The print process holds ``<database>.printing``: the web worker looks at it to tell
volunteers when no badge can print because that process is not running.

Both are flock()s: the kernel drops them when the process ends, however it ends
(kill -9 included), so a lock never outlives its owner.

A held lock says the process exists, not that it runs: a SIGSTOPped (or swapped out, or
frozen) print process keeps its lock. So the print process also touches its lock file
every BEAT_EVERY seconds (``Heartbeat``), and the web tells "not running" (nobody holds the
lock) from "not answering" (held, but untouched for SILENT_AFTER seconds: ``silent_since``).
This is the process's own sign of life, from a thread of its own: a print worker stuck in a
printer call is another matter, which the server's master watches (printers/liveness.py). The
same thread beats down the master's pipe too, and the master replaces a print process whose
heartbeat has stopped (printers/supervisor.py ``FROZEN_AFTER``).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import IO, Callable, TypeVar

import click

try:
    import fcntl
except ImportError:  # Windows: no flock; Werkzeug serves there, with the print workers as threads
    fcntl = None  # type: ignore[assignment]


class Held(Exception):
    """Another process holds the lock; ``pid`` is what it wrote there."""

    def __init__(self, path: Path, pid: str) -> None:
        super().__init__(f"{path} is held by pid {pid}")
        self.pid = pid


class AlreadyServing(click.ClickException):
    """Another server runs on this database: one clear line, exit status 2."""

    exit_code = 2


def serving(database: Path) -> Path:
    return database.with_name(database.name + ".serving")


def printing(database: Path) -> Path:
    return database.with_name(database.name + ".printing")


BEAT_EVERY = 1.0    # seconds between two touches of the print process's lock file
SILENT_AFTER = 5.0  # seconds untouched before the web says the print process is not answering
STARTUP_WAIT = 5.0  # a server killed a moment ago leaves its worker for a second or two
RETRY_EVERY = 0.2
T = TypeVar("T")


def retry_for(wait: float, attempt: Callable[[], T], gives_way: Callable[[Exception], bool]) -> T:
    """`attempt()` again every RETRY_EVERY seconds while it fails in a way that `gives_way` (a
    resource another process is about to let go of), for at most `wait` seconds; then its error."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not gives_way(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_EVERY)


def hold_serving(database: Path, wait: float = STARTUP_WAIT) -> IO[str] | None:
    """Take the database's serving lock, or raise AlreadyServing naming the other server's pid.

    A server restarted right after a crash may find the old worker still finishing (its master
    was killed, it notices within a second or two): so the lock is tried for `wait` seconds.
    Keep the returned file open for as long as the server runs: closing it releases the lock."""
    try:
        return retry_for(wait, lambda: hold(serving(database)), lambda exc: isinstance(exc, Held))
    except Held as taken:
        raise AlreadyServing(f"another `kiosk serve` (pid {taken.pid}) is already serving {database}: stop "
                             "it first, or give this one a database of its own ([storage] database)") from None


def hold(path: Path) -> IO[str] | None:
    """Lock `path` for this process (it then holds our pid); Held when another process has it.
    None where flock does not exist."""
    if fcntl is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)  # a first start: the database's folder is not made yet
    handle = open(path, "a+", encoding="ascii")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "unknown"
        handle.close()
        raise Held(path, pid) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def other_holder(path: Path) -> str | None:
    """The pid written in `path` when another process holds its lock (this one's own lock does
    not count); None when nobody else holds it, or where flock does not exist."""
    if fcntl is None or not is_held(path):
        return None
    try:
        pid = path.read_text(encoding="ascii").strip() or "unknown"
    except (OSError, UnicodeDecodeError):
        pid = "unknown"
    return None if pid == str(os.getpid()) else pid


def is_held(path: Path) -> bool:
    """Whether some process holds the lock on `path` (True where flock does not exist: we cannot tell)."""
    if fcntl is None:
        return True
    if not path.parent.is_dir():
        return False
    try:
        with open(path, "a+", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    return False


class Heartbeat:
    """Touches the lock file held by `handle` every BEAT_EVERY seconds, from a thread of its own,
    for as long as this process runs and is not stopped: its modification time is then at most
    that old, which ``silent_since`` reads. A thread rather than the main loop, so that a slow
    start (the database's write lock held by an import) is not taken for a hang.

    `also` is called at each beat too, before the touch (the print process: a beat down the pipe
    to the server's master, printers/liveness.py, which replaces a process whose heartbeat stops;
    first, so that a disk slow to take the touch does not silence it)."""

    def __init__(self, handle: IO[str] | None, also: Callable[[], None] | None = None) -> None:
        self.handle = handle
        self.also = also
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lock-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        """Beat now, then from a thread (nothing to do where flock does not exist: nobody reads the
        beats). The first beat is made before this returns, so whoever waits for it (the master's
        start-up grace) knows the heartbeat runs before this process opens the database."""
        if self.handle is not None:
            self._beat()
            self._thread.start()
        return self

    def stop(self) -> None:
        """No more beats: called before the lock is let go, so no beat touches a closed file."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        """The thread: a beat every BEAT_EVERY seconds until stop()."""
        while not self._stop.wait(BEAT_EVERY):
            self._beat()

    def _beat(self) -> None:
        """One beat: `also` first (see the class), then the lock file's modification time."""
        if self.also is not None:
            self.also()
        touch(self.handle)


def touch(handle: IO[str] | None) -> None:
    """Set the modification time of the file open as `handle` to now; a failure only skips a beat."""
    if handle is None:
        return
    try:
        os.utime(handle.fileno())
    except (OSError, ValueError):  # ValueError: closed meanwhile
        pass


def silent_since(path: Path, after: float = SILENT_AFTER) -> float | None:
    """When the holder of the lock on `path` last beat (seconds since the epoch), if that was more
    than `after` seconds ago: it holds the lock but is not answering. None while it beats, and
    where we cannot tell (no flock, no file). Only meaningful while ``is_held(path)``."""
    if fcntl is None:
        return None
    try:
        beat = path.stat().st_mtime
    except OSError:
        return None
    return beat if time.time() - beat > after else None
