"""`--config PATH` works before or after any command name, as the contract promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Iterator

import click
import pytest
from click.testing import CliRunner

from conftest import ROOT, write_config
from kiosk.cli import cli


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and nested group under `kiosk`, as the words typed to reach it."""
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def kiosk_plain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`kiosk ARGS` without the --config that conftest.run_kiosk puts first."""
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)


def test_the_walk_finds_the_nested_commands():
    paths = set(command_paths())
    assert {("serve",), ("demo",), ("import",), ("printer", "status"), ("token", "create")} <= paths


@pytest.mark.parametrize("path", sorted(command_paths()), ids=" ".join)
def test_every_command_accepts_config_after_its_name(tmp_path, path):
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, [*path, "--config", str(config), "--help"])
    assert result.exit_code == 0, result.output
    assert "--config" in result.output


def test_attendees_with_config_after_the_command_uses_that_config(tmp_path):
    config = write_config(tmp_path)
    result = kiosk_plain("attendees", "--format", "json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert (tmp_path / "data" / "kiosk.db").exists()


def test_demo_and_nested_commands_with_config_after_them(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    demo = kiosk_plain("demo", "--no-serve", "--config", str(config))
    assert demo.returncode == 0 and "Demo evening" in demo.stdout, demo.stderr
    token = kiosk_plain("token", "create", "--role", "kiosk", "--config", str(config))
    assert token.returncode == 0 and token.stdout.splitlines()[-1].strip(), token.stderr
    status = kiosk_plain("printer", "status", "--config", str(config))
    assert status.returncode == 0 and "default: online" in status.stdout, status.stderr
    listed = kiosk_plain("token", "list", "--config", str(config))
    assert "kiosk" in listed.stdout and "demo" in listed.stdout


def test_import_with_config_after_the_file(tmp_path):
    config = write_config(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAda Lovelace,ada@example.org\n", encoding="utf-8")
    result = kiosk_plain("import", str(people), "--config", str(config))
    assert result.returncode == 0, result.stderr
    listed = kiosk_plain("--config", str(config), "attendees", "--format", "json")
    assert [row["name"] for row in json.loads(listed.stdout)] == ["Ada Lovelace"]


def test_config_after_the_command_wins_over_kiosk_config_and_an_earlier_config(tmp_path):
    first, second = write_config(tmp_path / "first"), write_config(tmp_path / "second")
    env = {**os.environ, "KIOSK_CONFIG": str(first)}
    result = kiosk_plain("attendees", "--config", str(second), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "second" / "data" / "kiosk.db").exists()
    assert not (tmp_path / "first" / "data").exists()
    both = kiosk_plain("--config", str(first), "events", "--config", str(second))
    assert both.returncode == 0 and not (tmp_path / "first" / "data").exists()


def test_a_missing_config_after_the_command_is_the_usual_one_line(tmp_path):
    result = kiosk_plain("printer", "status", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2 and "nope.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_takes_config_after_the_command(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("port = 0", "port = 70000"))
    result = kiosk_plain("serve", "--config", str(config))
    assert result.returncode == 2 and "server.port" in result.stderr, result.stderr


def test_help_still_lists_the_environment_variable():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "KIOSK_CONFIG" in result.output


def test_the_walk_covers_what_help_lists():
    listed = CliRunner().invoke(cli, ["--help"]).output.split("Commands:")[1]
    names = {line.split()[0] for line in listed.strip().splitlines()}
    assert names == {path[0] for path in command_paths()}
