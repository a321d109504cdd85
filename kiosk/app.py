"""create_app(): config, store, the door, blueprints and the background workers."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.routing import IntegerConverter, Map

from printers import queue as print_queue

from . import auth, checkin, config, process_locks, tickets
from .api import JSON_PATHS
from .config import Settings
from .db import Store
from .door import Door
from .fast_scan import FastScan
from .importers.reading import MAX_FILE_BYTES
from .request_bodies import KioskRequest, readable_bodies
from .signouts import SignedOut

# The largest body (an uploaded list): a list as large as the importer reads, plus room for the
# multipart headers and the form's other fields, so a list near the limit gets the importer's answer.
MAX_UPLOAD_BYTES = MAX_FILE_BYTES + 64 * 1024

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SESSION_LIFETIME = dt.timedelta(hours=16)  # a browser's sign-in: one evening, doors to clean-up
log = logging.getLogger("kiosk")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once instead of on every request
    (a scanner script's check-in, which carries no cookie, paid for it too)."""

    def get_signing_serializer(self, app: Flask) -> Any:
        cached = getattr(self, "_signer", None)
        if cached is None or cached[0] != app.secret_key:
            cached = self._signer = (app.secret_key, super().get_signing_serializer(app))
        return cached[1]

    def ends_at(self, app: Flask, request: Any) -> float | None:
        """When the request's session cookie stops being a sign-in (epoch seconds; None without
        one). Flask checks a cookie's age only when a request arrives: a websocket opened with it
        stays open past that, and a console's live feed went on carrying names after its
        sign-in had ended, while every request of the page was refused."""
        cookie = request.cookies.get(self.get_cookie_name(app))
        try:
            _data, signed = self.get_signing_serializer(app).loads(
                cookie, max_age=int(app.permanent_session_lifetime.total_seconds()), return_timestamp=True)
        except (BadSignature, TypeError):
            return None
        return signed.timestamp() + app.permanent_session_lifetime.total_seconds()


class RowId(IntegerConverter):
    """``<int:...>`` in every route: an id SQLite can hold. A larger number is no row (404), where
    Werkzeug's own converter would pass it on and SQLite would fail with an overflow (500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**63 - 1,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Paths(Map):
    """Werkzeug's URL map, without the redirect of a path with doubled slashes.

    Werkzeug answered `POST /api//checkins` with an HTML 308 to `/api/checkins`: a script that
    built its URL wrong was sent elsewhere, where an HTTP client may follow with another method or
    none, and `POST /api/attendees//1` was a 405 as if the path were right. A path that is no
    route's is a 404 (in JSON under JSON_PATHS, api._http_error), however close to one it is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["merge_slashes"] = False
        super().__init__(*args, **kwargs)


class KioskFlask(Flask):
    """Flask with Paths and KioskRequest, and without the automatic OPTIONS answer under JSON_PATHS.

    Flask gives every route an OPTIONS answer of its own: a 200 with an empty HTML body, meant
    for a CORS preflight. The API and the sockets are same-origin only (the pages' fetch() calls
    never preflight) and answer JSON, so there OPTIONS is a wrong method like PUT: a 405 in JSON
    with the route's Allow header (api._http_error). Pages keep Flask's behaviour."""

    request_class = KioskRequest
    url_map_class = Paths

    def add_url_rule(self, rule: str, endpoint: str | None = None, view_func: Any = None,
                     provide_automatic_options: bool | None = None, **options: Any) -> None:
        if rule.startswith(JSON_PATHS):
            provide_automatic_options = False
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


@dataclass
class KioskState:
    """Everything a request needs, hung on ``app.extensions["kiosk"]``."""

    settings: Settings
    store: Store
    door: Door
    master: bytes
    login_limiter: auth.LoginLimiter
    token_cache: auth.TokenCache = field(default_factory=auth.TokenCache)
    ended_sessions: SignedOut | None = None  # browser sessions signed out (kiosk.signouts), refused everywhere
    printers: Any = None              # printers.board.PrinterBoard: what volunteers see, in every mode
    print_pool: Any = None            # printers.service.PrinterPool, when the print workers are threads here
    stop: threading.Event = field(default_factory=threading.Event)


def create_app(settings: Settings | str | os.PathLike | None = None, start_workers: bool = True,
               print_threads: bool = True) -> Flask:
    """The only way an app is made: from Settings or a config path (default: KIOSK_CONFIG / config.toml).

    `print_threads=False` when a print process of its own drains the queue (`kiosk serve`): this
    process then only shows the printers' states, read from the database.
    """
    from printers.board import PrinterBoard

    if not isinstance(settings, Settings):
        settings = config.load(settings)
    _configure_logging()
    app = KioskFlask(__name__, template_folder=str(WEB_DIR / "templates"), static_folder=str(WEB_DIR / "static"),
                     static_url_path="/static")
    master = tickets.load_or_create_secret(settings.secret, settings.secret_file)
    session_key = tickets.derive_key(master, "flask-session")
    # Windows serves with Werkzeug's threads (no hub to keep free) and its fsync needs a writable handle.
    store = Store(settings.database, background_sync=not sys.platform.startswith("win"))
    try:
        door = Door.open(store, settings.event, master,
                         checkin.Limits(settings.max_failed_scans, settings.failed_scan_window))
        door.printer_routes = print_queue.routes({p.name: p.stations for p in settings.printers})
        with store.write() as db:  # a PIN changed for a leak: the phones paired with the old one stop too
            auth.revoke_made_with_old_pins(db, session_key, settings.pins)
        state = KioskState(settings=settings, store=store, door=door, master=master, login_limiter=auth.LoginLimiter(),
                           ended_sessions=SignedOut(store, SESSION_LIFETIME),
                           printers=PrinterBoard(store, door.event, settings.printers, door.feed,
                                                 None if print_threads else process_locks.printing(settings.database)))
    except BaseException:
        store.close()  # its checkpoint thread and connections
        raise
    app.extensions["kiosk"] = state
    app.url_map.converters["int"] = RowId
    app.session_interface = SessionCookies()
    app.config.update(
        SECRET_KEY=session_key,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="kiosk_session", PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # Only a change to the session sends the cookie: a page's request still in flight when its
        # volunteer logs out must not answer with the old session and sign the phone back in.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES, JSON_SORT_KEYS=False,
        SOCK_SERVER_OPTIONS={"ping_interval": 20, "max_message_size": 2 * 1024 * 1024},
    )
    _register_blueprints(app)
    app.wsgi_app = FastScan(app.wsgi_app, state, app.json)  # plain bearer-token scans skip Flask's machinery
    app.wsgi_app = readable_bodies(app.wsgi_app)  # a broken chunked body is a 400 under gunicorn too
    if start_workers:
        _start_workers(state, print_threads)
    return app


def _register_blueprints(app: Flask) -> None:
    from . import api, live, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(live.bp)
    live.sock.init_app(app)


def _start_workers(state: KioskState, print_threads: bool) -> None:
    """The watcher of other processes' commits, and the print workers unless a print process runs them."""
    threading.Thread(target=_watch_other_processes, args=(state,), name="data-version", daemon=True).start()
    if print_threads:
        from printers.service import start_printers

        state.print_pool = start_printers(state)


def _watch_other_processes(state: KioskState, interval: float = 1.0) -> None:
    """`kiosk import` and the print process commit to the same file: show what they changed within a second."""
    last = state.store.data_version()
    state.printers.publish_changes()  # what the print process stored before we looked
    while not state.stop.wait(interval):
        try:
            version = state.store.data_version()
            if version != last:
                last = version
                state.door.external_change()
            state.printers.publish_changes()  # also when nothing was written: the print process may have stopped
        except Exception:  # a closed store at shutdown; the next loop ends
            continue


def _configure_logging() -> None:
    """Once, in the factory. The root stays at WARNING: python-escpos logs every printer
    connection at INFO on the root logger, which would bury the door's own messages."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kiosk").setLevel(logging.INFO)
