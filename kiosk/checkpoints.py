"""The server's commits reach the disk from a thread of their own, every tenth of a second.

Why: a check-in commits in WAL mode with ``synchronous=NORMAL``: COMMIT writes the
transaction to the WAL file (the operating system holds it from then on, so it
survives the server being killed or crashing) and returns without waiting for the
disk. Waiting for the disk on every commit (``synchronous=FULL``) cost more than
everything else a scan does on a 2-core machine: the fsync, and waking a thread to
do it beside the gevent hub and waking the hub again afterwards, made a lone scan
take twice as long (p99 7-9 ms instead of 3 ms) and eight stations 25-45% slower.

So the disk is reached here instead: every ``INTERVAL`` seconds this thread runs a
PASSIVE checkpoint, which first fsyncs the WAL (everything committed so far is then
on disk) and then copies it into the database file, never blocking a writer. A
power cut or an operating-system crash can therefore lose at most the check-ins of
the last tenth of a second or so (someone who then scans again is simply checked in
again); nothing is lost when the server process dies. The commit itself no longer
runs the checkpoint (``wal_autocheckpoint = 0``), which used to stall one scan in a
hundred or so for 5-15 ms while 4 MB of WAL were copied.

A real OS thread (also under gevent), with its own connection: the checkpoint's
SQLite work runs without the GIL, beside the hub.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from printers.offload import real_lock, start_real_thread

log = logging.getLogger("kiosk.checkpoints")

INTERVAL = 0.1  # seconds: the most a power cut can take back
STOP_WAIT = 5.0  # seconds Store.close() waits for a checkpoint in progress


class Checkpointer:
    """Checkpoints one database file every `interval` seconds until stopped."""

    def __init__(self, path: Path, interval: float = INTERVAL) -> None:
        self.path, self.interval = path, interval
        self._stopping, self._stopped = real_lock(), real_lock()
        self._stopping.acquire()  # released by stop(): the thread's sleep ends at once
        self._stopped.acquire()  # released by the thread as it ends
        self._failing = False
        start_real_thread(self._run)

    def stop(self) -> None:
        """End the thread after one last checkpoint (bounded wait: a checkpoint in progress finishes first)."""
        self._stopping.release()
        if not self._stopped.acquire(timeout=STOP_WAIT):
            log.warning("the checkpoint thread did not end within %.0f s", STOP_WAIT)

    def _run(self) -> None:
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.acquire(timeout=self.interval):
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()
            self._stopped.release()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint; a failure (a full or failing disk) is logged once, then retried."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            if not self._failing:
                log.error("cannot write the database's log to disk: %s", exc)
            self._failing = True
            return
        if self._failing:
            log.warning("the database's log reaches the disk again")
        self._failing = False
