"""Things that go wrong around the kiosk (an unusable database path, an unwritable output, a busy
port) stop a command with one line that says what and where, never a traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from conftest import run_kiosk, write_config


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


def test_a_read_only_database_file_is_one_line_naming_the_key(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "attendees")
    database = tmp_path / "data" / "kiosk.db"
    with read_only(database):
        for command in (("attendees",), ("serve",)):
            result = run_kiosk(config, *command, check=False, timeout=30)
            assert result.returncode == 2 and "storage.database" in one_line(result)


def test_a_file_that_is_not_a_database_is_one_line_naming_the_key(tmp_path):
    config = with_database(tmp_path, "notes.db")
    (tmp_path / "notes.db").write_bytes(b"these are notes, not SQLite " * 100)
    result = run_kiosk(config, "attendees", check=False)
    assert result.returncode == 2 and "storage.database" in one_line(result)
    assert str(tmp_path / "notes.db") in result.stderr
