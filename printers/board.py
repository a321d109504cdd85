"""The printers as volunteers see them, in either mode: state, queue and badge preview.

The print workers may run in a process of their own (``kiosk serve``), so the
web never asks them: it reads what they stored in ``printer_states``. GET
/api/printers is the same in both modes, and a state that changed in the table
becomes a "printer" message on /ws/live: right after the save when the workers
are threads of the web process, from the web's data_version watcher (within a
second) when a print process wrote it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk import clock, process_locks
from kiosk.config import PrinterSettings

from . import queue as print_queue
from . import states
from .escpos_job import render_preview
from .offload import off_hub
from .service import PrinterState, badge_info, guest_badge_info
from .supervisor import FROZEN_AFTER


PRINT_PROCESS_DOWN = ("The print process is not running, so no badge prints: the server starts it again "
                      "within seconds (its log says why it stopped). Badges wait in the queue meanwhile.")
PRINT_PROCESS_SILENT = ("The print process is not answering (since {since}), so no badge prints: the server "
                        f"replaces it once it has been silent for {FROZEN_AFTER:.0f} s. "
                        "Badges wait in the queue meanwhile.")
RUNNING, NOT_ANSWERING, NOT_RUNNING = "running", "not_answering", "not_running"  # "print_process" in the API
STALLED_AFTER = 15.0  # seconds a badge may wait behind a printer shown ready before the console says so
PRINT_STALLED = ("Badges are waiting, yet none has printed for {seconds:.0f} s although the printer looks ready: "
                 "the print process may be stuck. The server replaces a stuck print process by itself "
                 "(within a minute with the usual printer timeouts); no badge is lost.")


@dataclass(frozen=True)
class PrintProcessShown:
    """How the print process is, as every printer's card shows it.

    `state`: RUNNING, NOT_ANSWERING (it exists and holds its lock, but its heartbeat stopped:
    SIGSTOPped, frozen, swapped out) or NOT_RUNNING (gone, or it cannot start); None when the
    print workers are threads of the web process. `error`: what the cards say instead of the
    printers' own last error while it is not running or not answering."""

    state: str | None
    error: str | None = None


class PrinterBoard:
    """What GET /api/printers, badge.png and the "printer" messages show; no printer is touched."""

    def __init__(self, store: Any, event: Any, printers: tuple[PrinterSettings, ...], feed: Any,
                 print_process: Path | None = None) -> None:
        """`print_process`: the lock a separate print process holds while it runs (``kiosk serve``);
        None when the print workers are threads of this process."""
        self.store, self.event, self.feed = store, event, feed
        self.print_process = print_process
        self.printers = {p.name: p for p in printers}
        self.routes = print_queue.routes({p.name: p.stations for p in printers})
        self._sent: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def describe(self) -> list[dict[str, Any]]:
        """Every configured printer, in config order."""
        process = self._print_process()
        with self.store.read() as db:
            shown = self._shown(db, process)
            return [self._describe(db, name, shown.get(name) or self._unheard(name, process))
                    for name in self.printers]

    def publish_changes(self) -> None:
        """A "printer" message for each printer whose shown state differs from the last one sent
        (called every second: a print process that stopped, or stalled, changes no row, yet must show)."""
        process = self._print_process()
        with self._lock, self.store.read() as db:
            for name, state in self._shown(db, process).items():
                if name not in self.printers:
                    continue
                described = self._describe(db, name, state)
                shown = {key: described[key] for key in state}  # the state, not its queue counts
                if shown != self._sent.get(name):
                    self._sent[name] = shown
                    self.feed.publish("printer", described)

    def _print_process(self) -> PrintProcessShown:
        """Whether the print process runs, is there but not answering, or is not running: a stopped
        process keeps its lock, and was shown as a working one (or, once badges waited, as a stuck
        printer) until the server replaced it a minute later."""
        if self.print_process is None:
            return PrintProcessShown(None)
        if not process_locks.is_held(self.print_process):
            return PrintProcessShown(NOT_RUNNING, PRINT_PROCESS_DOWN)
        since = process_locks.silent_since(self.print_process)
        if since is None:
            return PrintProcessShown(RUNNING)
        return PrintProcessShown(NOT_ANSWERING, PRINT_PROCESS_SILENT.format(since=_clock_time(since)))

    def _shown(self, db: sqlite_utils.Database, process: PrintProcessShown) -> dict[str, dict[str, Any]]:
        """The stored states, with how the print process is; each marked offline, with why, while
        the print process that writes them is not running or not answering."""
        stored = states.load(db)
        if process.error is None:
            return {name: {**state, "print_process": process.state} for name, state in stored.items()}
        return {name: {**(stored.get(name) or self._unheard(name, process)),
                       "online": False, "busy": False, "last_error": process.error, "print_process": process.state}
                for name in self.printers}

    def _unheard(self, name: str, process: PrintProcessShown) -> dict[str, Any]:
        """A printer's state before its worker stored one."""
        printer = self.printers[name]
        return {**PrinterState(name, printer.backend, printer.profile).as_dict(), "print_process": process.state}

    def preview(self, attendee_id: int, printer: str | None = None, guest: bool = False) -> Any:
        """The badge image exactly as the named (or first) printer will print it (with `guest`: the
        badge each of the person's guests gets), drawn off the gevent hub."""
        settings = self.printers.get(printer or "") or next(iter(self.printers.values()))
        with self.store.read() as db:
            row = db.execute("SELECT * FROM attendees WHERE id = ? AND event_id = ?",
                             [attendee_id, self.event.id]).fetchone()
        if row is None:
            return None
        info = guest_badge_info(row, self.event) if guest else badge_info(row, self.event)
        return off_hub(lambda: render_preview(info, settings.profile))

    def _describe(self, db: sqlite_utils.Database, name: str, shown: dict[str, Any]) -> dict[str, Any]:
        """One printer's shown state, its stations and its queue."""
        counts = print_queue.counts(db, self.event.id, self.routes[name])
        return {**shown, **_stalled(shown, counts), "stations": list(self.printers[name].stations), "queue": counts}


def _clock_time(epoch: float) -> str:
    """A moment as the machine's wall clock shows it, to the second ("19:42:05")."""
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def _stalled(shown: dict[str, Any], counts: dict[str, Any]) -> dict[str, Any]:
    """What to change in a printer shown ready (no error) while its badges wait and none has printed
    for STALLED_AFTER seconds: it is not printing, whatever its last stored state says. A print
    process that hangs (stopped, swapped out, a call that never returns) writes no new state, and
    would otherwise look "online" to the volunteers while the queue grows.

    The wait counts from the later of the oldest badge and the state's own store (``stored_at``):
    a printer that has just come back (switched on again, paper in, its cable plugged back) stored
    that change a moment ago, and was called stuck while it took the first of the badges that had
    waited out its outage, for as long as that badge took (seconds on a serial line)."""
    if shown.get("online") is False or shown.get("last_error") or not counts["queued"]:
        return {}
    cutoff = clock.iso_ago(STALLED_AFTER)
    last_printed, stored_at = shown.get("last_printed_at"), shown.get("stored_at")
    if counts["oldest_queued_at"] >= cutoff or (last_printed is not None and last_printed >= cutoff) \
            or (stored_at is not None and stored_at >= cutoff):
        return {}
    return {"online": False, "busy": False, "last_error": PRINT_STALLED.format(seconds=STALLED_AFTER)}
