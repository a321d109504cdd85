"""The badge queue stays cheap to read however long it grows (a jammed printer, a big evening).

A printer's claim ran inside the print process's write transaction and sorted every queued badge
of the evening to find the oldest: 7.5 ms for 18,000 waiting badges, during which no scan at the
door could write. The console's counts read every queued row each second. Both now come from the
queue's own index, in its order; these tests read SQLite's plan for the statements the queue
really runs, and check that the answers stay the same.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

import sqlite_utils

from kiosk.db import create_schema
from printers import queue as print_queue
from printers.queue import PRINTED, QUEUED, Route

SOLO = Route("p", (), ())
TIED = Route("p", ("door-1",), ("door-2",))


def evening(tmp_path: Path, waiting: int = 3000, printed: int = 500) -> sqlite_utils.Database:
    """A database whose evening 1 has `printed` badges printed and `waiting` queued, evening 2 as many again."""
    db = sqlite_utils.Database(tmp_path / "kiosk.db")
    db.conn.row_factory = sqlite3.Row  # as the store's connections read them
    create_schema(db)
    rows = [(event, n, f"door-{n % 3}", PRINTED if n < printed else QUEUED, "p" if n < printed else None,
             f"2026-10-29T18:{n // 100 % 60:02d}:00.{n % 1000:03d}+00:00")
            for n in range(printed + waiting) for event in (1, 2)]
    db.conn.executemany("INSERT INTO print_jobs (event_id, attendee_id, station, reason, status, printer, attempts, "
                        "next_attempt_at, created_at) VALUES (?, ?, ?, 'check_in', ?, ?, 0, ?, ?)",
                        [(*row[:5], row[5], row[5]) for row in rows])
    db.conn.commit()
    return db


def plans(db: sqlite_utils.Database, read: Callable[[], object]) -> dict[str, str]:
    """SQLite's query plan of each SELECT on print_jobs that `read()` runs, keyed by the statement."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        read()
    finally:
        db.conn.set_trace_callback(None)
    return {sql: " / ".join(row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql))
            for sql in statements if sql.startswith("SELECT") and "FROM print_jobs" in sql}


def test_a_printer_takes_the_oldest_badge_by_walking_the_queue_not_sorting_it(tmp_path: Path) -> None:
    db = evening(tmp_path)
    with db.conn:
        shown = plans(db, lambda: print_queue.claim(db, 1, SOLO))
    [(sql, plan)] = [(sql, plan) for sql, plan in shown.items() if "LIMIT 1" in sql]
    assert "INDEX print_jobs_queue" in plan and "TEMP B-TREE" not in plan, (sql, plan)
    oldest = db.execute("SELECT min(id) FROM print_jobs WHERE status = ? AND event_id = 1", [QUEUED]).fetchone()[0]
    with db.conn:
        job = print_queue.claim(db, 1, SOLO)
    assert job["id"] == oldest  # the oldest still queued (the claim above took the one before it)
    assert (job["event_id"], job["status"], job["printer"]) == (1, "printing", "p")


def test_the_console_counts_the_queue_from_its_index(tmp_path: Path) -> None:
    db = evening(tmp_path)
    for route in (SOLO, TIED):
        shown = plans(db, lambda: print_queue.counts(db, 1, route))
        counting = [plan for sql, plan in shown.items() if "count(*)" in sql]
        assert counting and all("COVERING INDEX print_jobs_queue" in plan for plan in counting), shown


def test_the_counts_are_those_of_the_rows(tmp_path: Path) -> None:
    db = evening(tmp_path, waiting=300, printed=50)
    for route in (SOLO, TIED):
        where, params = route.where()
        queued = db.execute(f"SELECT count(*), min(created_at) FROM print_jobs WHERE status = ? AND event_id = 1 "
                            f"AND {where}", [QUEUED, *params]).fetchone()
        counts = print_queue.counts(db, 1, route)
        assert (counts["queued"], counts["oldest_queued_at"]) == tuple(queued)
        assert counts["printed"] == 50 and counts["printing"] == 0
    db.execute("UPDATE print_jobs SET status = ?", [PRINTED])
    assert print_queue.counts(db, 1, SOLO)["oldest_queued_at"] is None


def test_a_database_from_before_gets_the_queue_index(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    made = sqlite_utils.Database(path)
    create_schema(made)
    made.execute("DROP INDEX print_jobs_queue")
    made.execute("CREATE INDEX print_jobs_pending ON print_jobs(status, next_attempt_at)")
    made.conn.commit()
    made.conn.close()
    create_schema(sqlite_utils.Database(path))
    indexes = {row[0] for row in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'print_jobs'")}
    assert "print_jobs_queue" in indexes and "print_jobs_pending" not in indexes
