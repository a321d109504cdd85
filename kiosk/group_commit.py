"""Group commit: scans that arrive together share one transaction.

Why: a check-in's own SQL is cheap; its transaction is not. BEGIN, the COMMIT that
writes every page it touched to the WAL (the headcount row, the scan log's last
page, the print queue's pages: the same pages for every scan) and the locks around
them cost about as much as the scan itself. Shared by a batch of eight scans, they
are paid once.

Under `kiosk serve` (gevent) the first scan to find the writer free leads: it opens
the transaction, does its work and then lingers until the server has nothing else
ready to run (``hub_idle.wait``). Scans read meanwhile join the open transaction:
each does its own work at once and waits. Then the leader commits, and every scan
of the batch is answered before the screens are told (a display fan-out must not
delay an answer). The busier the door, the larger the batches.

Lingering only pays when other scans are ready, and it can cost: a greenlet runs
until it gives way, so a scan that lingers beside a volunteer's search waits for the
whole search (``LINGER_SECONDS`` is checked only when the hub gets back to its loop),
holding the write lock meanwhile. So a leader lingers only while recent lingering
gathered other scans; otherwise it tries again at most once every ``PROBE_SECONDS``,
and only when scans come close together (``BUSY_GAP_SECONDS``), as they do when
several stations are busy. A door with a scan every few seconds never lingers.

While a batch is being committed, or cannot start yet (another process holds the
write lock: the print process, `kiosk import`; or a commit that waits for the disk,
``synchronous=FULL``, is under way in a real thread), the scans that arrive queue
up; when the batch is done, the first of them leads the next one with their work.
Every caller still gets its own answer, after its own data is committed, and changes
reach the feed in commit order. (The server's own commits do not wait for the disk:
``kiosk.checkpoints`` says why.)

A scan that raises (a bug, a full disk) must undo only itself. Wrapping every scan
in a SAVEPOINT would pay two statements per scan for a case that almost never
happens, so a batch runs plain first; only when one of its scans raises is the
whole transaction rolled back and the batch run again with a SAVEPOINT per scan.
The work is pure database work (``kiosk.checkin``), so running it again is safe.

Without gevent (Werkzeug, tests, the CLI) nobody lingers: threads queue behind the
batch being committed, as above. The waiting uses ``threading``, which gevent patches.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Generic, TypeVar

import sqlite_utils

from . import hub_idle
from .db import Store

T = TypeVar("T")
log = logging.getLogger("kiosk.group_commit")

MAX_BATCH = 64
LINGER_SECONDS = 0.004  # a batch waits at most about this long for the server to run out of ready work
PROBE_SECONDS = 0.05  # while lingering gathers nobody, try it again at most this often...
BUSY_GAP_SECONDS = 0.01  # ...and only for a scan that came this soon after the one before


class _Turn(Generic[T]):
    """One caller's work and, once its batch is committed, its answer."""

    __slots__ = ("work", "after", "result", "error", "done", "leads", "wake")

    def __init__(self, work: Callable[[sqlite_utils.Database], T], after: Callable[[T], None] | None) -> None:
        self.work, self.after = work, after
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = self.leads = False
        self.wake: threading.Event | None = None  # made only for a turn that has to wait for a leader


class _TurnFailed(Exception):
    """One turn of a batch run without savepoints raised: the batch is run again with them."""


class _TransactionLost(Exception):
    """A turn's error ended the whole transaction: SQLite rolls back by itself on an interrupt and
    on some I/O and full-disk errors, so its savepoint is gone too."""

    def __init__(self, turn: _Turn) -> None:
        super().__init__()
        self.turn = turn


class GroupCommit:
    """Runs write work in shared transactions; see the module docstring."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH, linger: float = LINGER_SECONDS) -> None:
        self.store, self.max_batch, self.linger = store, max_batch, linger
        self._lock = threading.Lock()
        self._waiting: list[_Turn] = []
        self._busy = False  # a leader is committing; invariant: not busy => nobody waiting
        self._open: list[_Turn] | None = None  # the batch whose transaction new turns join, while its leader lingers
        self._db: sqlite_utils.Database | None = None  # that transaction
        self._joining = 0  # turns doing their work in it right now
        self._broken = False  # one of them raised: the batch is rolled back and run again with savepoints
        self._joiners = 0.0  # scans that joined a lingering leader lately (a decaying count)
        self._probed = float("-inf")  # when a leader last lingered
        self._arrived = float("-inf")  # when the latest turn came
        self._gap = float("inf")  # the time between the latest two turns

    def run(self, work: Callable[[sqlite_utils.Database], T], after: Callable[[T], None] | None = None) -> T:
        """Run `work(db)` in a write transaction; after the commit, `after(result)` (in commit order,
        still holding the writer, so the feed sees changes in the order they were committed)."""
        turn: _Turn[T] = _Turn(work, after)
        now = time.monotonic()
        with self._lock:
            self._gap, self._arrived = now - self._arrived, now
            joins = self._open is not None and len(self._open) < self.max_batch
            if joins:
                self._open.append(turn)  # type: ignore[union-attr]
                turn.wake = threading.Event()
                self._joining += 1
            else:
                self._queue(turn)
        if joins:
            self._join(turn)
        while not turn.done:
            if turn.leads:
                self._lead()
            else:
                turn.wake.wait()  # type: ignore[union-attr]  # a follower always has one
        if turn.error is not None:
            raise turn.error
        return turn.result

    def _queue(self, turn: _Turn) -> None:
        """Wait for the next batch, or lead one now when nobody is committing (holding the lock)."""
        self._waiting.append(turn)
        if self._busy:
            turn.wake = threading.Event()
        else:
            self._busy = turn.leads = True

    def _join(self, turn: _Turn) -> None:
        """Do this turn's work in the lingering leader's open transaction."""
        try:
            turn.result = turn.work(self._db)
        except Exception as exc:  # the batch is rolled back and run again with savepoints; see _write
            turn.error = exc
            with self._lock:
                self._broken = True
                self._open = None  # nobody else writes into a transaction that will be rolled back
        finally:
            self._joining -= 1

    def _lead(self) -> None:
        """Commit the waiting turns as one batch, then hand the lead to whoever queued meanwhile."""
        with self._lock:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
        try:
            self._commit(batch)
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                if successor is not None:
                    successor.leads = True
                else:
                    self._busy = False
            for turn in batch:
                if not turn.done:  # interrupted before an answer: never report success
                    turn.error = turn.error or RuntimeError("The write was interrupted.")
                    turn.done = True
                if turn.wake is not None:
                    turn.wake.set()
            if successor is not None:
                successor.wake.set()  # type: ignore[union-attr]  # it queued behind a leader

    def _commit(self, batch: list[_Turn]) -> None:
        with self.store.serialised():
            try:
                self._write(batch)
            except Exception as exc:  # BEGIN or COMMIT failed: nothing of this batch was written
                for turn in batch:
                    turn.error, turn.done = turn.error or exc, True
                return
            for turn in batch:  # answers first: telling the screens can wake hundreds of displays
                turn.done = True
                if turn.wake is not None:
                    turn.wake.set()
            for turn in batch:
                if turn.error is None and turn.after is not None:
                    _tell(turn)

    def _write(self, batch: list[_Turn]) -> None:
        """The batch in one transaction; see the module docstring for when savepoints are used."""
        try:
            with self.store.write() as db:
                for turn in batch:
                    _run_plain(db, turn)
                self._gather(db, batch)
        except _TurnFailed:
            if len(batch) > 1:  # a lone turn's error is its answer; nobody else's work to keep
                self._write_in_savepoints(batch)

    def _write_in_savepoints(self, batch: list[_Turn]) -> None:
        """The batch again, a SAVEPOINT per turn. A turn whose error ended the whole transaction
        keeps that error as its answer, and the others go again without it."""
        while batch:
            for turn in batch:
                turn.result, turn.error = None, None
            try:
                with self.store.write() as db:
                    for turn in batch:
                        _run_in_savepoint(db, turn)
                return
            except _TransactionLost as lost:
                batch = [turn for turn in batch if turn is not lost.turn]

    def _gather(self, db: sqlite_utils.Database, batch: list[_Turn]) -> None:
        """Keep the transaction open for the turns the server has ready (gevent only; see the
        module docstring); they join `batch`. Raises _TurnFailed when one of them raised."""
        if not hub_idle.available() or len(batch) >= self.max_batch or not self._lingering_pays():
            return
        alone = len(batch)
        with self._lock:
            self._open, self._db, self._broken = batch, db, False
        try:
            hub_idle.wait(self.linger)
            while self._joining:  # a joined turn's work gave way to the hub (it should not): let it finish
                hub_idle.wait(self.linger)
        finally:
            with self._lock:
                self._open = self._db = None
            self._joiners = self._joiners * 0.75 + len(batch) - alone
            self._probed = time.monotonic()
        if self._broken:
            raise _TurnFailed

    def _lingering_pays(self) -> bool:
        """Whether to linger: recent lingering gathered other scans, or scans come close together
        and it is time to try again."""
        if self._joiners >= 0.5:
            return True
        return self._gap < BUSY_GAP_SECONDS and time.monotonic() - self._probed >= PROBE_SECONDS


def _run_plain(db: sqlite_utils.Database, turn: _Turn) -> None:
    try:
        turn.result = turn.work(db)
    except Exception as exc:  # the whole transaction is rolled back; see GroupCommit._write
        turn.error = exc
        raise _TurnFailed from exc


def _run_in_savepoint(db: sqlite_utils.Database, turn: _Turn) -> None:
    db.execute("SAVEPOINT turn")
    try:
        turn.result = turn.work(db)
    except Exception as exc:  # this caller's error, raised to it; the others' work stands
        turn.error = exc
        if not db.conn.in_transaction:  # SQLite rolled back the whole transaction itself
            raise _TransactionLost(turn) from exc
        db.execute("ROLLBACK TO turn")
    db.execute("RELEASE turn")


def _tell(turn: _Turn) -> None:
    """The after-commit step (publishing to the feed): its failure must not cost others their answer."""
    try:
        turn.after(turn.result)
    except Exception:  # noqa: BLE001 - logged; the write itself is committed and answered
        log.exception("after-commit step failed")
