"""The command line and its config broken the way an evening breaks them (a config saved by Notepad,
a misspelt key, a variable left unset, a full disk): one clear line, and nothing changed."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, free_port, kiosk_cmd, run_kiosk, write_config
from kiosk import cli, config
from kiosk.tls import _write_self_signed as write_self_signed
from test_audit_and_forget import LATER, PAST, evening
from test_cli_errors import export_entries, one_line


def edited(folder: Path, old: str, new: str) -> Path:
    """The test config with one piece of text replaced (which must be there)."""
    path = write_config(folder)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`kiosk ARGS` as typed, no --config added, with extra environment variables."""
    return subprocess.run(kiosk_cmd(*args), capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("old,new,says", [
    ('doors_open = "18:30"', 'doors_open = "25:00"', "event.doors_open must be a time of day as HH:MM"),
    ('doors_open = "18:30"', 'doors_open = "18:30"\nends_at = "half nine"', "event.ends_at must be a time of day"),
    ('host = "127.0.0.1"', 'host = ""', "server.host must not be empty"),
    ('database = "data/kiosk.db"', 'database = ""', "storage.database must not be empty"),
    ('starts_at = "2026-11-26T18:30:00+00:00"', "starts_at = 2026-11-26T18:30:00",
     "event.starts_at needs a time with a UTC offset, e.g. 2026-11-26T18:30:00+00:00"),
    ('starts_at = "2026-11-26T18:30:00+00:00"', 'starts_at = "2026-11-26"',
     "event.starts_at needs a time with a UTC offset, e.g. 2026-11-26T00:00:00+00:00"),
    ('"19:10", title', '"7pm", title', 'event.schedule[0].time must be a time of day as HH:MM, e.g. "18:30", got \'7pm\''),
    ('{ time = "19:10", ', '{ ', "event.schedule[0].time must be a time of day as HH:MM"),
    ("capacity = 0", "capacity = 99999999999999999999", "event.capacity must be a whole number between 0 and 1000000"),
    ("max_failed_scans = 1000", "max_failed_scans = 1000\nfailed_scan_window = 99999999999999999999",
     "security.failed_scan_window must be a whole number between 1 and 86400"),
])
def test_more_wrong_values_are_one_line_naming_the_key_and_create_nothing(tmp_path, old, new, says):
    """An empty host would listen on every interface; "25:00" would be shown to the queue."""
    result = run_kiosk(edited(tmp_path, old, new), "attendees", check=False)
    assert result.returncode == 2 and says in one_line(result)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("old,new", [
    ('starts_at = "2026-11-26T18:30:00+00:00"', "starts_at = 2026-11-26T18:30:00+00:00"),
    ('doors_open = "18:30"', "doors_open = 18:30:00"),
    ('time = "19:10"', "time = 19:10:00"),
])
def test_tomls_own_date_times_and_times_are_read(tmp_path, old, new):
    """TOML has date-times and times of its own, written without quotes: they mean what they say."""
    event = config.load(edited(tmp_path, old, new)).event
    assert event.starts_at == dt.datetime(2026, 11, 26, 18, 30, tzinfo=dt.timezone.utc)
    assert event.doors_open == "18:30" and event.schedule == (("19:10", "Networking Monitoring at Scale"),)


def test_a_config_saved_by_notepad_with_a_bom_and_crlf_is_read(tmp_path):
    path = write_config(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    result = run_kiosk(path, "attendees", "--format", "json")
    assert result.stdout.strip() == "[]" and result.stderr == ""


def test_a_config_that_is_not_utf8_names_the_line(tmp_path):
    path = edited(tmp_path, 'name = "Test Meetup"', 'name = "Café Meetup"')
    path.write_bytes(path.read_bytes().replace("é".encode(), "é".encode("cp1252")))
    result = run_kiosk(path, "attendees", check=False)
    assert result.returncode == 2
    assert one_line(result) == f"kiosk: config error: config file {path} line 3 is not UTF-8 text: save the file as UTF-8"


def test_unknown_keys_of_known_sections_are_one_warning_each_and_the_command_runs(tmp_path):
    """A misspelt `capacty = 250` would otherwise mean no capacity limit without a word."""
    path = edited(tmp_path, "capacity = 0", "capacity = 0\ncapacty = 250")
    path.write_text(path.read_text() + '\n[printers.door]\nbackend = "none"\nbaud_rate = 9600\n')
    result = run_kiosk(path, "attendees", "--format", "json")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and result.stdout.strip() == "[]", result.stderr
    assert lines[0].startswith(f"kiosk: config warning: {path}: event.capacty is not a kiosk setting and is ignored")
    assert "printers.door.baud_rate is not a kiosk setting" in lines[1] and "baudrate" in lines[1]


@pytest.mark.parametrize("args", [("--config", "", "attendees"), ("attendees", "--config", "")])
def test_an_empty_config_option_is_refused_not_the_demos_config(args):
    """`kiosk --config "$CONF" import list.csv` with CONF unset must not import into the demo's database."""
    result = kiosk(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Invalid value for '--config'") and last.endswith(": is empty: give a path")
    assert result.stdout == ""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_config_path_that_is_a_folder_is_one_line(tmp_path, how):
    write_config(tmp_path)
    result = kiosk("--config", str(tmp_path), "attendees") if how == "option" else \
        kiosk("attendees", env={"KIOSK_CONFIG": str(tmp_path)})
    assert result.returncode == 2
    assert one_line(result) == (f"kiosk: config error: config file {tmp_path} is a folder; give the path of its "
                                "config.toml (--config or KIOSK_CONFIG)")


def test_a_config_that_is_a_fifo_is_one_line_not_a_wait(tmp_path):
    os.mkfifo(tmp_path / "config.toml")
    result = run_kiosk(tmp_path / "config.toml", "attendees", check=False, timeout=30)
    assert result.returncode == 2
    assert one_line(result) == (f"kiosk: config error: config file {tmp_path / 'config.toml'} is not a regular file "
                                "(--config or KIOSK_CONFIG)")


def test_a_database_under_the_home_folder_is_there_not_in_a_folder_named_tilde(tmp_path):
    path = edited(tmp_path / "cfg", 'database = "data/kiosk.db"', 'database = "~/kiosk/november.db"')
    (tmp_path / "home").mkdir()
    result = kiosk("--config", str(path), "attendees", env={"HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "home" / "kiosk" / "november.db").exists() and not (tmp_path / "cfg" / "~").exists()


@pytest.mark.parametrize("command,option", [(("serve",), ()), (("demo",), ()), (("serve",), ("--port", "70000")),
                                            (("demo",), ("--port", "0")), (("serve",), ("--port", "-1"))])
def test_a_port_that_cannot_be_served_on_is_one_line_and_demo_seeds_nothing(tmp_path, command, option):
    """server.port = 0 (fine for commands) would serve on a random port while announcing :0;
    --port 70000 was a traceback from gunicorn."""
    config = write_config(tmp_path)  # port = 0
    result = run_kiosk(config, *command, *option, check=False, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "Serving on" not in result.stdout
    said = ("kiosk: config error: server.port is 0, which serves on a random port: set a port in [server] or give "
            "--port") if not option else f"Error: Invalid value for '--port': {option[1]} is not in the range 1<=x<=65535."
    assert result.stderr.strip().splitlines()[-1] == said
    assert "0 came of    0 expected" in run_kiosk(config, "events").stdout


class FullDisk(io.RawIOBase):
    """A stdout whose disk is full: `kiosk attendees > list.csv` on a full USB stick."""

    def writable(self) -> bool:
        return True

    def write(self, _data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_under_stdout_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(FullDisk(), encoding="utf-8"))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--config", str(config), "attendees"])
    assert stopped.value.code == 1
    assert capsys.readouterr().err == "kiosk: error: cannot write the output: No space left on device\n"


def test_export_to_dash_writes_the_report_on_stdout_and_no_file_named_dash(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    result = subprocess.run(kiosk_cmd("--config", str(config), "export", "-"), capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and not (tmp_path / "-").exists()
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(json.loads(run_kiosk(config, "attendees", "--format", "json").stdout))
    assert result.stderr.splitlines()[-1] == "Wrote the report to stdout (as CSV): 0 checked in of 237 expected, 0 walk-ins"
    assert export_entries(config) == 1


@pytest.mark.parametrize("command", [("tickets", ""), ("export", ""), ("tickets", " ")])
def test_an_empty_output_path_is_refused_and_nothing_is_written(tmp_path, command):
    """`kiosk tickets "$DIR"` with DIR unset wrote every ticket and sheet.pdf into the current folder."""
    config = write_config(tmp_path / "cfg")
    run_kiosk(config, "demo", "--no-serve")
    (tmp_path / "here").mkdir()
    result = subprocess.run(kiosk_cmd("--config", str(config), *command), capture_output=True, text=True,
                            timeout=60, cwd=tmp_path / "here")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(": is empty: give a path")
    assert list((tmp_path / "here").iterdir()) == [] and export_entries(config) == 0


def test_tickets_onto_a_file_says_it_is_a_file_and_leaves_it(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    (tmp_path / "tickets").write_text("notes\n")
    result = run_kiosk(config, "tickets", str(tmp_path / "tickets"), check=False)
    assert result.returncode == 1
    assert one_line(result) == f"Error: cannot write {tmp_path / 'tickets'}: it is a file, not a folder"
    assert (tmp_path / "tickets").read_text() == "notes\n"


def test_revoking_a_token_id_beyond_sqlites_integers_is_one_usage_line(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "token", "create", "--role", "kiosk")
    result = run_kiosk(config, "token", "revoke", "99999999999999999999999", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for 'TOKEN_ID': 99999999999999999999999 is not in the range")
    assert "live" in run_kiosk(config, "token", "list").stdout


def with_tls(folder: Path, keys: str) -> Path:
    """A config serving HTTPS on a free port, with `keys` (TOML) under [server]."""
    config = write_config(folder, port=free_port())
    config.write_text(config.read_text().replace("[server]\n", f"[server]\nhttps = true\n{keys}\n"))
    return config


@pytest.mark.parametrize("keys,says", [
    ('certfile = "cert.pem"\nkeyfile = "key.pem"', "are not a PEM certificate and its private key"),
    ('certfile = "cert.pem"', "server.keyfile is missing: server.certfile needs it"),
    ('certfile = "cert.pem"\nkeyfile = "other-key.pem"', "are not a PEM certificate and its private key"),
])
def test_a_certificate_that_cannot_serve_https_is_one_line_before_serving(tmp_path, keys, says):
    """A wrong pair crashed every gunicorn worker as it started, a traceback a second under "Serving on";
    a certfile alone was ignored for a self-signed certificate."""
    write_self_signed(tmp_path / "cert.pem", tmp_path / "key.pem")
    write_self_signed(tmp_path / "other-cert.pem", tmp_path / "other-key.pem")
    if "other" not in keys:
        (tmp_path / "cert.pem").write_text("not a certificate\n")
    result = run_kiosk(with_tls(tmp_path, keys), "serve", check=False, timeout=30)
    assert result.returncode == 2 and says in one_line(result) and "Serving on" not in result.stdout


def test_a_good_certificate_pair_is_taken(tmp_path):
    write_self_signed(tmp_path / "cert.pem", tmp_path / "key.pem")
    settings = config.load(with_tls(tmp_path, 'certfile = "cert.pem"\nkeyfile = "key.pem"'))
    assert (settings.certfile, settings.keyfile) == (tmp_path / "cert.pem", tmp_path / "key.pem")


def test_a_damaged_generated_certificate_is_one_line_saying_what_to_delete(tmp_path):
    (tmp_path / "data").mkdir()
    for name in ("kiosk-cert.pem", "kiosk-key.pem"):
        (tmp_path / "data" / name).write_text("damaged\n")
    result = run_kiosk(with_tls(tmp_path, ""), "serve", check=False, timeout=30)
    assert result.returncode == 1 and "Serving on" not in result.stdout
    assert one_line(result).startswith(f"Error: the certificate made for HTTPS, {tmp_path / 'data' / 'kiosk-cert.pem'}, "
                                       "cannot be used (")
    assert one_line(result).endswith("delete it and kiosk-key.pem to have a new pair made")


def test_forget_deletes_the_badge_files_of_a_file_printer_under_the_home_folder(tmp_path):
    """The file printer writes `path = "~/badges"` under the home folder; forget looked in a folder named `~`."""
    config = write_config(tmp_path, printer='backend = "file"\npath = "~/badges"')
    home = {"HOME": str(tmp_path / "home")}
    evening(config, PAST)
    assert kiosk("--config", str(config), "demo", "--no-serve", env=home).returncode == 0
    badges = tmp_path / "home" / "badges"
    badges.mkdir(parents=True, exist_ok=True)
    (badges / "job-000001.png").write_bytes(b"a badge with a name on it")
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:
        db.execute("INSERT INTO print_jobs (id, event_id, attendee_id, reason, status, next_attempt_at, created_at) "
                   "VALUES (1, 1, 1, 'check-in', 'printed', '', '')")
    evening(config, LATER)
    result = kiosk("--config", str(config), "forget", "--before", "2026-12-01", "--yes", env=home)
    assert "1 badge files deleted" in result.stdout and not (badges / "job-000001.png").exists(), result.stderr
