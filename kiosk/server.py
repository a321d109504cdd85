"""Running the app with a production server that keeps websockets alive.

gunicorn with the gevent worker and one worker process: every socket lives in the
one process that holds the feed, and an idle websocket costs a greenlet (a few KB)
instead of an OS thread, so 500 door displays and phones fit in well under 100 MB.
Where gunicorn cannot run (Windows) Werkzeug's threaded server is used instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

from .config import Settings

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
    """Serve until interrupted, with HTTPS when the config asks for it."""
    host = host or settings.host
    port = settings.port if port is None else port
    certfile, keyfile = _tls_files(settings)
    if gunicorn_available():
        _serve_gunicorn(settings, host, port, certfile, keyfile)
    else:
        _serve_werkzeug(settings, host, port, certfile, keyfile)


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
        "workers": 1, "worker_class": "gevent", "worker_connections": 2000,
        "timeout": 120, "graceful_timeout": 5, "keepalive": 75,
        "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "certfile": certfile, "keyfile": keyfile,
    }
    return {key: value for key, value in options.items() if value is not None}


def run_gunicorn(app_factory: Callable[[], Any], options: dict[str, Any]) -> None:
    """Run gunicorn in this process; the app is built in the worker, after gevent has patched."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app_factory()

    Server().run()


def _serve_gunicorn(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from . import create_app

    run_gunicorn(lambda: create_app(settings), gunicorn_options(host, port, certfile, keyfile))


def _serve_werkzeug(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from werkzeug.serving import run_simple

    from . import create_app

    ssl_context = (certfile, keyfile) if certfile else None
    run_simple(host, port, create_app(settings), threaded=True, ssl_context=ssl_context, use_reloader=False)

