"""The printers of the evening: one worker per printer draining the persistent queue.

A check-in only inserts a job row (in its own transaction) and returns; nothing
on the request path ever talks to a printer, so a dead printer cannot slow the
door. A worker per printer claims jobs, draws and sends them.

Two modes, one PrinterPool and PrinterWorker; they differ only in how the
workers are woken and who hears of a printer's new state (``Mode``):

- In a print process of their own (``kiosk serve``, see ``process.py``): a badge
  is 10-20 ms of Pillow and FreeType holding the GIL, which a thread in the web
  process would take from the door's requests and websockets. The gunicorn
  master starts that process, restarts it if it dies and stops it with the
  server. Its workers learn of new jobs by polling ``PRAGMA data_version``
  (another process committed) every 0.2 s.
- As threads in the web process (``create_app(start_workers=True)``: tests'
  in-process server, the Werkzeug fallback): the door's feed wakes them the
  moment a job is queued.

Either way a printer's shown state is written to the ``printer_states`` table
(``states.py``), and GET /api/printers and the "printer" messages on /ws/live
come from that table (``board.py``): at once in-process, within a second (the
web's data_version watcher) from the print process.

Why the back-off belongs to the printer, not to the job: when a printer fails,
its worker stops taking jobs ("down") and the job goes back in its place, where
another printer allowed to print it takes it at once. A down worker asks its
printer how it is (a status probe: one connection, no print) every
``PROBE_EVERY`` seconds, which costs nothing on a refused port. It sends again as
soon as a probe finds the printer back (the port answers again, the paper is
back), or, when the probe cannot tell (the printer looks fine but the job
failed), after 1, 2, 4 ... 30 seconds. So twenty badges queued behind a printer
that is off come out in arrival order within seconds of it being switched on,
and nobody hammers a dead printer with twenty connections per round.

Station tying: ``stations = ["door-1"]`` in a ``[printers.NAME]`` table sends that
station's badges to that printer only; other jobs go to whichever printer is
free. When a tied printer is down its stations' badges wait for it (and its
card says how many): the printer stands at that station, and a badge that comes
out of another printer across the hall is a badge nobody collects. The console
shows the printer offline with its queue, so a volunteer fixes the printer (or
takes "door-1" off its list and restarts) rather than the badges wandering.

Each worker runs in its own thread, so a slow status query or connect timeout on
one printer never delays another. Should the workers run under gevent (a thread
is then a greenlet), USB calls, which block inside libusb and would freeze every
greenlet, go to a real OS thread (``_off_hub``).
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kiosk import clock
from kiosk.db import is_busy
from kiosk.config import PrinterSettings

from . import liveness
from . import queue as print_queue
from . import states
from .backend_devices import UsbBackend
from .backend_network import SILENCE_GIVE_UP
from .badge import BadgeInfo
from .connections import Backend, PrinterError, PrinterStatus, open_backend
from .escpos_job import build_job, render_preview
from .offload import off_hub

log = logging.getLogger("kiosk.printers")
T = TypeVar("T")

STATUS_EVERY = 10.0    # an idle, working printer is asked how it is this often (paper low, cover...)
PROBE_EVERY = 2.0      # a down printer is asked this often whether it is back
TICK_SAVE_EVERY = 1.0  # during a run of badges, "last printed at" is stored at most this often
IDLE_WAIT = 1.0        # longest sleep between two cheap "anything due?" reads when nothing wakes us
MAX_BACKOFF = 30.0
CLOSE_TIMEOUT = 5.0    # at shutdown, time for a job being sent to finish and be marked printed
MUST_WRITE_RETRY = 0.5  # pause before trying again to settle a job while another process holds the lock
# Failures a status probe sees too (nothing listens, no paper, cover open): a good probe means they
# are over. Any other (the printer took the connection, then stopped reading or hung up) shows until
# a badge prints: a printer that answers a probe while it jams on every badge is not "online".
PROBE_SEES = frozenset({"refused", "unreachable", "not_found", "paper_out", "offline", "missing_tool"})


class Unprintable(Exception):
    """This job must not print (its attendee is gone); it is cancelled, not retried."""


def guest_badge_info(host: Any, event: Any) -> BadgeInfo:
    """A badge for one of a host's guests: "Guest" where the name goes (theirs is not on the
    list), whom they came with (unless the host's own ticket has no name), no QR: it is no ticket."""
    host_badge = badge_info(host, event)
    with_whom = f"with {host['name']}" if host["first_name"] else None
    return BadgeInfo(name="", first_name=GUEST_NAME, company=with_whom, event_name=host_badge.event_name,
                     event_date=host_badge.event_date, ticket_code="", sponsor_line=host_badge.sponsor_line, mark=None)


GUEST_NAME = "Guest"


def badge_info(row: Any, event: Any) -> BadgeInfo:
    """What goes on an attendee's badge, from their row and the event."""
    mark = "WALK-IN" if row["is_walk_in"] else ("SPEAKER" if row["role"] == "speaker" else None)
    sponsors = " & ".join(event.sponsors)
    # A ticket without a name (first_name empty) is listed by its email or order, which is not
    # for a badge worn all evening: it prints without a name, for the wearer to write one.
    return BadgeInfo(name=row["name"] if row["first_name"] else "", first_name=row["first_name"], company=row["company"],
                     event_name=event.name, event_date=event.date_label, ticket_code=row["ticket_code"],
                     sponsor_line=f"Thanks to {sponsors}" if sponsors else None, mark=mark)


def test_badge(event: Any) -> BadgeInfo:
    """The badge `kiosk printer test` prints: every script the door meets, so missing fonts show."""
    return BadgeInfo(name="Zoë Ελένη 王 Nguyễn", first_name="Zoë", company="Printer test", event_name=event.name,
                     event_date=event.date_label, ticket_code="K0-TEST0000-0000000000000",
                     sponsor_line="Test badge", mark="TEST")


def backoff(failures: int) -> float:
    """1, 2, 4, 8 ... seconds, at most 30, between sends a status probe cannot vouch for."""
    return min(2.0 ** max(failures - 1, 0), MAX_BACKOFF)


@dataclass
class PrinterState:
    """What the volunteer console shows of one printer (GET /api/printers, "printer" messages)."""

    name: str
    backend: str
    profile: str
    address: str = ""                 # where it is, as its backend names it ("network 10.0.0.5:9100")
    online: bool | None = None        # None until we have heard from it
    paper: str = "unknown"            # ok | low | out | unknown (only printers answering DLE EOT tell)
    answers_status: bool | None = None  # network printers: it answers status, so its silence is trouble
    detail: str | None = None         # the printer's last status, in one sentence
    last_error: str | None = None     # why it is not printing; cleared once it prints again
    last_printed_at: str | None = None
    busy: bool = False                # a job is being sent right now

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Health:
    """The worker's own bookkeeping for retries (not shown)."""

    down: bool = False
    failures: int = 0                 # sends failed in a row
    retry_at: float = 0.0             # monotonic time before which an unexplained failure is not retried
    saw_unusable: bool = False        # unusable in a way a probe sees (a probe found it, or PROBE_SEES)
    last_status: float = float("-inf")


class Mode(Protocol):
    """Where the workers run: how they hear of new jobs, and who hears of a printer's new state."""

    def wait(self, seen: int, timeout: float) -> int:
        """Block until something may have been queued since mark `seen` (or timeout); returns the new mark."""

    def state_saved(self) -> None:
        """A printer's state row was just written."""


class InWebProcess:
    """Threads in the web process: the door's feed wakes them the moment a job is queued,
    and a new printer state goes out to /ws/live at once."""

    def __init__(self, feed: Any, board: Any) -> None:
        self.feed, self.board = feed, board

    def wait(self, seen: int, timeout: float) -> int:
        return self.feed.wait(seen, timeout)

    def state_saved(self) -> None:
        self.board.publish_changes()


class _Once:
    """A callable that runs `call` until it has succeeded once, and says whether it has."""

    def __init__(self, call: Callable[[], None]) -> None:
        self.call, self.done = call, False

    def __call__(self) -> None:
        if not self.done:
            self.call()
            self.done = True


def _off_hub(backend: Backend, call: Callable[[], T]) -> T:
    """A backend call; a USB one (blocking inside libusb) goes to a real thread under gevent."""
    return off_hub(call) if isinstance(backend, UsbBackend) else call()


def as_stored(backend: Backend, stored: dict[str, Any] | None) -> bool:
    """Tell `backend` it answers status when the print process stored so of it lately (``True``
    then): its silence now is a jam, not a model that never answers (``states.answered_lately``).
    For a print process that starts during a jam, and for `kiosk printer status` and `test`."""
    if hasattr(backend, "known_to_answer") and states.answered_lately(
            stored, getattr(backend, "name", ""), SILENCE_GIVE_UP):
        backend.known_to_answer()
        return True
    return False


class PrinterWorker:
    """Drains the queue for one printer: prints while it can, probes while it cannot."""

    def __init__(self, settings: PrinterSettings, backend: Backend, route: print_queue.Route,
                 pool: "PrinterPool") -> None:
        self.settings, self.backend, self.route, self.pool = settings, backend, route, pool
        self.state = PrinterState(settings.name, settings.backend, settings.profile,
                                  address=getattr(backend, "name", settings.backend))
        self.health = Health()
        self.thread: threading.Thread | None = None
        self._seen = -1
        self._saved_at = float("-inf")
        self._stored: dict[str, Any] | None = None  # the state as last stored for the console (None: not yet)
        self._claimed: Any = None  # the next job, claimed in the transaction that marked the last one printed

    @property
    def name(self) -> str:
        return self.settings.name

    def remember(self, stored: dict[str, Any] | None) -> None:
        """Start from what the last print process stored of this printer (see ``as_stored``)."""
        if as_stored(self.backend, stored):
            self.state.answers_status = True

    def run(self) -> None:
        """The worker's loop, until the pool stops; one bad turn never kills it.

        It beats (liveness.py) at each turn and around each call that may block: under `kiosk
        serve` a worker silent for long is a stuck print process, which the master replaces."""
        liveness.attach(self.pool.workers.index(self))
        while not self.pool.stop.is_set():
            liveness.beat()
            try:
                self.turn()
            except Exception as exc:  # noqa: BLE001 - a bug must not silence a printer for the evening
                if is_busy(exc):  # a full disk, a database file deleted: a line a second, not a traceback
                    log.warning("printer %s: the database cannot be written (%s); trying again", self.name, exc)
                else:
                    log.exception("printer %s: unexpected error", self.name)
                self.pool.stop.wait(IDLE_WAIT)
        if self._claimed is not None:  # stopping: the job claimed for next time goes back in its place
            self.pool.unclaim(self._claimed)
            self._claimed = None

    def turn(self) -> None:
        """Print the next job, or wait: for the printer to come back, or for a job to arrive."""
        if self.health.down:
            self.wait_until_back()
            return
        if self._claimed is None and not self.pool.has_due(self.route):
            self.idle()
            return
        self.print_next()

    def idle(self) -> None:
        """Nothing to print: check the printer now and then, then sleep until the feed changes."""
        self._set(busy=False)  # the end of a run of badges (and of its last "printed at")
        if time.monotonic() - self.health.last_status >= STATUS_EVERY:
            ok, status = self.probe()
            if not ok:
                self.went_down(status.detail, failed_send=False, paper=status.paper, detail=status.detail)
                return
            self.show(status, online=True)
        self._seen = self.pool.mode.wait(self._seen, IDLE_WAIT)

    def print_next(self) -> bool:
        """Claim, print and settle one job; False when another printer took it first."""
        job, self._claimed = self._claimed or self.pool.claim(self.route), None
        if job is None:
            return False
        if not self.backend.draws:  # no printer: drawing a badge nobody sees costs 10-20 ms of CPU
            return self.send(job, b"", None)
        try:
            data, preview = self.pool.render(job, self.settings.profile, self.backend.wants_preview)
        except Unprintable as exc:
            self.pool.settle(job, print_queue.CANCELLED, str(exc))
            return True
        except Exception as exc:  # noqa: BLE001 - a badge that cannot be drawn fails alone
            log.exception("printer %s: job %s cannot be drawn", self.name, job["id"])
            self.pool.settle(job, print_queue.FAILED, f"The badge could not be drawn: {exc}")
            return True
        if self.pool.withdraw(job):  # undone since it was claimed: nothing has gone out yet
            return True
        return self.send(job, data, preview)

    def send(self, job: Any, data: bytes, preview: Any) -> bool:
        """Hand the bytes to the printer; on failure the job goes back and the printer is down.

        The job is marked printed the moment the backend knows the printer has it all
        (``delivered``), else when send() returns: the shorter the time between the printer
        having a badge and our commit, the fewer badges a crash in between prints twice."""
        self._set(busy=True)
        delivered = _Once(lambda: self._printed(job))
        liveness.beat()
        try:
            _off_hub(self.backend, lambda: self.backend.send(data, f"job-{job['id']:06d}", preview=preview,
                                                              delivered=delivered))
        except Exception as exc:  # noqa: BLE001 - PrinterError, or a backend bug: the badge must not be lost
            liveness.beat()
            if delivered.done:  # the printer has the badge; only what came after failed
                log.warning("printer %s: job %s printed, then: %s", self.name, job["id"], exc)
                return self._sent()
            message = str(exc) if isinstance(exc, PrinterError) else f"The printer failed: {exc!r}"
            if not isinstance(exc, PrinterError):
                log.exception("printer %s: unexpected error while sending", self.name)
            self.pool.requeue(job, message)
            reason = getattr(exc, "reason", "")
            shown = {"paper": "out"} if reason == "paper_out" else {}
            self.went_down(message, failed_send=True, detail=message, **shown)
            self.health.saw_unusable = reason in PROBE_SEES
            return False
        liveness.beat()
        delivered()
        return self._sent()

    def _printed(self, job: Any) -> None:
        """Record the job printed and, in the same transaction, claim the next one."""
        self._claimed = self.pool.done(job, then_claim=None if self.pool.stop.is_set() else self.route)

    def _sent(self) -> bool:
        """A badge went out: the printer works."""
        self.health = Health(last_status=self.health.last_status)
        self._set(online=True, last_error=None, last_printed_at=clock.now_iso())  # still busy until idle()
        return True

    def went_down(self, error: str, failed_send: bool, **shown: Any) -> None:
        """Stop taking jobs until the printer is back; a failed send also starts the back-off."""
        health = self.health
        if failed_send:
            health.failures += 1
            health.retry_at = time.monotonic() + backoff(health.failures)
        health.down, health.saw_unusable = True, not failed_send
        self._set(busy=False, online=False, last_error=error, **shown)

    def wait_until_back(self) -> None:
        """Probe the down printer every PROBE_EVERY seconds; resume when sending makes sense again."""
        if self.pool.stop.wait(PROBE_EVERY):
            return
        ok, status = self.probe()
        health = self.health
        if not ok:
            health.saw_unusable = True
            self.show(status, online=False, last_error=status.detail)
        elif health.saw_unusable:  # it was unusable and is back: that error is over
            health.down = False
            self.show(status, online=True, last_error=None)
        else:  # it looks fine, yet the last send failed: again after the back-off; the error stays until a badge prints
            health.down = time.monotonic() < health.retry_at
            self.show(status, online=True)

    def probe(self) -> tuple[bool, PrinterStatus]:
        """Ask the printer how it is (a status query, no paper used); never raises."""
        liveness.beat()
        try:
            status = _off_hub(self.backend, self.backend.status)
            ok = status.online
        except Exception as exc:  # noqa: BLE001 - status() promises not to raise; be sure
            ok, status = False, PrinterStatus(False, "unknown", f"The printer status failed: {exc!r}")
        liveness.beat()
        self.health.last_status = time.monotonic()
        return ok, status

    def show(self, status: PrinterStatus, **changes: Any) -> None:
        """Show what a probe found (and any other changes) as one state change."""
        self._set(paper=status.paper, detail=status.detail, **changes)

    def _set(self, **changes: Any) -> None:
        """Change the shown state; store it (for the console) when it differs from what is stored.

        "Last printed at" alone changes with every badge; during a run of badges it is stored
        at most every TICK_SAVE_EVERY seconds (and when the run ends), so a fast printer does
        not take the database's write lock from the door once more per badge. It is compared
        with what was stored, not with what was shown before: a change the disk could not take
        (full) is stored at the next call once there is room, instead of never."""
        changes.setdefault("answers_status", getattr(self.backend, "answers_status", None))
        for key, value in changes.items():
            setattr(self.state, key, value)
        after, stored = self.state.as_dict(), self._stored
        if after == stored:
            return
        only_ticked = stored is not None and {k for k in after if after[k] != stored[k]} == {"last_printed_at"}
        if only_ticked and time.monotonic() - self._saved_at < TICK_SAVE_EVERY:
            return
        self.store_state()

    def store_state(self) -> None:
        """Store the shown state where the console reads it. A disk that is full (or a lock held
        too long) leaves it unstored, to be stored by the next ``_set``: raised, it used to end the
        turn (the probe's or the send's bookkeeping half done) after the state had changed in
        memory only, and the console showed the old state (online, "Printing") all evening."""
        shown = self.state.as_dict()
        try:
            self.pool.save_state(self)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            log.warning("printer %s: its state cannot be stored (%s); trying again", self.name, exc)
            return
        self._saved_at, self._stored = time.monotonic(), shown


def remove_leftovers(backend: Backend) -> None:
    """Clear what a writer killed mid-badge left where this backend prints (the file printer's
    half-written files), before its worker prints again: the last print process may have been
    killed, or replaced for hanging, in the middle of a badge."""
    remove = getattr(backend, "remove_leftovers", None)
    if remove is None:
        return
    try:
        remove()
    except Exception:  # noqa: BLE001 - tidying up must never keep a printer from printing
        log.exception("could not clear the half-written badges an earlier writer left in %s",
                      getattr(backend, "path", backend))


def open_printer(printer: PrinterSettings, base_dir: Any) -> Backend:
    """The backend of one configured printer (nothing connects yet), its relative paths resolved
    against `base_dir` (the config's folder) and its errors named by its config table."""
    cfg = {**printer.options, "backend": printer.backend, "profile": printer.profile}
    prefix = "printer" if printer.name == "default" else f"printers.{printer.name}"
    return open_backend(cfg, base_dir, prefix=prefix)


class PrinterPool:
    """All printers of the evening, their workers and the queue operations they share."""

    def __init__(self, store: Any, event: Any, printers: tuple[PrinterSettings, ...], base_dir: Any, mode: Mode,
                 stop: threading.Event | None = None) -> None:
        self.store, self.event, self.mode = store, event, mode
        self.stop = stop or threading.Event()
        routes = print_queue.routes({p.name: p.stations for p in printers})
        self.workers = [PrinterWorker(p, open_printer(p, base_dir), routes[p.name], self) for p in printers]

    def start(self) -> "PrinterPool":
        """Queue again what a crash interrupted, drop what waited too long, then start one worker thread per printer."""
        with self.store.write() as db:
            recovered = print_queue.recover_interrupted(db)
            stale = print_queue.cancel_stale(db)
            before = states.load(db)
        if recovered:
            log.warning("%d print job(s) interrupted by a stop are queued again (at-least-once)", recovered)
        if stale:
            log.warning("%d badge(s) queued over %d hours ago are cancelled, not printed", stale,
                        print_queue.STALE_AFTER_SECONDS // 3600)
        for worker in self.workers:
            remove_leftovers(worker.backend)
            worker.remember(before.get(worker.name))
            worker.store_state()  # not heard from yet: replaces what the last run left in printer_states
            worker.thread = threading.Thread(target=worker.run, name=f"printer-{worker.name}", daemon=True)
            worker.thread.start()
        atexit.register(self.close)
        return self

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stop the workers, letting a job being sent finish and be marked printed (no duplicate after a restart)."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            if worker.thread is not None and worker.thread is not threading.current_thread():
                worker.thread.join(max(0.0, deadline - time.monotonic()))

    # -- the queue, for the workers ------------------------------------------
    def has_due(self, route: print_queue.Route) -> bool:
        with self.store.read() as db:
            return print_queue.has_due(db, self.event.id, route)

    def claim(self, route: print_queue.Route) -> Any:
        with self.store.write() as db:
            return print_queue.claim(db, self.event.id, route)

    def done(self, job: Any, then_claim: print_queue.Route | None = None) -> Any:
        """Mark a job printed and, in the same transaction, claim the next one for `then_claim`:
        one write per badge, not two, so a fast printer takes the write lock from the door half as often."""
        def mark(db: Any) -> Any:
            print_queue.mark_printed(db, job["id"])
            return print_queue.claim(db, self.event.id, then_claim) if then_claim is not None else None

        return self._must_write(mark)

    def unclaim(self, job: Any) -> None:
        self._must_write(lambda db: print_queue.unclaim(db, job["id"]))

    def withdraw(self, job: Any) -> bool:
        """Cancel a claimed job whose check-in was undone (or whose guest no longer came) since it was
        claimed, just before its bytes would go out; True when it was. A read first: the write lock
        is taken only for the rare badge that is cancelled."""
        with self.store.read() as db:
            if not print_queue.unwanted(db, job["id"]):
                return False
        withdrawn = self._must_write(lambda db: print_queue.cancel_if_unwanted(db, job["id"], print_queue.PRINTING))
        if withdrawn:
            log.info("print job %s cancelled just before it was sent: no longer wanted", job["id"])
        return bool(withdrawn)

    def requeue(self, job: Any, error: str) -> None:
        self._must_write(lambda db: print_queue.requeue(db, job["id"], error))

    def settle(self, job: Any, status: str, error: str) -> None:
        log.warning("print job %s %s: %s", job["id"], status, error)
        self._must_write(lambda db: print_queue.settle(db, job["id"], status, error))

    def _must_write(self, work: Callable[[Any], T]) -> T:
        """A write that settles a claimed job, tried until it succeeds.

        Another process (a large `kiosk import`) may hold the write lock longer than the
        store waits for it, or the disk may be full. Given up, the job would stay "printing":
        not printed all evening, or printed twice after the next start. The print process has
        nothing better to do than wait."""
        while True:
            try:
                with self.store.write() as db:
                    return work(db)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                log.warning("print queue: the database cannot be written (%s); trying again", exc)
                liveness.beat()  # waiting for the disk or the lock is not a hang
                time.sleep(MUST_WRITE_RETRY)

    def render(self, job: Any, profile: str, with_preview: bool) -> tuple[bytes, Any]:
        """The ESC/POS bytes of a job, and its preview image when the backend stores one."""
        info = self._info(job["attendee_id"], job["reason"]) if job["attendee_id"] else test_badge(self.event)
        return off_hub(lambda: (build_job(info, profile), render_preview(info, profile) if with_preview else None))

    def _info(self, attendee_id: int, reason: str = print_queue.CHECK_IN) -> BadgeInfo:
        """The attendee's badge (or one of their guests'); Unprintable when the row was deleted or
        its name forgotten."""
        with self.store.read() as db:
            row = db.execute("SELECT * FROM attendees WHERE id = ?", [attendee_id]).fetchone()
        if row is None:
            raise Unprintable(f"Attendee {attendee_id} no longer exists.")
        if not row["name"]:
            raise Unprintable(f"The details of attendee {attendee_id} were forgotten.")
        return guest_badge_info(row, self.event) if reason in print_queue.GUEST_BADGE else badge_info(row, self.event)

    def save_state(self, worker: PrinterWorker) -> None:
        """Store a printer's new shown state, where GET /api/printers and /ws/live read it."""
        with self.store.write() as db:
            states.save(db, worker.state.as_dict())
        self.mode.state_saved()


def start_printers(state: Any) -> PrinterPool:
    """In-process mode: open every configured printer and start its worker thread (stopped with the app)."""
    mode = InWebProcess(state.door.feed, state.printers)
    pool = PrinterPool(state.store, state.door.event, state.settings.printers, state.settings.base_dir, mode,
                       stop=state.stop)
    return pool.start()
