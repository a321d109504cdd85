"""The printers of the evening: one worker per printer draining the persistent queue.

A check-in only inserts a job row (in its own transaction) and returns; a worker
per printer claims jobs, renders and sends them, and retries with back-off when
the printer is unplugged, jammed or out of paper. Each station can be tied to one
printer (``stations = ["door-1"]`` in its config table); other jobs go to
whichever printer is free. After a crash, a job left "printing" is queued again:
the badge is printed rather than lost (at-least-once; the window is the instant
between the printer taking the bytes and the commit that marks the job done).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from kiosk import clock
from kiosk.config import PrinterSettings

from . import queue as print_queue
from .badge import BadgeInfo
from .connections import Backend, PrinterError, open_backend
from .escpos_job import build_job, render_preview

log = logging.getLogger("kiosk.printers")
STATUS_EVERY = 10.0
MAX_BACKOFF = 30.0


def badge_info(row: Any, event: Any) -> BadgeInfo:
    """What goes on an attendee's badge, from their row and the event."""
    mark = "WALK-IN" if row["is_walk_in"] else ("SPEAKER" if row["role"] == "speaker" else None)
    sponsors = " & ".join(event.sponsors)
    return BadgeInfo(name=row["name"], first_name=row["first_name"] or row["name"], company=row["company"],
                     event_name=event.name, event_date=event.date_label, ticket_code=row["ticket_code"],
                     sponsor_line=f"Thanks to {sponsors}" if sponsors else None, mark=mark)


def backoff(attempts: int) -> float:
    """1, 2, 4, 8 ... seconds, at most 30: a printer back from a jam prints within half a minute."""
    return min(2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class PrinterState:
    name: str
    backend: str
    profile: str
    online: bool | None = None
    paper: str = "unknown"
    last_error: str | None = None
    last_printed_at: str | None = None
    busy: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PrinterWorker:
    """Drains the queue for one printer."""

    settings: PrinterSettings
    backend: Backend
    pool: "PrinterPool"
    state: PrinterState = field(init=False)

    def __post_init__(self) -> None:
        self.state = PrinterState(self.settings.name, self.settings.backend, self.settings.profile)

    def run(self) -> None:
        feed, stop = self.pool.door.feed, self.pool.stop
        seen, last_status = -1, 0.0
        while not stop.is_set():
            if clock.now().timestamp() - last_status > STATUS_EVERY and not self.state.busy:
                self.refresh_status()
                last_status = clock.now().timestamp()
            try:
                worked = self.print_next()
            except Exception:  # never let one bad job kill the worker
                log.exception("printer %s: unexpected error", self.settings.name)
                worked = False
            if not worked:
                seen = feed.wait(seen, 0.5)

    def print_next(self) -> bool:
        """Claim, print and settle one job; False when nothing is due."""
        job = self.pool.claim(self.settings)
        if job is None:
            return False
        self._set(busy=True)
        try:
            data, preview = self.pool.render(job, self.settings.profile)
            self.backend.send(data, f"job-{job['id']:06d}", preview=preview)
        except PrinterError as exc:
            self.pool.retry(job, str(exc))
            self._set(busy=False, online=False, last_error=str(exc))
            return False
        self.pool.done(job)
        self._set(busy=False, online=True, last_error=None, last_printed_at=clock.now_iso())
        return True

    def refresh_status(self) -> None:
        status = self.backend.status()
        self._set(online=status.online, paper=status.paper,
                  last_error=None if status.online else (status.detail or self.state.last_error))

    def _set(self, **changes: Any) -> None:
        before = self.state.as_dict()
        for key, value in changes.items():
            setattr(self.state, key, value)
        if self.state.as_dict() != before:
            self.pool.door.feed.publish("printer", self.pool.describe_one(self))


class PrinterPool:
    """All printers of the evening, their workers and the shared queue operations."""

    def __init__(self, store: Any, door: Any, printers: tuple[PrinterSettings, ...], base_dir: Any) -> None:
        self.store, self.door = store, door
        self.stop = threading.Event()
        self.workers = [PrinterWorker(p, open_backend({**p.options, "backend": p.backend, "profile": p.profile}, base_dir), self)
                        for p in printers]
        self._tied = {station: p.name for p in printers for station in p.stations}

    def start(self) -> "PrinterPool":
        with self.store.write() as db:
            db.execute("UPDATE print_jobs SET status = 'queued', printer = NULL WHERE status = 'printing'")
        for worker in self.workers:
            threading.Thread(target=worker.run, name=f"printer-{worker.settings.name}", daemon=True).start()
        return self

    def claim(self, printer: PrinterSettings) -> Any:
        """Take the oldest due job this printer may print (tied stations go to their printer)."""
        mine = [s for s, name in self._tied.items() if name == printer.name]
        others = [s for s, name in self._tied.items() if name != printer.name]
        where, order = "", "id"
        if others:
            where = f"AND (station IS NULL OR station NOT IN ({','.join('?' * len(others))}))"
        if mine:
            order = f"(station IN ({','.join('?' * len(mine))})) DESC, id"
        with self.store.write() as db:
            job = db.execute(
                f"SELECT * FROM print_jobs WHERE status = 'queued' AND next_attempt_at <= ? {where} "
                f"ORDER BY {order} LIMIT 1", [clock.now_iso(), *others, *mine]).fetchone()
            if job is None:
                return None
            db.execute("UPDATE print_jobs SET status = 'printing', printer = ?, attempts = attempts + 1 WHERE id = ?",
                       [printer.name, job["id"]])
            return db.execute("SELECT * FROM print_jobs WHERE id = ?", [job["id"]]).fetchone()

    def render(self, job: Any, profile: str) -> tuple[bytes, Any]:
        """The ESC/POS bytes and the preview image of a job."""
        info = self._info(job["attendee_id"]) if job["attendee_id"] else test_badge(self.door.event)
        return build_job(info, profile), render_preview(info, profile)

    def _info(self, attendee_id: int) -> BadgeInfo:
        with self.store.read() as db:
            row = db.execute("SELECT * FROM attendees WHERE id = ?", [attendee_id]).fetchone()
        return badge_info(row, self.door.event)

    def done(self, job: Any) -> None:
        with self.store.write() as db:
            db.execute("UPDATE print_jobs SET status = 'printed', printed_at = ?, last_error = NULL WHERE id = ?",
                       [clock.now_iso(), job["id"]])

    def retry(self, job: Any, error: str) -> None:
        due = clock.now() + dt.timedelta(seconds=backoff(job["attempts"]))
        with self.store.write() as db:
            db.execute("UPDATE print_jobs SET status = 'queued', printer = NULL, next_attempt_at = ?, last_error = ? "
                       "WHERE id = ? AND status = 'printing'", [due.isoformat(timespec="milliseconds"), error, job["id"]])

    def preview(self, attendee_id: int, printer: str | None = None) -> Any:
        """The badge image exactly as the named (or first) printer will print it."""
        worker = next((w for w in self.workers if w.settings.name == printer), self.workers[0])
        with self.store.read() as db:
            row = db.execute("SELECT * FROM attendees WHERE id = ? AND event_id = ?", [attendee_id, self.door.event.id]).fetchone()
        return render_preview(badge_info(row, self.door.event), worker.settings.profile) if row else None

    def describe_one(self, worker: PrinterWorker) -> dict[str, Any]:
        with self.store.read() as db:
            counts = dict(db.execute(
                "SELECT status, count(*) FROM print_jobs WHERE event_id = ? AND (printer = ? OR printer IS NULL) "
                "AND status IN ('queued', 'printing') GROUP BY status", [self.door.event.id, worker.settings.name]).fetchall())
            oldest = db.execute("SELECT min(created_at) FROM print_jobs WHERE event_id = ? AND status = 'queued'",
                                [self.door.event.id]).fetchone()[0]
        return {**worker.state.as_dict(), "stations": list(worker.settings.stations),
                "queue": {"queued": counts.get("queued", 0), "printing": counts.get("printing", 0), "oldest_queued_at": oldest}}

    def describe(self) -> list[dict[str, Any]]:
        return [self.describe_one(w) for w in self.workers]


def test_badge(event: Any) -> BadgeInfo:
    """The badge `kiosk printer test` prints: every script the door meets, so missing fonts show."""
    return BadgeInfo(name="Zoë Ελένη 王 Nguyễn", first_name="Zoë", company="Printer test", event_name=event.name,
                     event_date=event.date_label, ticket_code="K0-TEST00-0000000000000",
                     sponsor_line="Test badge", mark="TEST")


def start_printers(state: Any) -> PrinterPool:
    """Open every configured printer and start its worker."""
    pool = PrinterPool(state.store, state.door, state.settings.printers, state.settings.base_dir)
    pool.stop = state.stop
    return pool.start()
