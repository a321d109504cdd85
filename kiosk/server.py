"""Running the app with a production server that keeps websockets alive.

gunicorn with the gevent worker and one worker process: every socket lives in the
one process that holds the feed, and an idle websocket costs a greenlet (a few KB)
instead of an OS thread, so 500 door displays and phones fit in well under 100 MB.
Where gunicorn cannot run (Windows) Werkzeug's threaded server is used instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

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


def serve(settings: Settings, host: str | None = None, port: int | None = None, threads: int | None = None) -> None:
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


def _serve_gunicorn(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from gunicorn.app.base import BaseApplication

    class KioskServer(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": 1, "worker_class": "gevent", "worker_connections": 2000,
                "timeout": 120, "graceful_timeout": 5, "keepalive": 75,
                "accesslog": None, "errorlog": "-", "loglevel": "warning",
                "certfile": certfile, "keyfile": keyfile,
            }
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            # Built here, in the worker after gevent has patched threading and sockets.
            from . import create_app

            return create_app(settings)

    KioskServer().run()


def _serve_werkzeug(settings: Settings, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    from werkzeug.serving import run_simple

    from . import create_app

    ssl_context = (certfile, keyfile) if certfile else None
    run_simple(host, port, create_app(settings), threaded=True, ssl_context=ssl_context, use_reloader=False)

