"""The print process: `python -m printers.process --config PATH`, started by `kiosk serve`'s master.

Why a process: drawing a badge is 10-20 ms of Pillow and FreeType holding the
GIL. In a thread of the web process that time is taken from the door's requests
and websockets (check-ins fell from ~500/s to ~290/s while printing); in a
process of its own, at a lower priority, the door never waits for it.

It runs the same PrinterPool as the in-process mode (service.py), woken by
``PRAGMA data_version`` instead of the door's feed, and stores each printer's
state in printer_states for the web to show. It holds ``<database>.printing`` and
touches it every second (kiosk/process_locks.py), so the web can say whether it is
running, or there but not answering (stopped). SIGTERM or SIGINT stop it after the
badge being sent; it also stops by itself when the server's master is gone
(even SIGKILLed), so no orphan goes on printing. Its workers' loops, and the thread that
touches the lock file, beat down the pipe ``--liveness-fd`` (liveness.py): a process that
stops beating is killed and replaced by the master (supervisor.py), which then passes
``--replaces-hung``.
"""

from __future__ import annotations

import argparse
import logging
import os
import pickle
import signal
import sys
import threading
import time
from typing import Any

from kiosk import config, events, process_locks
from kiosk.db import Store

from . import liveness
from .service import PrinterPool

log = logging.getLogger("kiosk.printers")
POLL_EVERY = 0.2       # seconds between two looks at data_version: a new badge starts within this
PARENT_EVERY = 0.5     # seconds between two checks that the master is still there
NICENESS = 19          # the lowest: printing may wait a moment, the door may not (bench/RESULTS.md)
START_FAILED_PAUSE = 5.0  # seconds before a print process that cannot start exits (and is started again)
REPLACED_HUNG = ("The print process had stopped moving for {seconds} s (stuck in a printer call, or paused) and "
                 "was replaced at {at}; waiting badges print now (a badge it was sending may print twice).")


class InPrintProcess:
    """The pool's Mode here: the web's commits show as a new data_version; the web reads the states itself."""

    def __init__(self, store: Store, stop: threading.Event) -> None:
        self.store, self.stop = store, stop

    def wait(self, seen: int, timeout: float) -> int:
        """Poll data_version (one cheap pragma) until it differs from `seen`, the timeout passes or we stop."""
        deadline = time.monotonic() + timeout
        version = self.store.data_version()
        while version == seen and time.monotonic() < deadline and not self.stop.wait(POLL_EVERY):
            version = self.store.data_version()
        return version

    def state_saved(self) -> None:
        """Nothing to do: the web's data_version watcher finds the new row within a second."""


def main(argv: list[str] | None = None) -> int:
    """Print until told to stop or until the parent (the server's master) is gone."""
    args = _arguments(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    os.nice(NICENESS)
    liveness.start(args.liveness_fd)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = pickle.load(sys.stdin.buffer) if args.settings_on_stdin else config.load(args.config)
    alive = process_locks.hold(process_locks.printing(settings.database))  # noqa: F841 - the web looks at it
    # The web tells a stopped process from a dead one by it, the master a frozen one (supervisor.py).
    heartbeat = process_locks.Heartbeat(alive, also=liveness.process_beat).start()
    try:
        note = None if args.replaces_hung is None else REPLACED_HUNG.format(
            seconds=args.replaces_hung, at=time.strftime("%H:%M:%S"))
        pool = _start_pool(settings, stop, note)
    except Exception as exc:  # noqa: BLE001 - one line, then a pause: a restart every second would flood the log
        log.error("the print process cannot start: %s", exc)
        heartbeat.stop()
        if alive is not None:
            alive.close()  # the console shows at once that nothing prints
        stop.wait(START_FAILED_PAUSE)
        return 1
    _wait_for_stop(stop, args.parent or os.getppid())
    pool.close()
    return 0


def _start_pool(settings: Any, stop: threading.Event, note: str | None = None) -> PrinterPool:
    """The pool, started; `note` is shown as each printer's error until it prints (why we were restarted)."""
    store = Store(settings.database)
    with store.write() as db:  # the same as the web process does: whoever starts first, tonight is current
        event = events.ensure_current(db, settings.event)
    pool = PrinterPool(store, event, settings.printers, settings.base_dir, InPrintProcess(store, stop), stop=stop)
    for worker in pool.workers:
        worker.state.last_error = note
    return pool.start()


def _wait_for_stop(stop: threading.Event, parent: int) -> None:
    """Until a signal sets `stop`, or our parent is gone (we were re-parented: it cannot stop us any more)."""
    while not stop.wait(PARENT_EVERY):
        if os.getppid() != parent:
            log.warning("the server (pid %s) is gone: the print process stops", parent)
            return


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m printers.process", description=main.__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="the kiosk's config.toml")
    source.add_argument("--settings-on-stdin", action="store_true",
                        help="read the server's own settings, pickled, from stdin (how the server starts it)")
    parser.add_argument("--parent", type=int, default=0, help="pid of the server's master (default: our parent)")
    parser.add_argument("--liveness-fd", type=int, default=None,
                        help="a pipe to the master: each print worker writes a byte as its loop moves, "
                             "the heartbeat thread one a second")
    parser.add_argument("--replaces-hung", type=int, default=None, metavar="SECONDS",
                        help="the master killed a print process silent for SECONDS: say so on the console")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main())
