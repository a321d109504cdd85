"""The ceiling of the stack: a Flask app whose POST /api/checkins only parses the JSON and answers 201.

Served by kiosk.server.run_gunicorn with kiosk.server.gunicorn_options: exactly the
server settings of `kiosk serve` (gunicorn, one gevent worker). bench/checkin.py
starts it as ``.venv/bin/python bench/ceiling_app.py --port N`` and compares the
kiosk with it in the same run.
"""

from __future__ import annotations

import argparse
from typing import Any


def create_app() -> Any:
    """The do-nothing app (built in the gunicorn worker, after gevent has patched)."""
    from flask import Flask, request

    app = Flask(__name__)

    @app.post("/api/checkins")
    def checkin() -> Any:
        """Parse the body like the kiosk does, answer like a new arrival."""
        request.get_json()
        return {"result": "checked_in"}, 201

    return app


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM."""
    from kiosk.server import gunicorn_options, run_gunicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gthread", type=int, default=0, metavar="THREADS",
                        help="reference only: gunicorn's gthread worker with this many threads instead of gevent "
                             "(the stack issue 2 describes its ceiling with)")
    args = parser.parse_args()
    options = gunicorn_options(args.host, args.port)
    if args.gthread:
        options.update(worker_class="gthread", threads=args.gthread)
    run_gunicorn(create_app, options)


if __name__ == "__main__":
    main()
