"""The door server's connection limits, and how a trial scales them down.

Why a module of its own: `kiosk serve` sets them from the environment in gunicorn's master
(``from_environment``) before the worker is forked, and the worker (kiosk.door_worker) reads
them from here at the moment it uses them, so a scaled-down trial and the evening run the same code.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("kiosk.server")

# Connections the one worker holds at once: websockets, requests being answered, and those waiting
# for a request head. At most WAITING of them may wait (idle keep-alive, a slow or silent client):
# past that the oldest waiting connection of the address holding the most is closed, so a stranger
# opening thousands of connections and sending nothing never keeps a scan from being read.
CONNECTIONS = 4000
WAITING = 1000
# Websockets (door displays, consoles) may take all but ANSWERING of the rest: past that, the
# oldest socket of the address holding the most is hung up (a display reconnects by itself), so
# thousands of public /ws/headcount sockets opened by one stranger cannot fill the worker either.
ANSWERING = 500
BODY_WAIT = 30.0  # seconds one read of a request body may take (Werkzeug reads 64 KB at a time)
WRITE_WAIT = 30.0  # seconds an answer may wait for its client to read any of it (WriteWait)
DRAIN_MAX = 64 * 1024  # unread body bytes gunicorn may read away itself, 1 KB at a time (_drain)
DRAIN_LIMIT = 64 * 1024 * 1024  # unread body bytes read away at all: past them the connection closes (_drain)
DRAIN_STEP = 64 * 1024  # bytes read away between two turns of the other connections (_drain)
SPARE_FILES = 200  # database, log, listening socket, the print process's pipes
CHUNK_TURN = 64  # chunks of a chunked body decoded between two turns of the other connections (_fair_chunks)
# A display's or a console's websocket hears next to nothing from its client (a pong, a close):
# one that is sent more than this within LISTENER_SECONDS is hung up (FairReads).
LISTENER_BYTES = 16 * 1024
LISTENER_SECONDS = 10.0
LISTEN_ONLY = ("/ws/headcount", "/ws/live")
# The limits above, scaled for a trial: "CONNECTIONS=12 WRITE_WAIT=1" shows with a dozen connections
# and in seconds what the real numbers take thousands of connections and minutes to show (the tests).
LIMITS_ENV = "KIOSK_SERVER_LIMITS"
LIMITS = ("CONNECTIONS", "WAITING", "ANSWERING", "BODY_WAIT", "WRITE_WAIT", "DRAIN_LIMIT")


def from_environment() -> None:
    """Set the limits KIOSK_SERVER_LIMITS names ("NAME=NUMBER ..."); anything else there is ignored,
    with a warning. `kiosk serve` calls this before gunicorn starts, so that the worker has them."""
    for item in os.environ.get(LIMITS_ENV, "").split():
        name, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        if name not in LIMITS or not number > 0:
            log.warning("%s: %r is not NAME=NUMBER above 0, NAME one of %s: ignored",
                        LIMITS_ENV, item, ", ".join(LIMITS))
            continue
        globals()[name] = type(globals()[name])(number)

