"""Last month's badges, left queued when its printer died, never come out of a printer later."""

from __future__ import annotations

import sqlite3

from conftest import run_kiosk, start_in_process, wait_until, write_config

LAST_MONTH = "2026-10-29T19:02:00.000+00:00"


def test_a_badge_queued_last_month_is_cancelled_at_start_and_tonights_print(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    run_kiosk(config, "demo", "--no-serve")
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:  # the evening's printer died a month ago
        stale = db.execute("INSERT INTO print_jobs (event_id, attendee_id, station, reason, status, attempts, "
                           "next_attempt_at, created_at) SELECT event_id, id, 'door-1', 'check-in', 'queued', 0, ?, ? "
                           "FROM attendees ORDER BY id LIMIT 1", [LAST_MONTH, LAST_MONTH]).lastrowid
        db.execute("UPDATE attendees SET checked_in_at = ?, checked_in_station = 'door-1' WHERE id = "
                   "(SELECT attendee_id FROM print_jobs WHERE id = ?)", [LAST_MONTH, stale])
    server = start_in_process(config)  # that evening's config, started again (by mistake, a month later)
    try:
        person = server.people()[5]
        assert server.scan(person["ticket_code"]).status_code == 201

        def status(job_id: int) -> str:
            with server.state.store.read() as db:
                return db.execute("SELECT status FROM print_jobs WHERE id = ?", [job_id]).fetchone()[0]

        with server.state.store.read() as db:
            tonight = db.execute("SELECT id FROM print_jobs WHERE attendee_id = ?", [person["id"]]).fetchone()[0]
        wait_until(lambda: status(tonight) == "printed", what="tonight's badge printed")
        assert status(stale) == "cancelled"
    finally:
        server.stop()
