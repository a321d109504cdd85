"""The print process as the server's master keeps it: started with the server, started again
if it dies or hangs, stopped with the server.

It is handed the master's own settings (pickled on its stdin), not the config file's path: the
file may have been edited since the server started, and a restarted print process must go on
printing tonight's badges the way the server was started, not crash on a typo made meanwhile.

The master calls ``keep_alive`` each time its loop turns (gunicorn: at least once
a second), so a crashed or killed print process is back within about a second.
Jobs live in SQLite, so a restart loses none; a job the dead process had claimed
is queued again at start (at-least-once, see queue.recover_interrupted). Nothing
here imports the badge code: the master stays small.

A print process can also hang without dying: SIGSTOPped, swapped out, a driver call that never
returns (pycups has no timeout at all). Each print worker's own loop beats down a pipe
(``liveness.py``); when one has not been heard for ``hang_after`` seconds, the master logs a
warning and SIGKILLs the process (a stopped or stuck process never acts on SIGTERM), and the
restart above starts a new one once the old one is gone (reaped): never two at once. The new
one shows on every printer's card that it replaced a stuck one, until a badge prints.

The threshold must be safely longer than anything a healthy worker does between two beats.
Workers beat at each turn, around each send and probe, after each status answer and on each
sign of progress, so the longest stretch is bounded by the printers' ``timeout`` t (at most
60 s, 3 s by default, CUPS at least 10 s): a network badge's write (t), then waiting for the
printer's acknowledgements without progress (t) or for its answer (10 s), then its hang-up
(1 s): at most 2t + 11 s. USB is a write and a status read (2t); serial is a status read and
a write that may take the line's time for the largest badge on top of t (``serial_write_seconds``:
about 54 s at 9,600 baud); ``lp`` is t; a
database write waits at most 5 s for another process (retries beat). So ``hang_after`` is twice
that worst case for the longest configured timeout, and never under a minute: 60 s with the
default timeouts, 262 s at most. ``KIOSK_PRINT_HANG_AFTER`` (seconds) replaces it: it exists for
the tests, which must not wait a minute for each hang.

A print process stopped as a whole (SIGSTOP, frozen, swapped out) is told apart much sooner, by
its heartbeat: the thread that touches ``<database>.printing`` for the console also beats down the
pipe every second (``liveness.PROCESS``), and goes on beating while a worker is blocked in a
printer call. Such a process may have been stopped inside one of its short write transactions
(a badge claimed or marked printed): it then holds the database's write lock, and every scan at
the door waits its 5 s and is answered 503 busy until the process is gone. So a heartbeat silent
for ``FROZEN_AFTER`` seconds gets the process replaced the same way, without the minute a stuck
worker must be given. Measured on a 2-core machine, the print process (niced) drawing worst-case
badges for three printers: the longest gap between two heartbeats was 1.7 s with no load of ours
running, 3.9-4.5 s with both cores kept busy by 2 to 6 processes at normal priority (one run
with a disk writing in O_SYNC beside them), and 7.9 s beside 12 of them, when the print process
barely ran at all (it printed no badge in three minutes). 15 s is twice that extreme and four
times a machine that is merely flat out. Until its first heartbeat (made before the process
opens the database, so it holds no lock yet) a starting process is judged by the minute rule
alone: at the lowest priority on a busy machine, its start can take longer than 15 s.
A silence the master did not see (it was stopped itself: Ctrl-Z on `kiosk serve` stops every
process of the server) is no evidence: after such a gap every silence starts afresh.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import time
from typing import Any

from .liveness import Listener

log = logging.getLogger("kiosk.printers")
RESTART_EVERY = 1.0    # at most one start a second: a process that dies at once must not spin
STOP_TIMEOUT = 8.0     # the badge being sent is finished first (service.CLOSE_TIMEOUT is 5 s)
HANG_ENV = "KIOSK_PRINT_HANG_AFTER"
HANG_FLOOR = 60.0      # seconds: the threshold is never shorter
HANG_MARGIN = 2.0      # ... and at least this many times the longest a healthy worker goes without a beat
FROZEN_AFTER = 15.0    # seconds without a heartbeat before the whole process counts as stopped (docstring)
UNWATCHED_AFTER = 5.0  # seconds between two looks (normally 1) after which the master was not running itself


def hang_after(printers: Any) -> float:
    """Seconds a print worker may go unheard before its process counts as hung (module docstring)."""
    override = os.environ.get(HANG_ENV, "").strip()
    if override:
        try:
            seconds = float(override)
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            return seconds
        log.warning("%s=%r is not a number of seconds above 0: ignored", HANG_ENV, override)
    # Loaded already (the config check opened every backend); imported here so that importing
    # this module alone stays cheap.
    from .backend_devices import DEFAULT_BAUDRATE, LARGEST_JOB_BYTES, serial_write_seconds
    from .backend_network import DRAIN_TIMEOUT, RECEIPT_TIMEOUT
    from .connections import CUPS_MIN_TIMEOUT, DEFAULT_TIMEOUT

    def silent_at_most(printer: Any) -> float:
        """The longest this printer's worker goes without a beat while healthy (module docstring)."""
        timeout = float(printer.options.get("timeout", DEFAULT_TIMEOUT))
        if printer.backend == "cups":
            timeout = max(timeout, CUPS_MIN_TIMEOUT)
        if printer.backend == "serial":  # a badge takes seconds to cross a slow line
            baudrate = int(printer.options.get("baudrate", DEFAULT_BAUDRATE))
            return serial_write_seconds(LARGEST_JOB_BYTES, baudrate, timeout) + timeout
        return 2 * timeout + RECEIPT_TIMEOUT + DRAIN_TIMEOUT

    return max([HANG_FLOOR, *(HANG_MARGIN * silent_at_most(p) for p in printers)])


class PrintProcess:
    """One `python -m printers.process` child of the master."""

    def __init__(self, settings: Any) -> None:
        self.settings = pickle.dumps(settings)  # what the server started with, not what config.toml says now
        self.printers = [p.name for p in settings.printers]
        self.hang_after = hang_after(settings.printers)
        self.proc: subprocess.Popen | None = None
        self.beats: Listener | None = None
        self.started_at = float("-inf")
        self.watched_at = float("-inf")  # the master's last look at the beats
        self.stopping = False
        self.killed_hung: float | None = None  # how long the process we killed had been silent

    def keep_alive(self) -> None:
        """Start it, or start it again if it has died (or hung, and was killed) since the last look."""
        if self.stopping:
            return
        if self.running():
            self._watch()
            return
        if time.monotonic() - self.started_at < RESTART_EVERY:
            return
        if self.proc is not None and self.killed_hung is None:
            log.warning("the print process (pid %s) is gone: starting it again", self.proc.pid)
        self._start()

    def _start(self) -> None:
        """A new print process with a new liveness pipe (and word of the hung one it replaces)."""
        if self.beats is not None:
            self.beats.close()
        self.beats = Listener(len(self.printers))
        command = [sys.executable, "-m", "printers.process", "--settings-on-stdin", "--parent", str(os.getpid()),
                   "--liveness-fd", str(self.beats.write_fd)]
        if self.killed_hung is not None:
            command += ["--replaces-hung", f"{self.killed_hung:.0f}"]
            self.killed_hung = None
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, pass_fds=(self.beats.write_fd,))
        self.beats.handed_over()
        self.started_at = self.watched_at = time.monotonic()
        try:
            self.proc.stdin.write(self.settings)  # a few KB: fits the pipe, never blocks the master
            self.proc.stdin.close()
        except OSError:  # it died at once; the next turn starts it again
            pass

    def _watch(self) -> None:
        """SIGKILL the process when it has stopped moving: a worker unheard for hang_after seconds,
        or its heartbeat for FROZEN_AFTER (module docstring)."""
        if self.beats is None or self.killed_hung is not None:  # killed: waiting for it to be gone (reaped)
            return
        self.beats.listen()
        if self._was_away():
            self.beats.forgive()
            return
        hang = self._hang()
        if hang is None:
            return
        silent, why = hang
        log.warning("the print process (pid %s) has not moved for %.0f s (%s): killing it, a new one takes "
                    "over its badges", self.proc.pid, silent, why)
        self.killed_hung = silent
        self.proc.kill()  # SIGKILL: a stopped process, or one stuck in a call, does not act on SIGTERM

    def _was_away(self) -> bool:
        """Whether the master itself did not run for a while since its last look (stopped with
        the whole server, or starved): the silences it measured include time it did not watch."""
        now = time.monotonic()
        away, self.watched_at = now - self.watched_at > UNWATCHED_AFTER, now
        return away

    def _hang(self) -> tuple[float, str] | None:
        """How long the process has not moved and why it counts as hung; None while it moves."""
        frozen = self.beats.process_silence()
        if frozen is not None and frozen >= FROZEN_AFTER:
            return frozen, (f"its heartbeat is silent: stopped, frozen or swapped out; a freeze is "
                            f"{FROZEN_AFTER:.0f} s without a heartbeat")
        silent, number = self.beats.silence()
        if silent < self.hang_after:
            return None
        printer = self.printers[number] if number < len(self.printers) else "?"
        return silent, f"the worker of printer {printer!r}; a hang is {self.hang_after:.0f} s without a sign"

    def running(self) -> bool:
        """Whether it still runs. gunicorn's master reaps any child, ours too: poll() then just says 0."""
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """SIGTERM it, for good: it finishes the badge being sent, then exits."""
        self.stopping = True
        if self.running():
            self.proc.terminate()

    def wait(self, timeout: float = STOP_TIMEOUT) -> None:
        """Wait for it to exit after terminate(); SIGKILL if it takes longer than `timeout`."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the print process did not stop in %.0f s: killing it", timeout)
            self.proc.kill()
            self.proc.wait()
        if self.beats is not None:
            self.beats.close()
