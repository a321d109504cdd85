"""A wrong config stops start-up with one clear line naming the key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, free_port, run_kiosk, write_config
from kiosk import config


@pytest.mark.parametrize("broken,key", [
    ('[printer]\nbackend = "lpt"', "printer.backend"),
    ('[printer]\nbackend = "network"\nhost = "10.0.0.9"\nport = 99999', "printer.port"),
    ('[printer]\nbackend = "network"\nport = 9100', "printer.host"),
    ('[printer]\nbackend = "network"\nhost = "10.0.0.9"\nport = "9100"', "printer.port"),  # as server.port
    ('[printer]\nbackend = "network"\nhost = "10.0.0.256"', "printer.host"),
    ('[printer]\nbackend = "file"\nprofile = "NoSuchPrinter"', "printer.profile"),
])
def test_bad_printer_settings_name_the_key(tmp_path, broken, key):
    path = write_config(tmp_path, printer="").read_text().replace("[printer]\n", broken + "\n")
    (tmp_path / "config.toml").write_text(path)
    result = run_kiosk(tmp_path / "config.toml", "attendees", check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], result.stderr


@pytest.mark.parametrize("old,new,key", [
    ("port = 0", "port = 70000", "server.port"),
    ('port = 0', 'port = "eighty"', "server.port"),
    ('starts_at = "2026-11-26T18:30:00+00:00"', 'starts_at = "2026-11-26T18:30"', "event.starts_at"),
    ('kiosk_pin = "1111"', 'kiosk_pin = "12"', "security.kiosk_pin"),
    ("capacity = 0", "capacity = -5", "event.capacity"),
    ('host = "127.0.0.1"', 'host = "http://0.0.0.0"', "server.host"),
    ('host = "127.0.0.1"', 'host = "256.1.1.1"', "server.host"),
    ('host = "127.0.0.1"', 'host = "not a host!"', "server.host"),
    ('host = "127.0.0.1"', 'host = "127.0.0.1:8080"', "server.host"),
    ('host = "127.0.0.1"', 'host = "[::1]"', "server.host"),
])
def test_bad_values_name_the_key(tmp_path, old, new, key):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace(old, new, 1))
    result = run_kiosk(path, "serve", check=False, timeout=30)
    assert result.returncode == 2
    assert key in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("host", ["127.1", "0", "0.0.0.0", "::", "::1", "localhost", "localhost.", "bücher.example"])
def test_every_form_of_a_host_the_socket_calls_take_is_still_a_host(tmp_path, host):
    """The shape check refuses URLs and typos, not the short IPv4 forms (127.1) or IPv6 that worked before."""
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('host = "127.0.0.1"', f'host = "{host}"', 1))
    assert config.load(path).host == host


def test_a_host_of_another_machine_is_one_line_naming_server_host(tmp_path):
    """192.0.2.99 is written right but is no address of this machine (TEST-NET): it can only fail
    when the server binds, and the line must still say which setting to look at."""
    path = write_config(tmp_path, port=free_port())
    path.write_text(path.read_text().replace('host = "127.0.0.1"', 'host = "192.0.2.99"', 1))
    result = run_kiosk(path, "serve", check=False, timeout=30)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "cannot listen on 192.0.2.99" in lines[0] and "server.host" in lines[0]


def test_missing_config_file_is_one_line(tmp_path):
    result = run_kiosk(tmp_path / "nope.toml", "attendees", check=False)
    assert result.returncode == 2 and "nope.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_not_toml_is_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[event\nname = ")
    result = run_kiosk(path, "attendees", check=False)
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    path = write_config(tmp_path / "elsewhere", printer='backend = "file"\npath = "out/badges"')
    settings = config.load(path)
    assert settings.database == (tmp_path / "elsewhere" / "data" / "kiosk.db").resolve()


def test_kiosk_config_environment_variable(tmp_path):
    path = write_config(tmp_path)
    env = {**os.environ, "KIOSK_CONFIG": str(path)}
    result = subprocess.run([sys.executable, "-m", "kiosk", "attendees", "--format", "json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]"
    assert (tmp_path / "data" / "kiosk.db").exists()


def test_the_demo_config_loads():
    settings = config.load(ROOT / "config.toml")
    assert settings.event.sponsors == ("Gamesys", "Tecknuovo")
    assert [t for t, _ in settings.event.schedule] == ["18:30", "19:00", "19:10", "19:50", "20:30"]
    assert settings.printers[0].backend == "file"


@pytest.mark.parametrize("table,key", [
    ('[printer]\nhost = "192.168.1.50"\nport = 9100', "printer.backend"),
    ('[printer]\nbackend = "none"\n\n[printers.door]\nhost = "192.168.1.51"', "printers.door.backend"),
])
def test_a_printer_table_with_keys_but_no_backend_names_the_backend_key(tmp_path, table, key):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('[printer]\nbackend = "none"', table))
    for command in (("printer", "test"), ("printer", "status"), ("serve",)):
        result = run_kiosk(path, *command, check=False, timeout=30)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and f"{key} is required" in lines[0], result.stderr


def test_an_empty_printer_table_still_means_no_printer(tmp_path):
    settings = config.load(write_config(tmp_path, printer=""))
    assert [(p.name, p.backend) for p in settings.printers] == [("default", "none")]


def test_an_unknown_section_is_one_warning_and_the_command_still_runs(tmp_path):
    path = write_config(tmp_path, printer='backend = "none"', extra='\n[printr]\nbackend = "file"\n')
    result = run_kiosk(path, "attendees", "--format", "json")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "[printr]" in lines[0], result.stderr
    assert result.stdout.strip() == "[]"


def test_known_sections_give_no_warning(tmp_path):
    path = write_config(tmp_path, extra='\n[printers.door]\nbackend = "none"\n')
    assert run_kiosk(path, "attendees").stderr == ""


def test_two_printers_with_the_same_name_are_a_config_error(tmp_path):
    path = write_config(tmp_path, printer='backend = "file"\npath = "badges"',
                        extra='\n[printers.default]\nbackend = "network"\nhost = "127.0.0.1"\n')
    result = run_kiosk(path, "printer", "status", check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "printers.default" in lines[0] and "'default'" in lines[0] and "[printer]" in lines[0]
