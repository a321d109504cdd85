"""The command line, its config and its printers broken from outside (session 8): a busy port, a
database that is not this kiosk's, a run of tickets cut short, printers that cannot be reached in
ways the messages got wrong. Each: one clear line, a sensible exit status, nothing half-made."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils
from PIL import Image

from conftest import ROOT, kiosk_cmd, run_kiosk, wait_until, write_config
from kiosk import auth, cli, config
from kiosk.db import SCHEMA_VERSION
from kiosk.tls import _write_self_signed as write_self_signed
from printers import escpos_lib
from printers.backend_devices import SerialBackend
from test_cli_errors import busy_port, one_line
from test_cli_hardening import LIMITED_KIOSK
from test_cli_more import edited


def tables(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return sorted(row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


# --- serve and demo: nothing is written before the address is known to be free -------------------

@pytest.mark.parametrize("command", [("serve",), ("demo",)])
def test_a_port_in_use_stops_serve_and_demo_before_the_database_is_made_or_seeded(tmp_path, command):
    """`kiosk demo` on a busy port seeded the evening, made and printed four tokens, then failed."""
    with busy_port() as port:
        result = run_kiosk(write_config(tmp_path, port=port), *command, check=False, timeout=30)
    assert result.returncode == 1 and f"127.0.0.1:{port}" in one_line(result) and "in use" in one_line(result)
    assert "token" not in result.stdout and not (tmp_path / "data").exists()


def test_a_second_server_on_the_same_port_and_database_is_told_the_first_one_serves_it(kiosk_process):
    """The address is checked first now: on the very same port the better reason still wins."""
    proc, _ = kiosk_process(seed=False)
    second = subprocess.run(kiosk_cmd("--config", str(proc.config_path), "serve"), cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert second.returncode == 2 and "already serving" in one_line(second) and str(proc.proc.pid) in one_line(second)


# --- databases that are not this kiosk's ----------------------------------------------------------

def foreign_database(folder: Path, version: int, table: str) -> Path:
    """A config whose database already holds `table` at PRAGMA user_version `version`."""
    config_path = write_config(folder)
    (folder / "data").mkdir()
    with sqlite3.connect(folder / "data" / "kiosk.db") as db:
        db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
        db.execute(f"PRAGMA user_version = {version}")
    return config_path


@pytest.mark.parametrize("command", [("attendees",), ("serve", "--port", "1"), ("demo", "--port", "1"),
                                     ("token", "create", "--role", "kiosk")])
def test_a_database_of_a_newer_kiosk_is_refused_and_keeps_its_version(tmp_path, command):
    """It was opened and stamped with this version's schema number, for the newer kiosk to misread."""
    config_path = foreign_database(tmp_path, SCHEMA_VERSION + 1, "events")
    result = run_kiosk(config_path, *command, check=False, timeout=30)
    line = one_line(result)
    assert result.returncode == 2 and line.startswith("kiosk: config error: storage.database:") and "newer kiosk" in line
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["kiosk.db"]


@pytest.mark.parametrize("table", ["moz_places", "attendees"])
def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path, table):
    """A wrong `storage.database` got the kiosk's dozen tables added to it (or some, then an error)."""
    config_path = foreign_database(tmp_path, 0, table)
    result = run_kiosk(config_path, "attendees", check=False)
    assert result.returncode == 2 and "another program's SQLite database" in one_line(result) and table in one_line(result)
    assert tables(tmp_path / "data" / "kiosk.db") == [table]


def test_an_events_table_that_is_not_the_kiosks_is_one_line_not_a_traceback(tmp_path):
    result = run_kiosk(foreign_database(tmp_path, 0, "events"), "attendees", check=False)
    assert result.returncode == 2 and one_line(result).startswith("kiosk: config error: storage.database: cannot open ")


def test_a_database_left_by_a_killed_server_still_opens(tmp_path):
    """The read-only look first must not refuse the kiosk's own file with its WAL beside it."""
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "demo", "--no-serve")
    assert "237 expected" in run_kiosk(config_path, "events").stdout


def test_a_database_error_met_after_opening_is_one_line(tmp_path, monkeypatch, capsys):
    """A damaged page found by a query (not by opening the file) was a traceback."""
    config_path = write_config(tmp_path)

    def damaged(*_args: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(cli.reports, "attendee_rows", damaged)
    with pytest.raises(SystemExit) as ended:
        cli.main(["--config", str(config_path), "attendees"])
    said = capsys.readouterr().err.strip().splitlines()
    assert ended.value.code == 1 and said == ["kiosk: database error: database disk image is malformed (storage.database)"]


# --- tickets: whole files under their names, whatever stops the run -------------------------------

def test_tickets_cut_short_mid_file_leave_no_part_of_a_ticket_under_its_name(tmp_path, monkeypatch):
    """Ctrl-C while a PNG was being written left the first half of it under the person's name."""
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "demo", "--no-serve")
    save, saved = Image.Image.save, []

    def half_then_interrupt(image: Image.Image, target: object, *args: object, **kw: object) -> None:
        if len(saved) < 3:
            saved.append(target)
            return save(image, target, *args, **kw)
        data = io.BytesIO()
        save(image, data, format="PNG")
        Path(str(target)).write_bytes(data.getvalue()[:len(data.getvalue()) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", half_then_interrupt)
    with pytest.raises(SystemExit):
        cli.main(["--config", str(config_path), "tickets", str(tmp_path / "tickets")])
    assert list((tmp_path / "tickets").iterdir()) == []


def whole_image(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_tickets_stopped_by_a_signal_leave_whole_tickets_and_no_temporary_files(tmp_path, sig):
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "demo", "--no-serve")
    folder = tmp_path / "tickets"
    # Ctrl-C as from a terminal: a shell starts background jobs (CI's) with SIGINT ignored, which
    # the child would inherit, and Python then never turns SIGINT into KeyboardInterrupt.
    proc = subprocess.Popen(kiosk_cmd("--config", str(config_path), "tickets", str(folder)), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_until(lambda: len(list(folder.rglob("*.png"))) >= 5, timeout=60, what="some tickets written")
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr.read()
    left = list(folder.iterdir())
    assert [p.name for p in left if p.name.startswith(".")] == []
    assert all(whole_image(p) for p in left if p.suffix == ".png") and not (folder / "sheet.pdf").exists()


def test_a_second_run_of_tickets_replaces_them_and_drops_a_renamed_persons_old_ticket(tmp_path):
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "demo", "--no-serve")
    folder = tmp_path / "tickets"
    run_kiosk(config_path, "tickets", str(folder))
    stale = folder / "0001-someone-else.png"
    stale.write_bytes((folder / "0002-tomas-o-briain.png").read_bytes())
    result = run_kiosk(config_path, "tickets", str(folder))
    assert f"the printable sheet {folder / 'sheet.pdf'}" in result.stdout and not stale.exists()
    assert len(list(folder.glob("*.png"))) == 251 and (folder / "0001-priya-raman.png").exists()


def test_the_hidden_folder_of_a_killed_run_is_removed_by_the_next_one(tmp_path):
    """SIGKILL leaves no chance to clean up: the next run does, but not a folder in use just now."""
    config_path = write_config(tmp_path)
    folder = tmp_path / "tickets"
    abandoned, busy = folder / ".tmp-tickets-killed", folder / ".tmp-tickets-running"
    for left in (abandoned, busy):
        left.mkdir(parents=True)
        (left / "0001-half.png").write_bytes(b"\x89PNG")
    long_ago = time.time() - 3600
    os.utime(abandoned, (long_ago, long_ago))
    run_kiosk(config_path, "tickets", str(folder))
    assert not abandoned.exists() and busy.exists()


def test_a_disk_that_fills_while_tickets_are_rewritten_leaves_the_last_run_whole(tmp_path):
    """The sheet (megabytes) was cut off in place: the earlier, good one lost, a broken PDF left."""
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "demo", "--no-serve")
    folder = tmp_path / "tickets"
    run_kiosk(config_path, "tickets", str(folder))
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    limit = str(len(before["sheet.pdf"]) // 2)  # above the database and every ticket, below the sheet
    result = subprocess.run([sys.executable, "-c", LIMITED_KIOSK, limit, "--config", str(config_path), "tickets",
                             str(folder)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1 and one_line(result).startswith(f"Error: cannot write {folder}")
    assert ".tmp-tickets" not in result.stderr
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_a_terminated_writer_exits_through_its_clean_up_and_puts_the_handlers_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped, cli._stopped_as_exit():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert stopped.value.code == 128 + signal.SIGTERM and signal.getsignal(signal.SIGTERM) is before


# --- printers: the status tells the truth, in words that point at the fix -------------------------

@pytest.mark.parametrize("path,online", [("/proc/badges", False), ("/sys/badges", False), ("not/made/yet", True)])
def test_the_file_printers_status_is_what_a_badge_would_meet(tmp_path, path, online):
    """/proc and /sys looked writable to root ("online"), and a folder not made yet looked broken,
    though `printer test` makes it."""
    config_path = write_config(tmp_path, printer=f'backend = "file"\npath = "{path}"')
    status = run_kiosk(config_path, "printer", "status", check=False)
    assert status.returncode == (0 if online else 1), status.stdout
    assert ("online" in status.stdout) is online and len(status.stdout.strip().splitlines()) == 1
    if not online:
        assert f"Cannot write badges to {path}: " in status.stdout
    assert not (tmp_path / "not").exists() and [p.name for p in tmp_path.iterdir()] == ["config.toml"]
    assert run_kiosk(config_path, "printer", "test", check=False).returncode == (0 if online else 1)


@pytest.mark.parametrize("device,says", [("{tmp}", "is not a serial port"), ("/dev/null", "is not a serial port"),
                                         ("{tmp}/ttyUSB9", "port is missing (cable unplugged?)")])
def test_a_serial_device_that_is_no_serial_port_is_named_so(tmp_path, device, says):
    """Everything that failed to open was "port is missing (cable unplugged?)"."""
    device = device.format(tmp=tmp_path)
    config_path = write_config(tmp_path, printer=f'backend = "serial"\ndevice = "{device}"\ntimeout = 1')
    status = run_kiosk(config_path, "printer", "status", check=False)
    assert status.returncode == 1 and says in status.stdout and len(status.stdout.strip().splitlines()) == 1
    test = run_kiosk(config_path, "printer", "test", check=False)
    assert test.returncode == 1 and says in one_line(test)


def opening_failed(code: int) -> Exception:
    """What python-escpos raises when pyserial cannot open the port: its error, with pyserial's under it."""
    found = escpos_lib.exceptions().DeviceNotFoundError(
        f"Unable to open serial printer on /dev/ttyUSB0:\n[Errno {code}] could not open port: {os.strerror(code)}")
    found.__context__ = OSError(code, f"could not open port /dev/ttyUSB0: {os.strerror(code)}")
    return found


@pytest.mark.parametrize("code,says", [(13, "No permission to open /dev/ttyUSB0 (add the kiosk's user to the dialout group)"),
                                       (16, "/dev/ttyUSB0 is in use by another program"),
                                       (5, "The serial /dev/ttyUSB0 printer failed: ")])
def test_a_serial_port_that_cannot_be_opened_says_why_on_one_line(code, says):
    """Root cannot be refused a device, so the permission case is told through the errors themselves."""
    problem = SerialBackend("/dev/ttyUSB0")._explain(opening_failed(code))
    assert str(problem).startswith(says) and "\n" not in str(problem) and ".." not in str(problem)


def test_cups_refusing_a_job_is_one_sentence(tmp_path):
    """lp ends its message with a full stop; the kiosk added another."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool, words in (("lp", "lp: Error - The printer or class does not exist."), ("lpstat", "")):
        (tools / tool).write_text(f"#!/bin/sh\necho '{words}' >&2\nexit 1\n")
        (tools / tool).chmod(0o755)
    config_path = write_config(tmp_path, printer='backend = "cups"\nqueue = "badges"')
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(kiosk_cmd("--config", str(config_path), "printer", "test"), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert one_line(result) == "default: CUPS refused the job for badges: lp: Error - The printer or class does not exist."


def test_demo_names_the_file_printers_folder_in_full(tmp_path):
    """It printed the path as the config wrote it, relative to a folder the reader does not see."""
    config_path = write_config(tmp_path, printer='backend = "file"\npath = "out/badges"')
    result = subprocess.run(kiosk_cmd("--config", str(config_path), "demo", "--no-serve"), cwd="/",
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert f"Printer default: file {tmp_path / 'out' / 'badges'}" in result.stdout.splitlines()


# --- config values --------------------------------------------------------------------------------

@pytest.mark.parametrize("baudrate", [96000, 12345])
def test_a_baudrate_no_serial_port_runs_at_is_a_config_error(tmp_path, baudrate):
    config_path = write_config(tmp_path, printer=f'backend = "serial"\ndevice = "/dev/ttyUSB0"\nbaudrate = {baudrate}')
    result = run_kiosk(config_path, "attendees", check=False)
    assert result.returncode == 2 and one_line(result).startswith("kiosk: config error: printer.baudrate must be a serial speed")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("host,says", [("127.0.0.1:9100", "without the port (put it in printer.port)"),
                                       ("tcp://192.0.2.7", "not a URL"), ("::1", "over IPv4 only"),
                                       ("print er", "no spaces")])
def test_a_network_printer_host_that_can_never_connect_is_a_config_error(tmp_path, host, says):
    """Each was taken, and every badge then failed as "host name cannot be resolved"."""
    config_path = write_config(tmp_path, printer=f'backend = "network"\nhost = "{host}"')
    result = run_kiosk(config_path, "printer", "status", check=False)
    assert result.returncode == 2 and one_line(result).startswith("kiosk: config error: printer.host must be ")
    assert says in one_line(result)


def test_certificates_under_the_home_folder_are_found_there(tmp_path, monkeypatch):
    """`certfile = "~/certs/kiosk.pem"` was looked for in a folder named `~` beside the config."""
    home = tmp_path / "home"
    (home / "certs").mkdir(parents=True)
    write_self_signed(home / "certs" / "kiosk.pem", home / "certs" / "kiosk-key.pem")
    config_path = edited(tmp_path / "conf", "[server]\n",
                         '[server]\nhttps = true\ncertfile = "~/certs/kiosk.pem"\nkeyfile = "~/certs/kiosk-key.pem"\n')
    monkeypatch.setenv("HOME", str(home))
    assert config.load(config_path).certfile == home / "certs" / "kiosk.pem"


def test_a_huge_file_given_as_the_config_is_refused_without_reading_it(tmp_path):
    """A disk image or a log given by mistake was read whole (3 GB: 20 s, twice that in memory)."""
    huge = tmp_path / "disk.img"
    with huge.open("wb") as f:
        f.truncate(4 * 1024**3)
    started = time.monotonic()
    result = run_kiosk(huge, "attendees", check=False)
    assert result.returncode == 2 and "is larger than 1024 KiB" in one_line(result)
    assert time.monotonic() - started < 10


# --- tokens ---------------------------------------------------------------------------------------

def test_a_token_label_with_a_line_break_is_refused_and_the_role_is_read_in_any_case(tmp_path):
    config_path = write_config(tmp_path)
    refused = run_kiosk(config_path, "token", "create", "--role", "kiosk", "--label", "door\n1", check=False)
    assert refused.returncode == 2 and "--label" in refused.stderr and "U+000A" in refused.stderr
    made = run_kiosk(config_path, "token", "create", "--role", "Volunteer", "--label", "door-1")
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("vk_") and " " not in token


def test_token_list_shows_a_label_written_elsewhere_on_its_own_line(tmp_path):
    config_path = write_config(tmp_path)
    run_kiosk(config_path, "events")
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as db:
        auth.create_token(sqlite_utils.Database(db), "kiosk", "door\n\x1b[31mred")
    listed = run_kiosk(config_path, "token", "list").stdout
    assert listed.count("\n") == 1 and "\x1b" not in listed and "door\ufffd\ufffd[31mred" in listed

