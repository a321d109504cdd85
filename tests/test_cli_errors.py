"""Things that go wrong around the kiosk (an unusable database path, an unwritable output, a busy
port) stop a command with one line that says what and where, never a traceback."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import run_kiosk, write_config
from kiosk.process_locks import STARTUP_WAIT


def one_line(result: subprocess.CompletedProcess) -> str:
    """The single line a failed command printed on stderr (fails if there are more, or a traceback)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def with_database(folder: Path, database: str) -> Path:
    config = write_config(folder)
    config.write_text(config.read_text().replace('database = "data/kiosk.db"', f'database = "{database}"'))
    return config


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file unwritable, even for root (chattr +i) where the file system allows it."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        yield


@pytest.mark.parametrize("command", [("attendees",), ("token", "create", "--role", "kiosk"), ("serve",)])
@pytest.mark.parametrize("database", ["{tmp}", "/proc/kiosk.db", "config.toml/kiosk.db"])
def test_a_database_path_that_cannot_be_opened_is_one_line_naming_the_key(tmp_path, command, database):
    config = with_database(tmp_path, database.format(tmp=tmp_path))
    result = run_kiosk(config, *command, check=False, timeout=30)
    line = one_line(result)
    assert result.returncode == 2
    assert line.startswith("kiosk: config error: storage.database: cannot open ") and "as a database" in line
    assert "Worker failed to boot" not in result.stderr


def test_a_first_run_makes_the_databases_folders(tmp_path):
    config = with_database(tmp_path, "data/2026/kiosk.db")
    run_kiosk(config, "attendees")
    assert (tmp_path / "data" / "2026" / "kiosk.db").exists()


def test_a_read_only_database_file_is_one_line_naming_the_key(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "attendees")
    database = tmp_path / "data" / "kiosk.db"
    with read_only(database):
        for command in (("attendees",), ("serve",)):
            result = run_kiosk(config, *command, check=False, timeout=30)
            assert result.returncode == 2 and "storage.database" in one_line(result)


def test_a_read_only_folder_for_a_new_database_is_one_line_naming_the_folder(tmp_path):
    config = with_database(tmp_path, "locked/kiosk.db")
    (tmp_path / "locked").mkdir()
    with read_only(tmp_path / "locked"):
        result = run_kiosk(config, "attendees", check=False)
    assert result.returncode == 2 and "storage.database" in one_line(result)
    assert f"the folder {tmp_path / 'locked'} is read-only" in result.stderr


def test_a_file_that_is_not_a_database_is_one_line_naming_the_key(tmp_path):
    config = with_database(tmp_path, "notes.db")
    (tmp_path / "notes.db").write_bytes(b"these are notes, not SQLite " * 100)
    result = run_kiosk(config, "attendees", check=False)
    assert result.returncode == 2 and "storage.database" in one_line(result)
    assert str(tmp_path / "notes.db") in result.stderr


def export_entries(config: Path) -> int:
    """How many `export` lines the audit trail holds."""
    with sqlite3.connect(config.parent / "data" / "kiosk.db") as db:
        return db.execute("SELECT count(*) FROM audit WHERE action = 'export'").fetchone()[0]


@pytest.mark.parametrize("target", ["/nonexistent-dir/report.csv", "/proc/report.json", "{tmp}", "{tmp}/data/"])
def test_export_to_a_path_that_cannot_be_written_is_one_line_and_no_audit_entry(tmp_path, target):
    """A folder too: the organiser gets the same one line and exit 1, not click's usage text."""
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    target = target.format(tmp=tmp_path)
    result = run_kiosk(config, "export", target, check=False)
    assert result.returncode == 1
    assert one_line(result).startswith(f"Error: cannot write {target.rstrip('/')}")
    assert export_entries(config) == 0


def test_export_over_a_read_only_file_is_one_line_and_leaves_it_alone(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "events")
    kept = tmp_path / "last-month.csv"
    kept.write_text("November's report\n", encoding="utf-8")
    with read_only(kept):
        result = run_kiosk(config, "export", str(kept), check=False)
    assert result.returncode == 1
    assert one_line(result).startswith(f"Error: cannot write {kept}: ")
    assert kept.read_text(encoding="utf-8") == "November's report\n" and export_entries(config) == 0


@pytest.mark.parametrize("target", ["data/kiosk.db", "data/kiosk.db-wal", "data/kiosk.db.secret", "config.toml"])
def test_export_onto_the_kiosks_own_files_is_refused_and_every_evening_stays(tmp_path, target):
    """`kiosk export data/kiosk.db` (a slip of tab completion) would write a CSV over every month's history."""
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace('secret = "test-secret-not-for-production"\n', ""))
    run_kiosk(config, "demo", "--no-serve")
    before = {path.name: path.read_bytes() for path in (tmp_path / "data").glob("kiosk.db.secret")}
    result = run_kiosk(config, "export", str(tmp_path / target), check=False)
    assert result.returncode == 1
    assert one_line(result).startswith(f"Error: cannot write {tmp_path / target}: it is the kiosk's own ")
    assert "237 expected" in run_kiosk(config, "events").stdout and config.read_text().startswith("\n[event]")
    assert before and before == {path.name: path.read_bytes() for path in (tmp_path / "data").glob("kiosk.db.secret")}
    assert export_entries(config) == 0


def test_export_writes_then_audits(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    result = run_kiosk(config, "export", str(tmp_path / "Report.JSON"))
    assert "237 expected" in result.stdout and json.loads((tmp_path / "Report.JSON").read_text())
    assert export_entries(config) == 1


def test_export_to_any_other_name_writes_csv_and_says_so(tmp_path):
    """A script's `kiosk export attendance` or `report.txt` still gets the report."""
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    for name in ("report.txt", "attendance"):
        result = run_kiosk(config, "export", str(tmp_path / name))
        assert "(as CSV)" in result.stdout and "Traceback" not in result.stderr
        rows = list(csv.DictReader(io.StringIO((tmp_path / name).read_text(encoding="utf-8"))))
        assert len(rows) == len(json.loads(run_kiosk(config, "attendees", "--format", "json").stdout))
    assert export_entries(config) == 2


@pytest.mark.parametrize("target", ["/proc/tickets", "{tmp}/config.toml/tickets", "{tmp}/config.toml"])
def test_tickets_to_a_folder_that_cannot_be_written_is_one_line(tmp_path, target):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    folder = target.format(tmp=tmp_path)
    result = run_kiosk(config, "tickets", folder, check=False)
    assert result.returncode != 0
    assert one_line(result).startswith("Error: cannot write ") and folder in result.stderr


@contextlib.contextmanager
def busy_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


@pytest.mark.parametrize("command", [("serve",), ("demo",)])
def test_serving_on_a_port_in_use_is_one_line_naming_the_address(tmp_path, command):
    with busy_port() as port:
        config = write_config(tmp_path, port=port)
        started = time.monotonic()
        result = run_kiosk(config, *command, check=False, timeout=30)
        took = time.monotonic() - started
    line = one_line(result)
    assert result.returncode != 0 and f"127.0.0.1:{port}" in line and "in use" in line
    # It waits quietly for a crashed server's worker to let go (test_serve), then one line, no more.
    assert took < STARTUP_WAIT + 5, f"gave up after {took:.1f} s"
    assert "Serving on" not in result.stdout


def test_the_port_given_with_the_option_is_the_one_checked(tmp_path):
    config = write_config(tmp_path)
    with busy_port() as port:
        result = run_kiosk(config, "serve", "--host", "127.0.0.1", "--port", str(port), check=False, timeout=30)
    assert result.returncode != 0 and f"127.0.0.1:{port}" in one_line(result)
