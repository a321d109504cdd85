"""The server's commits reach the disk from a thread of their own, every tenth of a second.

Why: a check-in commits in WAL mode with ``synchronous=NORMAL``: COMMIT writes the
transaction to the WAL file (the operating system holds it from then on, so it
survives the server being killed or crashing) and returns without waiting for the
disk. Waiting for the disk on every commit (``synchronous=FULL``) cost more than
everything else a scan does on a 2-core machine: the fsync, and waking a thread to
do it beside the gevent hub and waking the hub again afterwards, made a lone scan
take twice as long (p99 7-9 ms instead of 3-4 ms) and eight stations 25-45% slower.

So the disk is reached here instead. Every ``INTERVAL`` seconds this thread:

- fsyncs the WAL file itself. Everything committed so far is then on disk, so a
  power cut or an operating-system crash can take back at most the check-ins of the
  last tenth of a second or so (whoever then scans again is simply checked in
  again). SQLite's own checkpoint is not relied on for this: it skips its fsync
  when a reader's snapshot keeps it from copying anything.
- once the WAL holds ``CHECKPOINT_FRAMES`` pages not yet copied (about 4 MB, SQLite's
  own default), runs a PASSIVE checkpoint, which copies them into the database file
  without ever blocking a writer. The commit itself no longer runs SQLite's automatic
  checkpoint (``wal_autocheckpoint = 0``), which did that copy inside one scan in a
  hundred or so (5-15 ms). Not more often: each complete checkpoint makes the next
  commit start the WAL afresh, which waits for the disk (below).

After a complete checkpoint the next commit starts the WAL afresh, and SQLite fsyncs
its new header inside that COMMIT: the store runs that one in a real thread
(``kiosk.wal_index``), so the hub never waits on the disk. If an fsync fails (a
failing disk) or this thread stops, the store goes back to waiting for the disk on
every commit (``synchronous=FULL``), so the error reaches the scans instead of
being hidden; what was committed since the last good fsync may already be lost
then (after a failed fsync Linux may drop those pages), and nothing can bring it
back.

A real OS thread (also under gevent), with its own connection: the checkpoint's
SQLite work runs without the GIL, beside the hub.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from printers.offload import real_lock, start_real_thread

from .wal_index import WalIndex

log = logging.getLogger("kiosk.checkpoints")

INTERVAL = 0.1  # seconds: about the most a power cut can take back
STOP_WAIT = 5.0  # seconds Store.close() waits for a checkpoint in progress
CHECKPOINT_FRAMES = 1000  # pages in the WAL not yet in the database file: time to copy them
GROWN_BYTES = 8 * 1024 * 1024  # a WAL file this long: the passive checkpoints are not catching up (`grown`)
_flush = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync; its fsync is what SQLite uses there


class Checkpointer:
    """Syncs and checkpoints one database's WAL every `interval` seconds until stopped."""

    def __init__(self, path: Path, interval: float = INTERVAL) -> None:
        self.path, self.interval = path, interval
        self.disk_error: OSError | None = None  # an fsync failed: the store must wait for the disk again
        # The WAL file has grown past GROWN_BYTES: the store's writer empties it after its next commit.
        # A PASSIVE checkpoint never holds anyone up, but under commits that never pause it never
        # catches up: the WAL starts afresh only when a commit finds every frame copied, so it grew
        # without end (600 MB for 390 MB of commits; 12 MB of it filled a nearly full disk during a
        # rush, and the door answered 503 all evening).
        self.grown = False
        self.thread_id: int | None = None  # the OS thread's id, once it runs
        self._failing = False
        self._wal_fd: int | None = None
        self._index = WalIndex(path)
        self._stopping, self._stopped = real_lock(), real_lock()
        self._stopping.acquire()  # released by stop(): the thread's sleep ends at once
        self._stopped.acquire()  # released by the thread as it ends
        self._running = True
        start_real_thread(self._run)

    def stop(self) -> None:
        """End the thread after one last sync and checkpoint; calling it again does nothing."""
        if not self._running:
            return
        self._running = False
        self._stopping.release()
        if not self._stopped.acquire(timeout=STOP_WAIT):
            log.warning("the checkpoint thread did not end within %.0f s", STOP_WAIT)

    def _run(self) -> None:
        conn = None
        try:
            self.thread_id = threading.get_native_id()
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            due = time.monotonic() + self.interval
            while not self._stopping.acquire(timeout=max(due - time.monotonic(), 0)):
                due = max(due + self.interval, time.monotonic())  # ticks on a fixed beat, never bunched up
                self._tick(conn)
            self._tick(conn, last=True)
        except Exception:  # noqa: BLE001 - never silently: without this thread nothing reaches the disk
            log.exception("the checkpoint thread stopped")
            self.disk_error = self.disk_error or OSError("the checkpoint thread stopped")
        finally:
            if conn is not None:
                conn.close()
            self._close_wal()
            self._index.close()
            self._stopped.release()

    def _tick(self, conn: sqlite3.Connection, last: bool = False) -> None:
        """fsync the WAL; checkpoint it when it has grown long (and as the store closes)."""
        try:
            self._sync_wal()
        except OSError as exc:
            if self.disk_error is None:
                log.error("cannot write the database's log to disk, waiting for the disk on every commit: %s", exc)
            self.disk_error = exc
        self.grown = self._wal_fd is not None and os.fstat(self._wal_fd).st_size >= GROWN_BYTES
        if last or (self._index.unchecked_frames() >= CHECKPOINT_FRAMES and not self.grown):
            self._checkpoint(conn)  # not while the writer is to empty the grown file: it would be in its way

    def _sync_wal(self) -> None:
        fd = self._open_wal()
        if fd is not None:
            _flush(fd)

    def _open_wal(self) -> int | None:
        """A descriptor of the WAL file as it is now: SQLite deletes it when the last connection
        closes and makes it anew; None while there is none."""
        try:
            now = os.stat(f"{self.path}-wal").st_ino
            if self._wal_fd is not None and os.fstat(self._wal_fd).st_ino == now:
                return self._wal_fd
            self._close_wal()
            self._wal_fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            self._close_wal()
        return self._wal_fd

    def _close_wal(self) -> None:
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint; a failure is logged once, then retried at the next tick."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            if not self._failing:
                log.error("cannot checkpoint the database's log: %s", exc)
            self._failing = True
            return
        if self._failing:
            log.warning("the database's log is checkpointed again")
        self._failing = False
