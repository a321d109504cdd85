"""The `kiosk` command: serve, demo, import, attendees, tickets, export, tokens, printers, forget."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import errno
import json
import os
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import click

from . import audit, auth, checkin, clock, config, events, forget as forgetting, importers, list_import, process_locks, reports, tickets
from .audit import CLI
from .db import SCHEMA_VERSION, Store, is_damaged, is_locked
from .door import Door
from .events import Event
from .headcount import headcount


class Context:
    """Settings plus a lazily opened store and door for one command."""

    def __init__(self, config_path: str | None = None) -> None:
        self.config_path = config_path
        self._settings: config.Settings | None = None

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load(self.config_path)
            warn_unknown(self._settings)
        return self._settings

    def open_store(self, reading: bool = False) -> Store:
        """The store (`reading`: for a command that only reads, see ``Store``), or a ConfigError
        naming storage.database: what the config check cannot foresee (a /proc path, a file that is
        not SQLite) would otherwise be a traceback."""
        self.check_database()
        path = self.settings.database
        try:
            return Store(path, reading=reading)
        except (sqlite3.DatabaseError, OSError) as exc:
            if is_locked(exc):
                raise  # no config problem: said by main() as the lock it is
            raise config.ConfigError(self._damaged([str(exc)]) if is_damaged(exc) else config.database_error(path, exc)) \
                from None

    def check_database(self) -> None:
        """ConfigError naming storage.database when the file is there but not this kiosk's (another
        program's, a newer kiosk's, not SQLite), or cannot be made, found without making it: `serve`
        and `demo` ask before they take the serving lock or bind, so such a database stops them with
        nothing made."""
        from printers.backend_local import cannot_write_in

        path = self.settings.database
        try:
            refuse_foreign_database(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise config.ConfigError(config.database_error(path, exc)) from None
        problem = None if path.exists() else cannot_write_in(path.parent)  # /proc looks writable to root
        if problem:
            raise config.ConfigError(config.database_error(path, f"no file can be made in {path.parent}: {problem}"))

    def check_intact(self, store: Store) -> None:
        """ConfigError naming storage.database when SQLite finds the file damaged (its quick_check,
        which reads every page once, at start): a server started on such a file answered its first
        scans, then every scan that touched a damaged page with a 500, all evening."""
        try:
            with store.read() as db:
                problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
        if problems != ["ok"]:
            raise config.ConfigError(self._damaged(problems))

    def _damaged(self, problems: list[str]) -> str:
        """The one line for a database file SQLite finds damaged, when opened or checked."""
        return config.database_error(self.settings.database, (
            f"the file is damaged ({'; '.join(problems)}); restore a copy, or try the sqlite3 shell's "
            ".recover into a new file"))

    @contextlib.contextmanager
    def door(self, reading: bool = False) -> Iterator[Door]:
        """The config's evening, made current unless a server runs on the database (see
        ``warn_if_server_elsewhere``). `reading`: for a command that only reads, which answers
        from the last committed state while another process writes (the evening then stays as
        stored: ``Store``)."""
        s = self.settings
        store = self.open_store(reading)
        try:
            server_pid = process_locks.other_holder(process_locks.serving(s.database))
            door = self._open_door(store, make_current=server_pid is None)
            if server_pid is not None:
                warn_if_server_elsewhere(door, server_pid)
            yield door
        finally:
            store.close()

    def _open_door(self, store: Store, make_current: bool) -> Door:
        """The door on the config's evening; an `events` table that is not the kiosk's (a database
        of another program or a damaged one) is the one config line naming storage.database, not a
        traceback from the first query."""
        s = self.settings
        try:
            return Door.open(store, s.event, tickets.load_or_create_secret(s.secret, s.secret_file),
                             checkin.Limits(s.max_failed_scans, s.failed_scan_window), make_current=make_current)
        except sqlite3.DatabaseError as exc:
            if is_locked(exc) and store.reading:
                raise click.ClickException(not_stored_yet(s.event)) from None
            if is_locked(exc):
                raise
            raise config.ConfigError(config.database_error(s.database, exc)) from None

    @contextlib.contextmanager
    def reading(self, event_slug: str | None) -> Iterator[tuple[Store, Event]]:
        """The store and the event a report reads: the config's (made current, as every command
        does), or with --event one named by its slug, read as it is: exporting November again
        needs neither November's config back nor moving the door's current evening."""
        if event_slug is None:
            with self.door(reading=True) as door:
                yield door.store, door.event
            return
        store = self.open_store(reading=True)
        try:
            with store.read() as db:
                event = event_by_slug(db, event_slug)
            yield store, event
        finally:
            store.close()


def not_stored_yet(event: config.EventSettings) -> str:
    """Why a reading command finds no evening to read while another process writes: the config's
    evening is new, and its first import, still being written, is what will store it. The command
    answers at once, so the "busy for over 5 s" every other command says after waiting was untrue."""
    return (f"{event.name} ({event.starts_at.date().isoformat()}) is not in the database yet: another process "
            "(the server, or a kiosk command such as a large import) is writing it, perhaps this evening's "
            "list. Nothing was changed; try again once it is done (storage.database).")


def refuse_foreign_database(path: Path) -> None:
    """ConfigError when the SQLite file at `path` is not one this kiosk may open, found by reading
    it only: opening writes the kiosk's schema into it, which would add a dozen tables to another
    program's database (a wrong `storage.database`), and mark one made by a newer kiosk as this
    version's, for that version to misread later."""
    if not path.is_file() or path.stat().st_size == 0:
        return  # a new database (SQLite's own errors name anything else)
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    if version > SCHEMA_VERSION:
        raise config.ConfigError(config.database_error(
            path, f"it was made by a newer kiosk (schema version {version}; this one reads up to "
                  f"{SCHEMA_VERSION}): run that version, or give this one a database of its own"))
    if tables and "events" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise config.ConfigError(config.database_error(
            path, f"it is another program's SQLite database (tables {shown}), not the kiosk's; it is left as it is"))


def warn_unknown(settings: config.Settings) -> None:
    """One warning line per section or key the kiosk does not read (a misspelt `[printr]` or
    `capacty`), naming what it does read: not an error, since a config may carry other tools' settings."""
    for name in settings.unknown_sections:
        click.echo(f"kiosk: config warning: {settings.path}: {name} is not a kiosk setting "
                   f"and is ignored (kiosk sections: {', '.join(config.SECTIONS)})", err=True)
    for dotted in settings.unknown_keys:
        section = dotted.rsplit(".", 1)[0]
        keys = config.KEYS.get(section, config.PRINTER_KEYS)
        click.echo(f"kiosk: config warning: {settings.path}: {dotted} is not a kiosk setting "
                   f"and is ignored (keys of [{section}]: {', '.join(keys)})", err=True)


def event_by_slug(db: Any, slug: str) -> Event:
    """The event with this slug (or date, or name: ``events.find``), or one error line listing the
    slugs there are (`kiosk events`)."""
    found = events.find(db, slug)
    if found is None:
        there = ", ".join(event.slug for event in events.all_events(db)) or "none yet"
        raise click.ClickException(f"no event {slug!r} in the database (see `kiosk events`); events: {there}")
    return found


def say_event(event: Event) -> None:
    """Name the event on stderr, so a near-miss config (a new, empty evening) shows before anyone trusts the result."""
    click.echo(f"Event: {event.name} ({event.starts_at[:10]})", err=True)


pass_ctx = click.make_pass_decorator(Context)


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Store --config on the one Context all levels share, so the last --config typed wins
    wherever it stands (`kiosk --config C token create` or `kiosk token create --config C`)."""
    if value is not None:  # `--config "$CONF"` with CONF unset must not mean the demo's config
        ctx.ensure_object(Context).config_path = not_empty(ctx, _param, value)


def not_empty(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A path given empty (`kiosk tickets "$DIR"` with DIR unset) is refused: Path("") is the
    current folder, where tickets would land as 250 files, and an empty --config the demo's config."""
    if not value.strip():
        raise click.BadParameter("is empty: give a path", param=param)
    return value


def config_option(envvar: str | None = None) -> click.Option:
    """The --config option. Only the top level reads KIOSK_CONFIG: on a subcommand the variable
    would overwrite a --config typed before the subcommand's name."""
    return click.Option(["--config", "config_path"], envvar=envvar, show_envvar=envvar is not None,
                        type=click.Path(), expose_value=False, callback=_remember_config,
                        help="config file (default: KIOSK_CONFIG or ./config.toml of the project)")


class KioskGroup(click.Group):
    """A group that gives each command added to it, nested groups included, its own --config.

    The contract says every command takes --config PATH, and people type it after the command
    name as often as before it; adding it here keeps one definition for every command."""

    group_class = type  # subgroups (`printer`, `token`) are KioskGroups too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "config_path" for param in cmd.params):
            cmd.params.append(config_option())
        super().add_command(cmd, name)


@click.group(cls=KioskGroup, params=[config_option(envvar="KIOSK_CONFIG")])
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Check-in kiosk and badge service for a meetup door."""
    ctx.ensure_object(Context)


PORT = click.IntRange(1, 65535)  # 0 would listen on a port nobody is told; above 65535, a traceback


@cli.command()
@click.option("--host", help="address to listen on (default: [server] host)")
@click.option("--port", type=PORT, help="port (default: [server] port)")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Run the server (pages, API, websockets) with gunicorn + gevent."""
    ctx.check_database()
    address, serving = _ready_to_serve(ctx.settings, host, port)
    store = ctx.open_store()  # a database that cannot be opened stops here, not in gunicorn's worker
    try:
        ctx.check_intact(store)
    finally:
        store.close()
    _run_server(ctx.settings, address, {}, serving)


@cli.command()
@click.option("--host", help="address to listen on (default: [server] host)")
@click.option("--port", type=PORT, help="port (default: [server] port)")
@click.option("--serve/--no-serve", default=True, help="start the server after seeding (default: yes)")
@pass_ctx
def demo(ctx: Context, host: str | None, port: int | None, serve: bool) -> None:
    """Seed the demo evening (237 attendees), make tokens, print the URLs and serve."""
    from .demo import demo_batch

    # before seeding or tokens: a port it cannot serve on, or a server already on the database, changes nothing
    ctx.check_database()
    address, serving = _ready_to_serve(ctx.settings, host, port) if serve else (None, None)
    with ctx.door() as door:
        with door.store.write() as db:
            summary = list_import.upsert_batch(db, door.event, door.master, demo_batch())
            tokens = {role: auth.create_token(db, role, "demo") for role in auth.ROLE_RANK}
            first = db.execute("SELECT ticket_code FROM attendees WHERE event_id = ? AND attending = 1 ORDER BY id LIMIT 1",
                               [door.event.id]).fetchone()[0]
    settings = ctx.settings
    click.echo(f"Demo evening: {door.event.name}, {door.event.date_label} ({summary.added} new, "
               f"{summary.updated + summary.unchanged} already there)")
    click.echo(f"Database: {settings.database}")
    for p in settings.printers:  # the backend's own name: a file printer's folder in full, wherever run from
        click.echo(f"Printer {p.name}: {printer_backend(p, settings).name}")
    click.echo("PINs: " + ", ".join(f"{role} {pin}" for role, pin in settings.pins.items()))
    click.echo(f"A ticket code to type or scan: {first}")
    for role, token in tokens.items():
        click.echo(f"{role} token: {token}")
    if address is not None:
        _run_server(settings, address, tokens, serving)


def _listen_port(settings: config.Settings, port: int | None) -> int:
    """The port to serve on: --port, else server.port, which may be 0 in a config that only runs
    commands (tests, scripts) but cannot be served on: the kernel would pick a port nobody is told."""
    port = settings.port if port is None else port
    if port == 0:
        raise config.ConfigError("server.port is 0, which serves on a random port: set a port in [server] "
                                 "or give --port")
    return port


def _ready_to_serve(settings: config.Settings, host: str | None, port: int | None) -> tuple[tuple[str, int], Any]:
    """The address to serve on, checked free, and the database's serving lock: before anything is
    written, so that a port in use or a second server is one line and the database is left as it was
    (`kiosk demo` on a busy port seeded the evening and made tokens, then failed; `kiosk serve` made
    the database). Keep the lock for as long as the server runs."""
    from . import server

    address = (host or settings.host, _listen_port(settings, port))
    try:
        server.check_address(*address)
    except server.CannotListen as exc:
        _refuse_if_served(settings.database)  # our own server on that port: say so, it is the clearer reason
        raise click.ClickException(f"{exc} ({_setting_to_check(exc.in_use, host, port)})") from None
    return address, process_locks.hold_serving(settings.database)


def _setting_to_check(in_use: bool, host: str | None, port: int | None) -> str:
    """Which setting to change when the address cannot be taken: the one it came from, flag or key."""
    if in_use:
        return "choose another with --port" if port is not None else "server.port in the config, or --port"
    return "check --host" if host else "check server.host in the config, or give --host"


def _refuse_if_served(database: Path) -> None:
    """AlreadyServing when a kiosk server holds this database (nothing is created to find out)."""
    if process_locks.serving(database).exists():
        lock = process_locks.hold_serving(database, wait=0)
        if lock is not None:
            lock.close()


def _run_server(settings: config.Settings, address: tuple[str, int], tokens: dict[str, str],
                serving: Any) -> None:  # noqa: ARG001 - the lock is held by being referenced until serve returns
    """Say where the pages are (with a pairing link per token) and serve, holding `serving` (the
    database's serving lock, from ``_ready_to_serve``) until the server stops."""
    from . import server

    _check_generated_certificate(settings)
    base = _announce(settings, *address)
    for role, token in tokens.items():
        click.echo(f"  {role:<10} {base}/pair?token={token}")
    server.serve(settings, *address)


def _check_generated_certificate(settings: config.Settings) -> None:
    """With https and no certfile, the self-signed pair made on the first run (config checks a given
    one): a damaged file would crash every server worker as it starts, in a loop of tracebacks."""
    if not settings.https or settings.certfile:
        return
    from .tls import ensure_certificate

    cert, key = ensure_certificate(settings)
    problem = config.certificate_problem(cert, key)
    if problem:
        raise click.ClickException(f"the certificate made for HTTPS, {cert}, cannot be used ({problem}): "
                                   f"delete it and {key.name} to have a new pair made")


def _announce(settings: config.Settings, host: str, port: int) -> str:
    scheme = "https" if settings.https else "http"
    base = f"{scheme}://{url_host(host)}:{port}"
    click.echo(f"Serving on {base}: kiosk {base}/kiosk  display {base}/display  volunteers {base}/volunteer")
    return base


def url_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets (`http://::1:8080/kiosk` is no link
    a browser or a phone opens), and 127.0.0.1 for "every address", which is no address to visit."""
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", type=click.Choice(importers.SOURCES), default="auto", show_default=True)
@click.option("--remove-missing", is_flag=True,
              help="mark people of this platform who are no longer in the list not attending "
                   "(check-ins are kept); without it they are only reported")
@pass_ctx
def import_(ctx: Context, file: str, source: str, remove_missing: bool) -> None:
    """Import or re-import an attendee list; a re-import never loses a check-in."""
    with ctx.door() as door, StageBars() as progress:
        say_event(door.event)
        try:
            summary = door.import_file(file, source, CLI, progress=progress, remove_missing=remove_missing)
        except importers.ImportFileError as exc:
            raise click.ClickException(exc.nothing_imported()) from None
    click.echo(f"Imported {Path(file).name} ({summary.source}): {summary.added} added, {summary.updated} updated, "
               f"{summary.unchanged} unchanged, {summary.not_attending} not attending, "
               f"{summary.kept_check_ins} check-ins kept")
    if summary.merged:
        click.echo(merged_sentence(summary.merged))
    if summary.missing:
        click.echo(missing_sentence(summary))
    if summary.encoding_note():
        click.echo(summary.encoding_note())
    if summary.imported_before:
        click.echo(imported_before_warning(summary.imported_before), err=True)
    for warning in summary.warnings:
        click.echo(f"Warning: {warning}.", err=True)


def still_coming_sentence(still_coming: int) -> str:
    """Of the people marked not attending on this list, those another platform's list still lets in."""
    return f" ({still_coming} of them still expected: another platform's list has them coming)" if still_coming else ""


def merged_sentence(merged: int) -> str:
    """The people this list shares with another platform's, who stay one person each."""
    return (f"{merged} already listed by another platform's list with the same email: one person each, "
            "checked in by either ticket.")


def warn_if_server_elsewhere(door: Door, server_pid: str) -> None:
    """The config moved on to another evening while `kiosk serve` still runs the old one.

    The server reads its evening once, at start: until it is restarted it admits only the old
    evening's tickets, and refuses everyone this command imports as "another evening". So the
    command works on the config's evening without taking the door's current evening from the
    running server, and says so."""
    with door.store.read() as db:
        try:
            served = events.current(db)
        except LookupError:  # a server still starting has not made its evening current yet
            return
    if served.id != door.event.id:
        click.echo(f"Warning: the server running on this database (pid {server_pid}) is serving {served.name} "
                   f"({served.slug}), not the config's evening {door.event.name} ({door.event.slug}). This "
                   f"command works on {door.event.slug}; restart `kiosk serve` for the door to admit its tickets.",
                   err=True)


def imported_before_warning(evening: str) -> str:
    """Last month's file imported into tonight's evening by mistake: say so, and how to undo it."""
    return (f"Warning: this same file was imported before into {evening}, not tonight's evening. If it was "
            f"that evening's list, import tonight's list again with --remove-missing: the people it added "
            f"will be marked not attending.")


class StageBars(contextlib.ExitStack):
    """A progress bar per stage of an import ("Reading", then "Writing"), each with its own total.

    Writing a large list takes longer than reading it, so one bar that ended with the
    reading would sit at 100 % while most of the work was still to come.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stage: str | None = None
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.bar is not None:
                self.bar.render_finish()
            self.stage = stage
            self.bar = self.enter_context(click.progressbar(length=max(total, 1), label=stage, file=sys.stderr))
        self.bar.update(done - self.bar.pos)


def missing_sentence(summary: list_import.ImportSummary) -> str:
    """What happened to people of earlier lists who are not in this file, naming the first few."""
    names = ", ".join(summary.missing_names)
    more = summary.missing - len(summary.missing_names)
    listed = f"{names} and {more} more" if more else names
    people, were = ("person", "was") if summary.missing == 1 else ("people", "were")
    if summary.missing_removed:
        return (f"{summary.missing} {people} from earlier lists not in this file {were} marked not attending: {listed}"
                + still_coming_sentence(summary.missing_still_coming))
    return (f"{summary.missing} {people} from earlier lists not in this file {were} left as they were "
            f"(still expected): {listed}. If they cancelled, import again with --remove-missing.")


def event_option() -> Any:
    """--event SLUG: read a past (or any) evening instead of the config's, without making it current."""
    return click.option("--event", "event_slug", metavar="SLUG",
                        help="an event's slug (see `kiosk events`), date (2026-11-26) or name instead of "
                             "the config's [event]; it is read, not made current")


@cli.command(name="attendees")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@event_option()
@pass_ctx
def list_attendees(ctx: Context, fmt: str, event_slug: str | None) -> None:
    """List tonight's attendees (or, with --event, another evening's)."""
    with ctx.reading(event_slug) as (store, event), store.read() as db:
        rows = reports.attendee_rows(db, event)
    click.echo(json.dumps(rows, ensure_ascii=False, indent=1) if fmt == "json" else reports.to_csv(rows), nl=fmt == "json")


@cli.command(name="tickets")
@click.argument("folder", type=click.Path(), callback=not_empty)  # a file in the way is refused by _writing: one line, exit 1
@click.option("--coming-only", is_flag=True,
              help="leave out people the list says are not coming (the door would refuse their tickets)")
@event_option()
@pass_ctx
def write_tickets(ctx: Context, folder: str, coming_only: bool, event_slug: str | None) -> None:
    """Write each attendee's QR ticket as a PNG, plus sheet.pdf to print (the contract: one per attendee)."""
    from .ticket_images import remove_tickets, write_tickets as write

    with ctx.reading(event_slug) as (store, event), store.read() as db:
        rows = reports.attendee_rows(db, event)
    coming = [row for row in rows if not coming_only or row["status"] == "attending"]
    left_out = [row for row in rows if coming_only and row["status"] != "attending"]
    with _writing(folder), _stopped_as_exit(), _staged(Path(folder)) as staging:
        count, _ = write(staging, coming, event.name, event.date_label)
    with _writing(folder):
        _remove_renamed_tickets(Path(folder), coming)
        removed = remove_tickets(Path(folder), left_out)
    click.echo(f"Wrote {count} tickets to {folder} and the printable sheet {Path(folder) / SHEET}")
    if left_out:
        click.echo(left_out_sentence(left_out, removed))


SHEET = "sheet.pdf"
STAGING = ".tmp-tickets-"
ABANDONED_AFTER = 600  # seconds untouched: a run adds a ticket to its folder every few milliseconds


@contextlib.contextmanager
def _staged(folder: Path) -> Iterator[Path]:
    """A hidden folder inside `folder` to write the tickets into; when the block ends well, each file
    is renamed into `folder` (the sheet last), so a ticket is there whole or not at all. Written in
    place, an interrupted run (Ctrl-C, a kill, a full disk) left a cut-off PNG under the person's
    name, or an earlier good ticket truncated. The hidden folder is removed whatever happens."""
    from printers.backend_local import sync_folder

    if folder.exists() and not folder.is_dir():  # mkdir would say only "File exists"
        raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(folder)
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=folder))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None  # named as typed, not by the hidden folder
    try:
        yield staging
        made = sorted(staging.iterdir(), key=lambda path: path.name == SHEET)
        for path in made:
            os.replace(path, folder / path.name)
        sync_folder(folder)
    except OSError as exc:  # a full disk: the ticket it was writing, named where it was going
        where = folder / Path(exc.filename).name if exc.filename else folder
        raise OSError(exc.errno, exc.strerror, str(where)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned(folder: Path) -> None:
    """The hidden folders of runs that were killed outright (SIGKILL, a power cut), which had no
    chance to remove their own; a folder another run is still filling has just been written to."""
    for left in folder.glob(STAGING + "*"):
        if left.is_dir() and time.time() - left.stat().st_mtime > ABANDONED_AFTER:
            shutil.rmtree(left, ignore_errors=True)


def _remove_renamed_tickets(folder: Path, people: list[dict[str, Any]]) -> None:
    """An earlier run's ticket of someone whose name changed since (same id, other file name): two
    tickets of one person in the folder would be one too many to mail."""
    from .ticket_images import file_name

    for person in people:
        for old in folder.glob(f"{person['id']:04d}-*.png"):
            if old.name != file_name(person):
                old.unlink()


@contextlib.contextmanager
def _stopped_as_exit() -> Iterator[None]:
    """SIGTERM and SIGHUP (a `kill`, a closed terminal) end the command the way Ctrl-C does, through
    its clean-up: by default they end the process at once, leaving the temporary files of a report
    or of the tickets behind."""
    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    wanted = [sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig is not None]
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        wanted = []
    before = {sig: signal.signal(sig, leave) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in before.items():  # None: a handler set outside Python, which cannot be put back
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def left_out_sentence(left_out: list[dict[str, Any]], removed: int) -> str:
    """Who got no ticket and why, so nobody wonders where a name went (and how to get them anyway)."""
    reasons = collections.Counter(row["platform_status"] or "not attending" for row in left_out)
    why = ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common())
    people, are = ("person", "is") if len(left_out) == 1 else ("people", "are")
    gone = f"; removed {removed} ticket(s) of theirs from an earlier run" if removed else ""
    return (f"Left out {len(left_out)} {people} the list says {are} not coming ({why}): the door would refuse "
            f"their tickets{gone}. Without --coming-only everyone's is written.")


@contextlib.contextmanager
def _writing(target: str) -> Iterator[None]:
    """An output path the kiosk cannot write (a missing folder, /proc, a file where a folder
    should be) as one line naming it, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename or target}: {exc.strerror or exc}") from None


def _refuse_own_file(target: str, settings: config.Settings) -> None:
    """Stop an output path that is one of the kiosk's own files (the database, its WAL, the
    ticket-signing secret, the config): `kiosk export data/kiosk.db`, a slip of tab completion,
    would write a report over every evening's history."""
    db = settings.database
    own = {db.with_name(db.name + suffix): "database" for suffix in ("", "-wal", "-shm", "-journal")}
    own.update({settings.secret_file: "ticket-signing secret", settings.path: "config file"})
    resolved = Path(target).resolve()
    for path, what in own.items():
        if path.resolve() == resolved:
            raise click.ClickException(f"cannot write {target}: it is the kiosk's own {what}")


def _suffix(file: str) -> str:
    """The report format a file name asks for: .json and .xlsx by their extension, CSV for any
    other name (a script's `kiosk export attendance` or `report.txt` still gets the report)."""
    suffix = Path(file).suffix.lower().lstrip(".")
    return suffix if suffix in reports.FORMATS else "csv"


STDOUT = "-"


@cli.command()
@click.argument("file", type=click.Path(allow_dash=True), callback=not_empty)  # a folder is refused by _writing: one line, exit 1
@event_option()
@pass_ctx
def export(ctx: Context, file: str, event_slug: str | None) -> None:
    """Write the attendance report: .json (the full report), .xlsx, or CSV for any other name; - is stdout (CSV)."""
    if file != STDOUT:
        _refuse_own_file(file, ctx.settings)
    with _stopped_as_exit(), ctx.reading(event_slug) as (store, event):
        with store.snapshot() as db:
            report = reports.attendance(db, event, _suffix(file))
            counts = headcount(db, event)
        _write_report(file, report)
        _record_export(store, event, file)
    say_event(event)  # after the write, so a path that cannot be written stays one error line
    as_csv = "" if Path(file).suffix.lower().lstrip(".") in reports.FORMATS else " (as CSV)"
    click.echo(f"Wrote {'the report to stdout' if file == STDOUT else file}{as_csv}: {counts['checked_in']} checked "
               f"in of {counts['expected']} expected, {counts['walk_ins']} walk-ins", err=file == STDOUT)


def _record_export(store: Store, event: Event, file: str) -> None:
    """The audit line of an export, only once the file exists: the trail says what was written. On
    a disk that cannot take it (full, read-only) the report stands and the line is said missing:
    the organiser of a laptop that filled up during the evening still gets who came."""
    missed = audit.record_if_writable(store, CLI, "export", event.id,
                                      file="stdout" if file == STDOUT else Path(file).name)
    if missed:
        why = ("another process (the server, or a large import) was writing the database; the export is not "
               "in the audit trail" if is_locked(missed) else missed)
        click.echo(f"kiosk: the report was written, but the audit trail could not record it: {why}", err=True)


def _write_report(file: str, report: bytes) -> None:
    """The report into its file, or onto stdout for `-` (as every Unix tool reads it: `kiosk export - | ...`
    would otherwise leave a file named "-" in the current folder); the summary then goes to stderr."""
    if file == STDOUT:
        stdout = click.get_binary_stream("stdout")
        stdout.write(report)
        stdout.flush()  # a full disk under stdout fails here, before the audit trail says it was written
        return
    try:
        _replace_file(Path(file), report)
    except OSError as exc:  # named by the path typed, not the temporary file it failed in
        raise click.ClickException(f"cannot write {file}: {exc.strerror or exc}") from None


def _replace_file(path: Path, data: bytes) -> None:
    """Put `data` in place of the file at `path` in one step: a full disk or a crash mid-write leaves
    last night's report as it was, not truncated. The file keeps its permissions (a new one gets
    the umask's, as any other tool's would), and a symlink keeps pointing where it did. A FIFO or a
    device (`/dev/stdout`) is written as it is: there is nothing to replace."""
    from printers.backend_local import atomic_write

    try:
        found = path.stat()  # by the kernel, which follows /dev/stdout to a pipe that realpath cannot name
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if found is not None and not stat.S_ISREG(found.st_mode):
        with path.open("wb") as f:
            f.write(data)
        return
    if found is not None and not os.access(path, os.W_OK):  # a report made read-only to keep it stays kept
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    mode = stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()
    atomic_write(Path(os.path.realpath(path)), lambda f: f.write(data), mode=mode)


def _umask() -> int:
    """The process's umask (reading it means setting it: put straight back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


@cli.group()
def token() -> None:
    """Bearer tokens for stations and scripts."""


def one_line_label(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A token's label as one line of text: `token list` shows one token a line, and a newline or an
    escape sequence in a label broke that list or coloured the terminal."""
    try:
        return config.text_line(value, "the label")
    except config.ConfigError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def printable(text: str) -> str:
    """Text for the terminal with its control characters shown as U+FFFD (labels written by the API)."""
    return "".join("\ufffd" if unicodedata.category(ch) in config.CONTROL_CATEGORIES else ch for ch in text)


@token.command(name="create")
@click.option("--role", type=click.Choice(list(auth.ROLE_RANK), case_sensitive=False), required=True)
@click.option("--label", default="", callback=one_line_label, help="what the token is for, e.g. door-1")
@pass_ctx
def token_create(ctx: Context, role: str, label: str) -> None:
    """Print a new token for ROLE, alone on the last line."""
    with ctx.door() as door, door.store.write() as db:
        value = auth.create_token(db, role, label)
        audit.record(db, CLI, "token_create", door.event.id, role=role, label=label)
    click.echo(f"New {role} token (shown once):")
    click.echo(value)


@token.command(name="list")
@pass_ctx
def token_list(ctx: Context) -> None:
    """List tokens (ids, roles, labels; never the secrets)."""
    with ctx.door() as door, door.store.read() as db:
        for row in auth.list_tokens(db):
            state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "live"
            click.echo(f"{row['id']:>4}  {row['role']:<10} {state:<32} {printable(row['label'] or '')}")


@token.command(name="revoke")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))  # SQLite's integers: a bigger one was a traceback
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by id: its stations and paired phones are signed out at once."""
    with ctx.door() as door, door.store.write() as db:
        if not auth.revoke_token(db, token_id):
            raise click.ClickException(f"no live token with id {token_id}")
        audit.record(db, CLI, "token_revoke", door.event.id, token_id=token_id)
    click.echo(f"Revoked token {token_id}")


@cli.group()
def printer() -> None:
    """Test the badge printer."""


@printer.command(name="test")
@click.option("--name", help="printer name (default: every printer)")
@pass_ctx
def printer_test(ctx: Context, name: str | None) -> None:
    """Print a test badge now (not queued), on each printer."""
    from printers.connections import PrinterError
    from printers.escpos_job import build_job, render_preview
    from printers.service import test_badge

    with ctx.door() as door:
        info = test_badge(door.event)
    chosen, _, failed = _chosen_backends(ctx, name)
    for p, backend in chosen:
        try:
            backend.send(build_job(info, p.profile), "test-badge", preview=render_preview(info, p.profile))
            click.echo(f"{p.name}: test badge sent ({p.backend})")
        except PrinterError as exc:
            failed = True
            click.echo(f"{p.name}: {exc}", err=True)
    sys.exit(1 if failed else 0)


def _chosen_backends(ctx: Context, name: str | None) -> tuple[list[tuple[Any, Any]], dict[str, dict[str, Any]], bool]:
    """The chosen printers that have one, each with its backend as the print process knows it; what
    that process stored of each printer; and whether a chosen printer has none (said on stderr)."""
    from printers import states

    known = states.stored(ctx.settings.database)
    chosen, missing = [], False
    for p in _printers(ctx, name):
        if _no_printer(p):
            missing = True
            continue
        chosen.append((p, _backend_as_known(p, ctx.settings, known)))
    return chosen, known, missing


def _backend_as_known(p: Any, settings: Any, known: dict[str, dict[str, Any]]) -> Any:
    """The printer's backend, knowing what the print process stored of it: without that, a test
    badge went into a jammed printer's buffer and was reported sent."""
    from printers.service import as_stored

    backend = printer_backend(p, settings)
    as_stored(backend, known.get(p.name))
    return backend


@printer.command(name="status")
@click.option("--name", help="printer name (default: every printer)")
@pass_ctx
def printer_status(ctx: Context, name: str | None) -> None:
    """Say whether each printer answers (and its paper, where it reports it)."""
    chosen, known, failed = _chosen_backends(ctx, name)
    for p, backend in chosen:
        status = backend.status()
        failing = _last_badge_failed(known.get(p.name, {})) if status.online else ""
        failed |= not status.online or bool(failing)
        detail = failing or (f" ({status.detail})" if status.detail else "")  # not "is ready" beside a failure
        click.echo(f"{p.name}: {_state_word(status)}, paper {status.paper}{detail}")
    sys.exit(1 if failed else 0)


def _last_badge_failed(known: dict[str, Any]) -> str:
    """", but its last badge failed at 19:42: REASON" while the print process's last send to this
    printer failed and none has printed since (it clears the error when one does). A printer that
    answers status yet stops reading mid-badge is "online" to a status query, and every badge fails."""
    error = known.get("last_error")
    if not error:
        return ""
    when = f" at {clock.local_time(known['stored_at'])}" if known.get("stored_at") else ""
    return f", but its last badge failed{when}: {error}"


def _state_word(status: Any) -> str:
    """online; NOT READY when the printer answered that it cannot print (paper, cover), so nobody
    goes looking at cables; NOT ANSWERING when it could not be asked or said nothing."""
    if status.online:
        return "online"
    return "NOT ANSWERING" if status.paper == "unknown" else "NOT READY"


def printer_backend(p: config.PrinterSettings, settings: config.Settings) -> Any:
    """The backend of one configured printer (printers.service.open_printer, as the print workers open it)."""
    from printers.service import open_printer

    return open_printer(p, settings.base_dir)


def _no_printer(p: config.PrinterSettings) -> bool:
    """backend = "none" has no printer to answer or print: say so, and let the exit status say it too
    (a script asking "does the printer answer?" must not be told yes)."""
    if p.backend != "none":
        return False
    click.echo(f"{p.name}: no printer (backend = \"none\"): badges are not printed", err=True)
    return True


def _printers(ctx: Context, name: str | None) -> list[config.PrinterSettings]:
    chosen = [p for p in ctx.settings.printers if name in (None, p.name)]
    if not chosen:
        raise click.ClickException(f"no printer named {name!r}")
    return chosen


@cli.command()
@click.option("--before", "before", help="forget people of events that started before this date (YYYY-MM-DD)")
@click.option("--event", "event_slug", help="forget the people of one event (its slug, see `kiosk events`)")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@pass_ctx
def forget(ctx: Context, before: str | None, event_slug: str | None, yes: bool) -> None:
    """Delete names, emails and companies of past events, keeping the counts."""
    if bool(before) == bool(event_slug):
        raise click.UsageError("give either --before DATE or --event SLUG")
    if before:
        try:
            dt.date.fromisoformat(before)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--before") from None
    with ctx.door() as door:
        with door.store.read() as db:
            try:
                chosen = forgetting.past_events(db, door.event.id, before=before, event_slug=event_slug)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
        if not chosen:
            click.echo("No past evening to forget (tonight's and future ones are never forgotten).")
            return
        click.echo("Forgetting the people of: " + ", ".join(row["slug"] for row in chosen))
        if not yes:
            click.confirm("Their names, emails and companies will be deleted for good. Go on?", abort=True)
        with door.store.write() as db:
            result = forgetting.forget(db, [row["id"] for row in chosen])
            jobs = result.pop("print_jobs")
            audit.record(db, CLI, "forget", None, before=before, event=event_slug, **result)
        door.store.compact()
    folders = [(ctx.settings.base_dir / Path(p.options.get("path", "data/badges")).expanduser()).resolve()
               for p in ctx.settings.printers if p.backend == "file"]  # where the file printer put them, ~ too
    files = forgetting.delete_badge_files(folders, jobs)
    click.echo(f"Forgot {result['attendees']} people in {result['events']} event(s); counts kept; "
               f"{files} badge files deleted.")


@cli.command(name="events")
@pass_ctx
def list_events(ctx: Context) -> None:
    """List every evening in the database with its counts."""
    with ctx.door(reading=True) as door, door.store.read() as db:
        for row in forgetting.event_counts(db):
            mark = "*" if row["is_current"] else " "
            click.echo(f"{mark} {row['slug']:<50} {row['checked_in']:>4} came of {row['expected']:>4} expected"
                       f"{'  (personal data forgotten)' if row['forgotten_at'] else ''}")


def main(argv: list[str] | None = None) -> Any:
    """Entry point: a config error is one line on stderr and exit code 2; an output or database
    error met later is one line and exit code 1."""
    try:
        return cli.main(args=argv, prog_name="kiosk", standalone_mode=True)
    except config.ConfigError as exc:
        click.echo(f"kiosk: config error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # stdout on a full disk (`kiosk attendees > list.csv`), a terminal gone
        click.echo(f"kiosk: error: {output_error(exc)}", err=True)
        sys.exit(1)
    except sqlite3.Error as exc:  # met after opening: a damaged page, a lock held past the busy timeout
        if is_locked(exc):
            click.echo(f"kiosk: {LOCKED}", err=True)
            sys.exit(1)
        click.echo(f"kiosk: database error: {' '.join(str(exc).split())} (storage.database)", err=True)
        sys.exit(1)


LOCKED = ("the database is busy: another process (the server, or another kiosk command such as a large "
          "import) has been writing it for over 5 s. Nothing was changed; try again in a moment (storage.database).")


def output_error(exc: OSError) -> str:
    """An OSError no command turned into its own line, as one: the file it names (else it was the
    output, the one thing every command writes without naming it) and why."""
    if exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"cannot write the output: {exc.strerror or exc}"
