"""A kiosk command run while another process holds the database's write lock says so, not "config error".

Found by a crash-testing review (session 22): with a large import (or the server) writing the
database for over SQLite's 5 s wait, `kiosk import`, `kiosk attendees`, `kiosk export` and `kiosk
token create` said "kiosk: config error: storage.database: cannot open ... as a database: database
is locked" and exited 2, and the organiser went looking for a mistake in the config. They now say
the database is busy, that nothing was changed and to try again, and exit 1.
"""

from __future__ import annotations

import sqlite3

import pytest

from conftest import run_kiosk, write_config

pytestmark = pytest.mark.timeout(90)


# `kiosk attendees` was here too: since session 23 a reading command answers from the last
# committed state instead (tests/test_cli_reads_beside_a_writer_session23.py).
@pytest.mark.parametrize("command", [("token", "create", "--role", "kiosk"), ("import", "PEOPLE")])
def test_a_command_meeting_another_processs_write_lock_says_the_database_is_busy(tmp_path, command):
    config = write_config(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAda Lovelace,ada@example.org\n")
    run_kiosk(config, "import", str(people))
    other = sqlite3.connect(tmp_path / "data" / "kiosk.db")  # another process's long write, as a large import's
    try:
        other.execute("BEGIN IMMEDIATE")
        result = run_kiosk(config, *(str(people) if arg == "PEOPLE" else arg for arg in command), check=False)
    finally:
        other.rollback()
        other.close()
    assert result.returncode == 1, result.stderr
    assert "config error" not in result.stderr
    assert result.stderr.startswith("kiosk: the database is busy"), result.stderr
    assert "Nothing was changed; try again in a moment" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    listed = run_kiosk(config, "attendees", "--format", "json")  # the lock gone: nothing half-written
    assert '"Ada Lovelace"' in listed.stdout and listed.stdout.count('"name"') == 1
