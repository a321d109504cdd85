"""`GET /api/export` gives the report while another process holds the database's write lock.

Found in session 23: with `kiosk import` writing a large list beside the server (here a second
process holding `BEGIN IMMEDIATE`), the organiser's download waited 5 s for the lock to write its
audit line and was then answered 503, for the whole import, though the report itself only reads.
It is now given, with `X-Audit-Trail: not recorded (another process was writing the database)`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(90)

HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def test_the_report_is_given_and_its_missing_audit_line_said(empty_server, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAda Lovelace,ada@example.org\n")
    with people.open("rb") as upload:
        assert empty_server.post("/api/imports", files={"file": ("people.csv", upload)}).status_code == 200
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "data" / "kiosk.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        report = empty_server.get("/api/export?format=csv")
    finally:
        holder.communicate("\n", timeout=30)
    assert report.status_code == 200, report.text
    assert "Ada Lovelace" in report.text
    assert report.headers["X-Audit-Trail"] == "not recorded (another process was writing the database)"
    again = empty_server.get("/api/export?format=csv")  # the lock gone: recorded as before
    assert again.status_code == 200 and "X-Audit-Trail" not in again.headers
