"""Running the app with a production server that keeps websockets alive.

gunicorn with the gevent worker and one worker process: every socket lives in the
one process that holds the feed, and an idle websocket costs a greenlet (a few KB)
instead of an OS thread, so 500 door displays and phones fit in well under 100 MB.
Badges print from a process of their own (printers/process.py), which gunicorn's
master starts, restarts and stops beside the worker: drawing a badge holds the
GIL, and in the worker it would take that time from the door.
Where gunicorn cannot run (Windows) Werkzeug's threaded server is used instead,
with the print workers as threads of its one process.

The worker is kiosk.door_worker.DoorWorker: gunicorn's gevent worker with limits on
connections that say or read nothing (the venue's Wi-Fi is shared with strangers) and
JSON refusals; the limits are in kiosk.server_limits.
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
import sys
import time
from typing import Any, Callable

from printers.supervisor import PrintProcess

from . import server_limits as limits
from .config import Settings
from .process_locks import STARTUP_WAIT, retry_for

log = logging.getLogger("kiosk.server")


def gunicorn_available() -> bool:
    if sys.platform.startswith("win"):
        return False
    try:
        import gevent  # noqa: F401
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted, with HTTPS when the config asks for it.

    The caller holds the database's serving lock (process_locks.hold_serving) for as long as
    this runs: one server per database, checked before anything is printed or seeded."""
    host = host or settings.host
    port = settings.port if port is None else port
    certfile, keyfile = _tls_files(settings)
    if gunicorn_available():
        _serve_gunicorn(settings, host, port, certfile, keyfile)
    else:
        _serve_werkzeug(settings, host, port, certfile, keyfile)


class CannotListen(Exception):
    """The address to serve on cannot be taken; the message is the one line to show. `in_use`: the
    port is taken (else the host is wrong: it does not resolve, or is no address of this machine)."""

    def __init__(self, message: str, in_use: bool) -> None:
        super().__init__(message)
        self.in_use = in_use


def check_address(host: str, port: int, wait: float = STARTUP_WAIT) -> None:
    """Bind the address once, the way gunicorn will (SO_REUSEADDR), and let it go again.

    gunicorn meets a port in use by retrying five times over five seconds and logging eleven
    lines; this waits as long, quietly (the worker of a server killed a moment ago may still
    hold the port), then says it in one line, before anything starts."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        retry_for(wait, lambda: _bind_once(host, port), lambda exc: getattr(exc, "errno", None) == errno.EADDRINUSE)
    except OSError as exc:  # also socket.gaierror: a host name that does not resolve
        in_use = exc.errno == errno.EADDRINUSE
        reason = "address already in use" if in_use else (exc.strerror or str(exc))
        raise CannotListen(f"cannot listen on {shown}: {reason}", in_use) from None


def _bind_once(host: str, port: int) -> None:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def _tls_files(settings: Settings) -> tuple[str | None, str | None]:
    if not settings.https:
        return None, None
    from .tls import ensure_certificate

    cert, key = ensure_certificate(settings)
    return str(cert), str(key)


def gunicorn_options(host: str, port: int, certfile: str | None = None, keyfile: str | None = None) -> dict[str, Any]:
    """The production server settings (bench/ uses the same ones for its ceiling measurement)."""
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": 1, "worker_class": door_worker, "worker_connections": limits.CONNECTIONS,
        "timeout": 120, "graceful_timeout": 5, "keepalive": 75,
        "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "certfile": certfile, "keyfile": keyfile, "worker_exit": _close_logging,
        # A file (a script, a stylesheet) is written like any other answer, under WriteWait's deadline;
        # nothing is lost, as gevent's socket.sendfile() is a loop of send() too, not the kernel's sendfile.
        "sendfile": False,
    }
    if certfile:  # the TLS handshake happens in the worker's handle(), under the same deadline as a request head
        options.update(do_handshake_on_connect=False, ssl_context=_handshake_in_worker)
    return {key: value for key, value in options.items() if value is not None}


def _handshake_in_worker(config: Any, default_factory: Callable[[], Any]) -> Any:
    """gunicorn's ssl_context hook: gevent's server then leaves the TLS handshake to the worker,
    which does it under a deadline (a client that connects and says nothing held its greenlet forever)."""
    import functools

    context = default_factory()
    context.wrap_socket = functools.partial(context.wrap_socket, do_handshake_on_connect=False)
    return context


def door_worker() -> type:
    """gunicorn's worker class, kiosk.door_worker.DoorWorker. gunicorn calls a function given as
    worker_class and uses the class it returns; imported on first use, as it imports gevent, which
    only the gunicorn path needs."""
    from .door_worker import DoorWorker

    return DoorWorker


def _close_logging(server: Any, worker: Any) -> None:
    """The worker is done: close its log handlers now, while gevent still works.

    Left to the interpreter's teardown, a handler's weakref callback takes logging's lock
    through gevent's already dismantled thread module, and every stop of the server ended
    with a traceback on the organiser's terminal."""
    logging.shutdown()
    logging._handlerList.clear()  # the weakrefs whose callbacks would run during teardown


def run_gunicorn(app_factory: Callable[[], Any], options: dict[str, Any],
                 companion: PrintProcess | None = None) -> None:
    """Run gunicorn in this process; the app is built in the worker, after gevent has patched.
    `companion` is a child process the master keeps beside the worker (kiosk serve: the print process)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app_factory()

        def run(self) -> None:
            if companion is None:
                return super().run()
            try:
                _master_with(companion)(self).run()
            except RuntimeError as exc:  # as BaseApplication.run: a bad setting, in one line
                sys.exit(f"Error: {exc}")

    Server().run()


def _master_with(companion: PrintProcess) -> type:
    """gunicorn's master, also minding `companion`: started, and started again within a second of
    dying, as the master's loop turns; told to stop together with the worker, not after it."""
    from gunicorn.arbiter import Arbiter

    class Master(Arbiter):
        def manage_workers(self) -> None:
            super().manage_workers()
            companion.keep_alive()

        def stop(self, graceful: bool = True) -> None:
            companion.terminate()  # in parallel with the worker's own graceful stop
            super().stop(graceful)
            companion.wait()

    return Master


def _serve_gunicorn(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from . import create_app

    def build() -> Any:
        app = built_once_the_database_writes(lambda: create_app(settings, print_threads=False))
        _quiet_garbage_collector()
        return app

    limits.from_environment()
    allow_open_files(limits.CONNECTIONS + limits.SPARE_FILES)
    run_gunicorn(build, gunicorn_options(host, port, certfile, keyfile), companion=PrintProcess(settings))


BOOT_RETRY_SECONDS = 5.0


def built_once_the_database_writes(build: Callable[[], Any], wait: float = BOOT_RETRY_SECONDS) -> Any:
    """`build()`, tried again every `wait` seconds while the database cannot be written (a full disk,
    or another process holding the lock past the store's wait).

    Why: opening the store writes (the headcount recount, tonight's event), and a worker that raises
    while gunicorn loads it makes gunicorn stop the whole server ("Worker failed to boot"). A worker
    restarted while the disk was full then left the door with no server at all, even once a
    volunteer had freed some space. Waiting, the door answers again as soon as the disk allows."""
    from .db import is_busy

    while True:
        try:
            return build()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            log.error("cannot write the database (%s): trying again in %.0f s", exc, wait)
        time.sleep(wait)


def allow_open_files(wanted: int) -> None:
    """Raise this process's limit of open files (inherited by the worker) towards `wanted`.

    Every connection is a file: at a soft limit of 256 (macOS) or 1024 (most Linux desktops) the
    worker could not accept its 1,025th connection however many greenlets it had. The hard limit
    is as far as an unprivileged process may go; short of `wanted`, say so once."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        log.warning("this system allows %d open files; the server can hold about %d connections", soft,
                    max(0, soft - limits.SPARE_FILES))


def _quiet_garbage_collector() -> None:
    """Move everything built at start-up out of the collector's sight and collect young objects
    less often: a full collection over the app's objects in the middle of a scan is a pause the
    person at the door waits through."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def _serve_werkzeug(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from werkzeug.serving import run_simple

    from . import create_app

    ssl_context = (certfile, keyfile) if certfile else None
    run_simple(host, port, create_app(settings), threaded=True, ssl_context=ssl_context, use_reloader=False)

