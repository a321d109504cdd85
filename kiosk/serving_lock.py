"""One server per database file.

A second `kiosk serve` on the same file would start a second print process on the
same queue: it would take the job the first one is printing for an interrupted one
and print it again, and the two would overwrite each other's printer states. So a
server holds an exclusive lock on ``<database>.serving`` for as long as it runs;
the kernel drops it when the process ends, however it ends (kill -9 included).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import click

try:
    import fcntl
except ImportError:  # Windows: no flock; Werkzeug serves there and the check is skipped
    fcntl = None  # type: ignore[assignment]


class AlreadyServing(click.ClickException):
    """Another server runs on this database: one clear line, exit status 2."""

    exit_code = 2


def hold(database: Path) -> IO[str] | None:
    """Take the database's serving lock, or raise AlreadyServing naming the other server's pid.

    Keep the returned file open for as long as the server runs: closing it releases the lock."""
    if fcntl is None:
        return None
    handle = open(database.with_name(database.name + ".serving"), "a+", encoding="ascii")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyServing(f"another `kiosk serve` (pid {pid}) is already serving {database}: stop it first, "
                             "or give this one a database of its own ([storage] database)") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
