"""After the evening, the list and the report are read from a database whose disk is full.

Found by a crash-testing review (session 19): every command that opened the database wrote to it
first (the headcounts recounted, triggers made again, the schema version stamped), so on a full
disk `kiosk attendees` and `kiosk export` failed with "config error: storage.database: cannot open
... database or disk is full". An organiser whose laptop filled up during the evening could not
get the list of who came until they found something to delete. Reading needs no room now.
"""

from __future__ import annotations

import csv
import json
import sqlite3

from conftest import run_kiosk, write_config
from test_door_failures import fill, tmpfs


def test_the_list_and_the_report_are_read_from_a_full_disk(tmp_path):
    with tmpfs(tmp_path / "small", "2m") as disk:
        config = write_config(disk)
        people = disk / "people.csv"
        people.write_text("name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n")
        run_kiosk(config, "import", str(people))
        server = sqlite3.connect(disk / "data" / "kiosk.db")  # the kiosk still serving: its -wal and -shm stay
        try:
            server.execute("SELECT count(*) FROM attendees").fetchone()
            fill(disk)
            listed = run_kiosk(config, "attendees", "--format", "json", check=False)
            assert listed.returncode == 0, listed.stderr
            assert sorted(p["name"] for p in json.loads(listed.stdout)) == ["Ada Lovelace", "Alan Turing"]
            report = tmp_path / "report.csv"  # written off the full disk
            exported = run_kiosk(config, "export", str(report), check=False)
            assert exported.returncode == 0, exported.stderr
            assert "the audit trail could not record it" in exported.stderr
            with report.open(encoding="utf-8-sig") as f:
                assert any("Ada Lovelace" in ",".join(row) for row in csv.reader(f))
        finally:
            server.close()
