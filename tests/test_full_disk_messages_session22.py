"""On a full disk only a kiosk's scan is "kept and sent again"; a volunteer's action says it was not done.

Found by a crash-testing review (session 22): every request the database refused for a full disk
answered "The door's computer has no disk space left: the scan is kept and sent again. Please tell
a volunteer." The volunteer console shows that message on the person's card, so a volunteer who
pressed Reprint, Undo or added a walk-in read that it was kept (it was not: nothing retries
them) and was told to tell a volunteer.
"""

from __future__ import annotations

import pytest

from conftest import start_in_process, write_config
from test_door_failures import fill, tmpfs

pytestmark = pytest.mark.timeout(60)


def test_a_volunteers_action_on_a_full_disk_says_it_was_not_done_and_a_scan_that_it_is_kept(tmp_path):
    with tmpfs(tmp_path / "small", "4m") as disk:
        srv = start_in_process(write_config(disk))
        try:
            srv.seed_demo()
            first, second, third = srv.people()[:3]
            assert srv.scan(first["ticket_code"]).status_code == 201
            filler = fill(disk)

            refused = {
                "reprint": srv.post(f"/api/attendees/{first['id']}/badge", "volunteer", json={}),
                "undo": srv.delete(f"/api/checkins/{first['id']}", "volunteer"),
                "check in": srv.post(f"/api/attendees/{second['id']}/checkin", "volunteer", json={}),
                "walk-in": srv.post("/api/attendees", "volunteer", json={"name": "Wanda Walkin"}),
            }
            for action, answer in refused.items():
                assert answer.status_code == 503, (action, answer.text)
                message = answer.json()["message"]
                assert message.startswith("The door's computer has no disk space left"), (action, message)
                assert "kept" not in message and "nothing was done" in message, (action, message)

            scan = srv.scan(third["ticket_code"], nonce="n-1")
            assert scan.status_code == 503
            assert "no disk space left: the scan is kept and sent again" in scan.json()["message"]
            filler.unlink()
            assert srv.scan(third["ticket_code"], nonce="n-1").status_code == 201
        finally:
            srv.stop()


def test_the_report_is_given_on_a_full_disk_saying_its_audit_line_is_missing(tmp_path):
    """As `kiosk export` does: the organiser got a 503 for the night's report, for want of room for
    the audit line saying they downloaded it."""
    with tmpfs(tmp_path / "small", "4m") as disk:
        srv = start_in_process(write_config(disk))
        try:
            srv.seed_demo()
            first = srv.people()[0]
            assert srv.scan(first["ticket_code"]).status_code == 201
            filler = fill(disk)
            report = srv.get("/api/export")
            assert report.status_code == 200, report.text[:300]
            assert first["name"] in report.text
            assert report.headers["X-Audit-Trail"].startswith("not recorded")
            filler.unlink()
            again = srv.get("/api/export")
            assert again.status_code == 200 and "X-Audit-Trail" not in again.headers
            assert [e["action"] for e in srv.get("/api/audit").json()["audit"]].count("export") == 1
        finally:
            srv.stop()
