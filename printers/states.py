"""The printer_states table: what each printer shows, shared by the print workers and the web.

The workers may run in another process than the web (``kiosk serve``), so what
the console shows of a printer goes through SQLite like everything else: the
workers write a row whenever a printer's shown state changes, and the web reads
the rows for GET /api/printers and the "printer" messages on /ws/live. Both
functions run inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk import clock


def save(db: sqlite_utils.Database, state: dict[str, Any]) -> None:
    """Store one printer's shown state (a PrinterState as a dict), replacing the last one."""
    db.execute("INSERT INTO printer_states (name, state, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
               [state["name"], json.dumps(state), clock.now_iso()])


def load(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every stored state, by printer name."""
    return {row["name"]: json.loads(row["state"]) for row in db.execute("SELECT name, state FROM printer_states")}


def stored(database: Path) -> dict[str, dict[str, Any]]:
    """What the print workers last stored of each printer, and when (``stored_at``), read without
    changing anything (no database made, no schema touched); {} when there is none yet. For
    `kiosk printer status`."""
    if not Path(database).is_file():
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT name, state, updated_at FROM printer_states").fetchall()
    except sqlite3.Error:  # no table yet, or not our database: nothing is known
        return {}
    return {name: {**json.loads(state), "stored_at": at} for name, state, at in rows}
