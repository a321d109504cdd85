"""The printer_states table: what each printer shows, shared by the print workers and the web.

The workers may run in another process than the web (``kiosk serve``), so what
the console shows of a printer goes through SQLite like everything else: the
workers write a row whenever a printer's shown state changes, and the web reads
the rows for GET /api/printers and the "printer" messages on /ws/live. Both
functions run inside the caller's transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
    """Every stored state, by printer name, with when it was stored (``stored_at``)."""
    rows = db.execute("SELECT name, state, updated_at FROM printer_states")
    return {row["name"]: {**json.loads(row["state"]), "stored_at": row["updated_at"]} for row in rows}


def answered_lately(state: dict[str, Any] | None, address: str, within: float) -> bool:
    """Whether a stored state says the printer at `address` answers status queries, stored at most
    `within` seconds ago: its silence now is a jam, not a model that never answers.

    Why: a print process that starts afresh (a restart, or the master replacing a stuck one) while
    the printer is jammed met silence from the start, took it for a print server that never answers,
    and sent every waiting badge into the jammed printer's buffer, each counted printed and never
    printed. The address must be the same: another printer put in its place starts afresh. A
    state stored before states held the address (an upgrade on the evening) counts as this one's."""
    if not state or not state.get("answers_status") or state.get("address", address) != address:
        return False
    try:
        stored_at = dt.datetime.fromisoformat(state["stored_at"])
    except (KeyError, TypeError, ValueError):
        return False
    return (clock.now() - stored_at).total_seconds() <= within


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
