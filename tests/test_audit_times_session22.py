"""The audit trail's CSV gives times at the venue's clock, as the attendance report does."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import start_in_process
from test_imports_session21 import july_evening_with_ada


def test_the_audit_csv_gives_a_july_evening_its_summer_time(tmp_path: Path) -> None:
    """A London evening in July is on BST: the audit CSV said 17:05+00:00 for an undo the volunteer
    made at 18:05, while the attendance report said 18:05+01:00 for the check-in it undid."""
    server = start_in_process(july_evening_with_ada(tmp_path))
    try:
        person = server.people()[0]
        assert server.post(f"/api/attendees/{person['id']}/checkin", "volunteer").status_code == 201
        rows = list(csv.DictReader(io.StringIO(server.get("/api/audit", params={"format": "csv"}).text)))
        as_json = server.get("/api/audit").json()["audit"]
    finally:
        server.stop()
    assert [r["action"] for r in rows][:2] == ["manual_check_in", "import"]
    assert all(r["at"].endswith("+01:00") for r in rows), [r["at"] for r in rows]
    assert rows[0]["at"][:19] != as_json[0]["at"][:19]  # the same moment, moved from UTC
