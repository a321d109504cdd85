"""The print process's liveness signal: each print worker's loop says "still moving" down a pipe
that the server's master reads (printers/supervisor.py decides what a silence means).

Why these beats come from the work loops themselves: a side thread would go on beating while
every worker is stuck in a call that never returns. A worker beats at each turn of its loop,
before and after each call that may block (drawing, sending, asking the printer, writing the
queue) and on each sign of progress inside a long one (a slow printer taking a badge).

Why a pipe rather than a shared timestamp file or mmap:
- it belongs to one process: a new print process gets a new pipe, so nothing stale is ever
  read, nothing is left on disk, and nothing needs cleaning up after a SIGKILL;
- the master times the beats on its own clock as it reads them, so no clock is shared
  between the processes and a torn write cannot exist (a beat is one byte);
- the master reads it with ``os.read``: no import of the badge or database code.
A beat is one byte, the worker's number (its printer in config order), so one worker stuck while
the others go on printing is noticed too. Each worker writes at most one beat every
``BEAT_EVERY`` seconds, without ever blocking: should the master fall behind and the pipe fill
(64 KB: hours of beats), beats are dropped, which can only make a hang be noticed, never hide one.

One byte, ``PROCESS``, is no worker's: the print process's heartbeat thread
(kiosk/process_locks.py ``Heartbeat``, the one that touches ``<database>.printing``) writes it
every second. It says the process as a whole still moves, whatever its workers are blocked in, so
its silence means the process is stopped, frozen or swapped out: the master may then replace it
long before a worker's silence could be told from a slow printer. It is timed on the master's
monotonic clock like the workers' beats, so a change of the wall clock (NTP, the organiser fixing
the time, a laptop's suspend) can never look like a silence, as the file's modification time
compared with time.time() could.
"""

from __future__ import annotations

import os
import threading
import time

BEAT_EVERY = 0.5  # seconds: a worker writes at most this often (2 bytes a second, cheap)
PROCESS = 255  # the byte of the process's own heartbeat, not a worker's (module docstring)
MAX_WORKERS = PROCESS - 1  # one byte per beat; more printers than that share the last number

_fd: int | None = None
_local = threading.local()


# -- the print process's side ------------------------------------------------
def start(fd: int | None) -> None:
    """Beat into `fd` (the pipe the master handed over) from now on; None: nobody listens."""
    global _fd
    if fd is not None:
        os.set_blocking(fd, False)
        os.set_inheritable(fd, False)  # an `lp` or other child must not hold the master's pipe open
    _fd = fd


def attach(number: int) -> None:
    """Beats from this thread are worker `number`'s."""
    _local.beat = bytes([min(number, MAX_WORKERS)])
    _local.last = float("-inf")
    beat()


def beat() -> None:
    """Say this worker's loop still moves: one byte, at most every BEAT_EVERY seconds, never blocks.
    A no-op in threads that are not a worker's, and when no master listens (in-process printing)."""
    if _fd is None or not hasattr(_local, "beat"):
        return
    now = time.monotonic()
    if now - _local.last < BEAT_EVERY:
        return
    _local.last = now
    _write(_local.beat)


def process_beat() -> None:
    """Say the process as a whole still moves (its heartbeat thread calls this every second);
    a no-op when no master listens."""
    if _fd is not None:
        _write(bytes([PROCESS]))


def _write(beat: bytes) -> None:
    """One beat into the pipe, never blocking, never failing."""
    try:
        os.write(_fd, beat)
    except OSError:  # full (the master is behind: the next beat will do) or closed (the master is gone)
        pass


# -- the master's side -------------------------------------------------------
class Listener:
    """The master's end of one print process's pipe: when each worker was last heard, on our clock."""

    def __init__(self, workers: int) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        now = time.monotonic()
        self.heard = [now] * max(1, min(workers, MAX_WORKERS + 1))  # until its first beat, since the start
        self.process_heard: float | None = None  # None until the heartbeat's first beat: still starting

    def handed_over(self) -> None:
        """The child has its own copy of the write end; ours is closed, so no later fork holds it."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def listen(self) -> None:
        """Read every beat waiting in the pipe (never blocks)."""
        while self.read_fd >= 0:
            try:
                data = os.read(self.read_fd, 4096)
            except (BlockingIOError, InterruptedError):
                return
            if not data:  # the print process is gone
                return
            now = time.monotonic()
            for number in set(data):
                if number == PROCESS:
                    self.process_heard = now
                elif number < len(self.heard):
                    self.heard[number] = now

    def silence(self) -> tuple[float, int]:
        """The longest time a worker has not been heard, and that worker's number."""
        number = min(range(len(self.heard)), key=self.heard.__getitem__)
        return time.monotonic() - self.heard[number], number

    def forgive(self) -> None:
        """Start every silence afresh from now (the master was not watching: no evidence)."""
        now = time.monotonic()
        self.heard = [now] * len(self.heard)
        if self.process_heard is not None:
            self.process_heard = now

    def process_silence(self) -> float | None:
        """How long the process's heartbeat has not been heard; None while it has never beaten
        (the process is still starting: importing, reading its settings), which is no silence."""
        if self.process_heard is None:
            return None
        return time.monotonic() - self.process_heard

    def close(self) -> None:
        """Close both ends (the process it listened to is gone, or the server stops)."""
        self.handed_over()
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1
