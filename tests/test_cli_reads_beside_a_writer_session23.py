"""The organiser's read-only commands answer while another process holds the write lock.

Found in session 23: with another process writing the database (a large `kiosk import`, or here
a second process holding `BEGIN IMMEDIATE`), `kiosk attendees`, `kiosk export`, `kiosk tickets`
and `kiosk events` waited SQLite's 5 s and then said "kiosk: the database is busy", exit 1. The
store is in WAL mode, where a read never waits for a writer; what waited were the small writes
made on the way in (the schema's recount and version stamp, the evening's refresh) and the
export's audit line. They now read the last committed state, and the export says on stderr that
its audit line was left out.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from conftest import run_kiosk, write_config

pytestmark = pytest.mark.timeout(90)

HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE attendees SET name = 'Half Written'")  # not committed: no reader may see it
print("held", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAda Lovelace,ada@example.org\nGrace Hopper,grace@example.org\n")
    run_kiosk(config, "import", str(people))
    return config


@pytest.fixture
def write_lock_held(tmp_path: Path, imported: Path) -> Iterator[Path]:
    """Another process (not this one) holding the database's write lock until the test ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "data" / "kiosk.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield imported
    finally:
        holder.communicate("\n", timeout=30)


def test_attendees_lists_the_last_committed_state_while_another_process_writes(write_lock_held):
    result = run_kiosk(write_lock_held, "attendees", "--format", "json", check=False)
    assert result.returncode == 0, result.stderr
    assert "database is busy" not in result.stderr
    assert sorted(row["name"] for row in json.loads(result.stdout)) == ["Ada Lovelace", "Grace Hopper"]
    assert "another process" in result.stderr and "last committed" in result.stderr


def test_export_writes_the_report_and_says_its_audit_line_was_left_out(tmp_path, write_lock_held):
    report = tmp_path / "report.csv"
    result = run_kiosk(write_lock_held, "export", str(report), check=False)
    assert result.returncode == 0, result.stderr
    assert "Ada Lovelace" in report.read_text() and "Half Written" not in report.read_text()
    assert "the audit trail could not record it: another process" in result.stderr, result.stderr
    assert "0 checked in of 2 expected" in result.stdout


def test_events_and_tickets_answer_while_another_process_writes(tmp_path, write_lock_held):
    events = run_kiosk(write_lock_held, "events", check=False)
    assert events.returncode == 0, events.stderr
    assert "2 expected" in events.stdout
    tickets = run_kiosk(write_lock_held, "tickets", str(tmp_path / "tickets"), check=False)
    assert tickets.returncode == 0, tickets.stderr
    assert sorted(p.name for p in (tmp_path / "tickets").glob("*.png")) == ["0001-ada-lovelace.png",
                                                                           "0002-grace-hopper.png"]


def test_the_export_after_the_lock_is_gone_is_in_the_audit_trail(tmp_path, imported):
    """Without a writer beside it, an export still records its line (nothing skipped needlessly)."""
    run_kiosk(imported, "export", str(tmp_path / "report.csv"))

    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "export"


def test_a_write_command_beside_the_lock_still_says_the_database_is_busy(tmp_path, write_lock_held):
    """Only reading commands skip the lock: `token create` must not pretend it wrote."""
    result = run_kiosk(write_lock_held, "token", "create", "--role", "kiosk", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("kiosk: the database is busy"), result.stderr


def test_a_new_evening_not_yet_stored_is_said_so_not_busy_for_5_s(tmp_path, write_lock_held):
    """The config moved on to January, whose first import is what is being written: nothing of
    January is committed to read. Said as that, at once; it said "busy ... for over 5 s", untrue."""
    text = write_lock_held.read_text().replace('name = "', 'name = "January ', 1)
    january = tmp_path / "january.toml"
    january.write_text(text.replace("2026-11-26", "2027-01-21"))
    result = run_kiosk(january, "attendees", check=False)
    assert result.returncode == 1
    assert "(2027-01-21) is not in the database yet: another process" in result.stderr, result.stderr
    assert "for over 5 s" not in result.stderr
