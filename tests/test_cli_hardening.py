"""The command line against what an evening throws at it: a disk that fills while last night's report
is rewritten, an event name pasted with a newline or an escape in it, a one-letter secret, a
variable left empty, and a library that litters the temporary folder."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, kiosk_cmd, run_kiosk, write_config
from kiosk import config as settings
from test_cli_errors import export_entries, one_line

# `kiosk ARGS` with writes past a size limit failing as on a full disk (EFBIG instead of ENOSPC).
# python-escpos writes a 70 kB pickle when first imported: that happens before the limit is set.
LIMITED_KIOSK = """
import resource, signal, sys
from printers import escpos_lib
escpos_lib.capabilities()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from kiosk.cli import main
main(sys.argv[2:])
"""


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`kiosk ARGS` as typed, with extra environment variables (None as a value: left unset)."""
    environ = {**os.environ, **(env or {})}
    return subprocess.run(kiosk_cmd(*args), capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={key: value for key, value in environ.items() if value is not None})


def edited(folder: Path, old: str, new: str, **kw: str) -> Path:
    """The test config with one piece of text replaced (which must be there)."""
    path = write_config(folder, **kw)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    """Temporary files an atomic write left behind."""
    return [path.name for path in folder.iterdir() if path.name.startswith(".tmp-")]


# 1. `kiosk export FILE` replaces the file in one step


def test_a_disk_that_fills_while_the_report_is_rewritten_leaves_the_last_one_whole(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    report = tmp_path / "report.json"
    run_kiosk(config, "export", str(report))
    good = report.read_bytes()
    result = subprocess.run([sys.executable, "-c", LIMITED_KIOSK, str(len(good) // 2), "--config", str(config),
                             "export", str(report)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1
    assert one_line(result) == f"Error: cannot write {report}: File too large"
    assert report.read_bytes() == good and not leftovers(tmp_path)
    assert export_entries(config) == 1  # the failed one is not in the trail


def test_an_export_over_a_report_puts_a_new_file_in_place_with_the_old_ones_permissions(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    kept, new = tmp_path / "november.csv", tmp_path / "december.csv"
    kept.write_text("November's report\n", encoding="utf-8")
    kept.chmod(0o640)
    before = kept.stat().st_ino
    run_kiosk(config, "export", str(kept))
    run_kiosk(config, "export", str(new))
    assert kept.stat().st_ino != before, "written in place, not renamed over: a crash would leave half of it"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_bytes() == new.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask  # as any other tool would make it
    assert new.read_text(encoding="utf-8").startswith("id,name,") and not leftovers(tmp_path)


def test_an_export_through_a_symlink_replaces_the_file_it_points_to(tmp_path):
    config = write_config(tmp_path)
    run_kiosk(config, "events")
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "report.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "report.csv"
    link.symlink_to(target)
    run_kiosk(config, "export", str(link))
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("id,name,")


def test_an_export_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(tmp_path):
    """Nothing to replace there (nor in /dev/stdout): the report goes straight in."""
    config = write_config(tmp_path)
    run_kiosk(config, "events")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    run_kiosk(config, "export", str(fifo))
    reader.join(timeout=30)
    assert got and got[0].startswith(b"id,name,") and stat.S_ISFIFO(fifo.stat().st_mode)


# 2. event texts are one line of text


@pytest.mark.parametrize("toml", [r"\n", r"\r", r"\t", r"\u001b[31m", r"\u0000", r"\u007f", r"\u0085", r"\u2028"])
def test_an_event_name_with_a_control_character_is_one_line_naming_the_key(tmp_path, toml):
    config = edited(tmp_path, 'name = "Test Meetup"', f'name = "Test{toml}Meetup"')
    result = run_kiosk(config, "attendees", check=False)
    assert result.returncode == 2
    assert one_line(result).startswith("kiosk: config error: event.name must be one line of text without "
                                       "control characters: it has U+")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("old,new,key", [
    ('sponsors = ["Gamesys", "Tecknuovo"]', 'sponsors = ["Gamesys", "Teck\\u001bnuovo"]', "event.sponsors[1]"),
    ('title = "Networking', 'title = "Networking\\n', "event.schedule[0].title"),
    ('doors_open = "18:30"', 'doors_open = "18:30"\nvenue = "Shoreditch\\u0000"', "event.venue"),
])
def test_the_other_event_texts_on_pages_and_badges_are_held_to_the_same_rule(tmp_path, old, new, key):
    result = run_kiosk(edited(tmp_path, old, new), "attendees", check=False)
    assert result.returncode == 2 and f"config error: {key} must be one line of text" in one_line(result)


def test_an_event_name_in_any_language_or_with_emoji_is_welcome(tmp_path):
    name = "Café Ελλάδα 東京 Мітап 🎉 👩‍💻 مرحبا"
    config = edited(tmp_path, 'name = "Test Meetup"', f'name = "{name}"')
    assert settings.load(config).event.name == name
    result = run_kiosk(config, "export", "-")
    assert f"Event: {name} (2026-11-26)" in result.stderr.splitlines()


# 3. a configured ticket-signing secret long enough not to be guessed


@pytest.mark.parametrize("secret", ["x", "1234", "fifteen-chars!!", "   short   padded    "])
def test_a_short_secret_is_refused_with_one_line_saying_how_to_make_one(tmp_path, secret):
    config = edited(tmp_path, 'secret = "test-secret-not-for-production"', f'secret = "{secret}"')
    result = run_kiosk(config, "attendees", check=False)
    line = one_line(result)
    assert result.returncode == 2
    assert line.startswith(f"kiosk: config error: security.secret is too short ({len(secret.strip())} character")
    assert f"at least {settings.MIN_SECRET_LENGTH}" in line and "secrets.token_urlsafe(32)" in line
    assert not (tmp_path / "data").exists()


def test_the_way_the_message_gives_to_make_a_secret_makes_one_that_is_taken(tmp_path):
    config = edited(tmp_path, 'secret = "test-secret-not-for-production"', 'secret = "x"')
    line = one_line(run_kiosk(config, "attendees", check=False))
    command = shlex.split(line.split("make one with ", 1)[1].split(", or leave it out", 1)[0])
    assert command[0] == "python3"
    made = subprocess.run([sys.executable, *command[1:]], capture_output=True, text=True, check=True).stdout.strip()
    config.write_text(config.read_text(encoding="utf-8").replace('secret = "x"', f'secret = "{made}"'), encoding="utf-8")
    assert run_kiosk(config, "attendees", "--format", "json").stdout.strip() == "[]"


def test_a_secret_of_the_minimum_length_is_taken_and_one_left_out_is_generated(tmp_path):
    minimum = "s" * settings.MIN_SECRET_LENGTH
    taken = edited(tmp_path / "a", 'secret = "test-secret-not-for-production"', f'secret = "{minimum}"')
    assert settings.load(taken).secret == minimum
    generated = edited(tmp_path / "b", 'secret = "test-secret-not-for-production"', 'secret = ""')
    run_kiosk(generated, "attendees")
    assert len((tmp_path / "b" / "data" / "kiosk.db.secret").read_text().strip()) >= settings.MIN_SECRET_LENGTH


# 4. KIOSK_CONFIG set but empty


def test_an_empty_kiosk_config_is_refused_not_the_demos_config():
    """`KIOSK_CONFIG="$CONF"` with CONF unset: click reads an empty variable as none, and the command
    ran on the repository's config.toml and its database. (`printer status` only reads: were the
    variable ignored again, this test must not write into the repository's data folder.)"""
    result = kiosk("printer", "status", env={"KIOSK_CONFIG": ""})
    assert result.returncode == 2
    assert one_line(result).startswith("kiosk: config error: KIOSK_CONFIG is set but empty: set it to the path")


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_empty_kiosk_config_gives_way_to_config_typed(tmp_path, where):
    path = write_config(tmp_path)
    args = ("--config", str(path), "attendees") if where == "before" else ("attendees", "--config", str(path))
    result = kiosk(*args, "--format", "json", env={"KIOSK_CONFIG": ""})
    assert result.returncode == 0 and result.stdout.strip() == "[]"


def test_load_refuses_an_empty_variable_or_path_and_reads_the_default_when_unset(monkeypatch):
    monkeypatch.setenv("KIOSK_CONFIG", "")
    with pytest.raises(settings.ConfigError, match="KIOSK_CONFIG is set but empty"):
        settings.load()
    with pytest.raises(settings.ConfigError, match="config path is empty"):
        settings.load("")
    monkeypatch.delenv("KIOSK_CONFIG")
    assert settings.config_path() == settings.DEFAULT_CONFIG


# 5. python-escpos leaves nothing in the temporary folder


def test_printing_leaves_the_temporary_folder_as_it_found_it(tmp_path):
    """python-escpos makes a folder on import (for a pickle of its printer profiles) and never
    removes it: one more `tmpXXXXXXXX` per command, thousands over a season of evenings."""
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = kiosk("--config", str(config), "printer", "test", env={"TMPDIR": str(scratch)})
    assert result.returncode == 0 and (tmp_path / "badges" / "test-badge.bin").exists()
    assert list(scratch.iterdir()) == []


def test_a_pickle_folder_the_user_names_is_used_and_the_temporary_folder_stays_clean(tmp_path):
    config = write_config(tmp_path, printer='backend = "file"\npath = "badges"')
    scratch, cache = tmp_path / "tmp", tmp_path / "cache"
    scratch.mkdir()
    cache.mkdir()
    env = {"TMPDIR": str(scratch), "ESCPOS_CAPABILITIES_PICKLE_DIR": str(cache)}
    assert kiosk("--config", str(config), "printer", "test", env=env).returncode == 0
    assert list(scratch.iterdir()) == [] and [p.suffix for p in cache.iterdir()] == [".pickle"]
