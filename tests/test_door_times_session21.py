"""What the door says about time is the venue's wall clock (the evening's UTC offset), not the laptop's zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import start_in_process, write_config

KATHMANDU = timezone(timedelta(hours=5, minutes=45))  # no laptop running these tests is set to it


def test_welcome_back_says_the_time_on_the_venues_clock(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("2026-11-26T18:30:00+00:00", "2026-11-26T18:30:00+05:45"),
                      encoding="utf-8")
    server = start_in_process(config)
    try:
        server.seed_demo()
        code = server.people()[0]["ticket_code"]
        first = server.scan(code).json()
        again = server.scan(code).json()
    finally:
        server.stop()
    wall_clock = datetime.fromisoformat(first["checked_in_at"]).astimezone(KATHMANDU).strftime("%H:%M")
    assert again["result"] == "already_checked_in"
    assert again["message"].endswith(f"you checked in at {wall_clock}.")
