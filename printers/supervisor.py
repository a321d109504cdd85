"""The print process as the server's master keeps it: started with the server, started again
if it dies, stopped with the server.

It is handed the master's own settings (pickled on its stdin), not the config file's path: the
file may have been edited since the server started, and a restarted print process must go on
printing tonight's badges the way the server was started, not crash on a typo made meanwhile.

The master calls ``keep_alive`` each time its loop turns (gunicorn: at least once
a second), so a crashed or killed print process is back within about a second.
Jobs live in SQLite, so a restart loses none; a job the dead process had claimed
is queued again at start (at-least-once, see queue.recover_interrupted). Nothing
here imports the badge code: the master stays small.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import time
from typing import Any

log = logging.getLogger("kiosk.printers")
RESTART_EVERY = 1.0    # at most one start a second: a process that dies at once must not spin
STOP_TIMEOUT = 8.0     # the badge being sent is finished first (service.CLOSE_TIMEOUT is 5 s)


class PrintProcess:
    """One `python -m printers.process` child of the master."""

    def __init__(self, settings: Any) -> None:
        self.settings = pickle.dumps(settings)  # what the server started with, not what config.toml says now
        self.proc: subprocess.Popen | None = None
        self.started_at = float("-inf")
        self.stopping = False

    def keep_alive(self) -> None:
        """Start it, or start it again if it has died since the last look."""
        if self.stopping or self.running() or time.monotonic() - self.started_at < RESTART_EVERY:
            return
        if self.proc is not None:
            log.warning("the print process (pid %s) is gone: starting it again", self.proc.pid)
        command = [sys.executable, "-m", "printers.process", "--settings-on-stdin", "--parent", str(os.getpid())]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE)
        self.started_at = time.monotonic()
        try:
            self.proc.stdin.write(self.settings)  # a few KB: fits the pipe, never blocks the master
            self.proc.stdin.close()
        except OSError:  # it died at once; the next turn starts it again
            pass

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
