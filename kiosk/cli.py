"""The `kiosk` command: serve, demo, import, attendees, tickets, export, tokens, printers, forget."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import errno
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path
from typing import Any, Iterator

import click

from . import attendees, audit, auth, checkin, config, events, forget as forgetting, importers, process_locks, reports, tickets
from .audit import CLI
from .db import Store
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

    def open_store(self) -> Store:
        """The store, or a ConfigError naming storage.database: what the config check cannot foresee
        (a /proc path, a file that is not SQLite) would otherwise be a traceback."""
        path = self.settings.database
        try:
            return Store(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise config.ConfigError(config.database_error(path, exc)) from None

    @contextlib.contextmanager
    def door(self) -> Iterator[Door]:
        """The config's evening, made current unless a server runs on the database (see
        ``warn_if_server_elsewhere``)."""
        s = self.settings
        store = self.open_store()
        try:
            master = tickets.load_or_create_secret(s.secret, s.secret_file)
            server_pid = process_locks.other_holder(process_locks.serving(s.database))
            door = Door.open(store, s.event, master, checkin.Limits(s.max_failed_scans, s.failed_scan_window),
                             make_current=server_pid is None)
            if server_pid is not None:
                warn_if_server_elsewhere(door, server_pid)
            yield door
        finally:
            store.close()

    @contextlib.contextmanager
    def reading(self, event_slug: str | None) -> Iterator[tuple[Store, Event]]:
        """The store and the event a report reads: the config's (made current, as every command
        does), or with --event one named by its slug, read as it is: exporting November again
        needs neither November's config back nor moving the door's current evening."""
        if event_slug is None:
            with self.door() as door:
                yield door.store, door.event
            return
        store = self.open_store()
        try:
            with store.read() as db:
                event = event_by_slug(db, event_slug)
            yield store, event
        finally:
            store.close()


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
    """The event with this slug, or one error line listing the slugs there are (`kiosk events`)."""
    known = {event.slug: event for event in events.all_events(db)}
    if slug not in known:
        there = ", ".join(known) if known else "none yet"
        raise click.ClickException(f"no event {slug!r} in the database (see `kiosk events`); events: {there}")
    return known[slug]


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
    ctx.open_store().close()  # a database that cannot be opened stops here, not in gunicorn's worker
    _run_server(ctx.settings, host, port, {})


@cli.command()
@click.option("--host", help="address to listen on (default: [server] host)")
@click.option("--port", type=PORT, help="port (default: [server] port)")
@click.option("--serve/--no-serve", default=True, help="start the server after seeding (default: yes)")
@pass_ctx
def demo(ctx: Context, host: str | None, port: int | None, serve: bool) -> None:
    """Seed the demo evening (237 attendees), make tokens, print the URLs and serve."""
    from .demo import demo_batch

    if serve:
        _listen_port(ctx.settings, port)  # before seeding: a port it cannot serve on changes nothing
    serving = process_locks.hold_serving(ctx.settings.database) if serve else None  # before seeding or tokens
    with ctx.door() as door:
        with door.store.write() as db:
            summary = attendees.upsert_batch(db, door.event, door.master, demo_batch())
            tokens = {role: auth.create_token(db, role, "demo") for role in auth.ROLE_RANK}
            first = db.execute("SELECT ticket_code FROM attendees WHERE event_id = ? AND attending = 1 ORDER BY id LIMIT 1",
                               [door.event.id]).fetchone()[0]
    settings = ctx.settings
    click.echo(f"Demo evening: {door.event.name}, {door.event.date_label} ({summary.added} new, "
               f"{summary.updated + summary.unchanged} already there)")
    click.echo(f"Database: {settings.database}")
    for p in settings.printers:
        click.echo(f"Printer {p.name}: {p.backend} {p.options.get('path', '')}")
    click.echo("PINs: " + ", ".join(f"{role} {pin}" for role, pin in settings.pins.items()))
    click.echo(f"A ticket code to type or scan: {first}")
    for role, token in tokens.items():
        click.echo(f"{role} token: {token}")
    if serve:
        _run_server(settings, host, port, tokens, serving)


def _listen_port(settings: config.Settings, port: int | None) -> int:
    """The port to serve on: --port, else server.port, which may be 0 in a config that only runs
    commands (tests, scripts) but cannot be served on: the kernel would pick a port nobody is told."""
    port = settings.port if port is None else port
    if port == 0:
        raise config.ConfigError("server.port is 0, which serves on a random port: set a port in [server] "
                                 "or give --port")
    return port


def _run_server(settings: config.Settings, host: str | None, port: int | None, tokens: dict[str, str],
                serving: Any = None) -> None:
    """Check that this database has no server yet and the address is free, say where the pages
    are (with a pairing link per token), serve.

    The checks come first so that either is one line, and no "Serving on" before it. `serving`:
    the database's serving lock when the caller took it already (demo, before seeding)."""
    from . import server

    serving = serving or process_locks.hold_serving(settings.database)  # noqa: F841 - held while serving
    _check_generated_certificate(settings)
    host = host or settings.host
    port = _listen_port(settings, port)
    try:
        server.check_address(host, port)
    except server.CannotListen as exc:
        raise click.ClickException(str(exc)) from None
    base = _announce(settings, host, port)
    for role, token in tokens.items():
        click.echo(f"  {role:<10} {base}/pair?token={token}")
    server.serve(settings, host, port)


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
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"{scheme}://{shown}:{port}"
    click.echo(f"Serving on {base}: kiosk {base}/kiosk  display {base}/display  volunteers {base}/volunteer")
    return base


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
    if summary.missing:
        click.echo(missing_sentence(summary))
    if summary.encoding_note():
        click.echo(summary.encoding_note())
    if summary.imported_before:
        click.echo(imported_before_warning(summary.imported_before), err=True)


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


def missing_sentence(summary: attendees.ImportSummary) -> str:
    """What happened to people of earlier lists who are not in this file, naming the first few."""
    names = ", ".join(summary.missing_names)
    more = summary.missing - len(summary.missing_names)
    listed = f"{names} and {more} more" if more else names
    people, were = ("person", "was") if summary.missing == 1 else ("people", "were")
    if summary.missing_removed:
        return f"{summary.missing} {people} from earlier lists not in this file {were} marked not attending: {listed}"
    return (f"{summary.missing} {people} from earlier lists not in this file {were} left as they were "
            f"(still expected): {listed}. If they cancelled, import again with --remove-missing.")


def event_option() -> Any:
    """--event SLUG: read a past (or any) evening instead of the config's, without making it current."""
    return click.option("--event", "event_slug", metavar="SLUG",
                        help="an event's slug (see `kiosk events`) instead of the config's [event]; "
                             "it is read, not made current")


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
    with _writing(folder):
        count, sheet = write(Path(folder), coming, event.name, event.date_label)
        removed = remove_tickets(Path(folder), left_out)
    click.echo(f"Wrote {count} tickets to {folder} and the printable sheet {sheet}")
    if left_out:
        click.echo(left_out_sentence(left_out, removed))


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
    with ctx.reading(event_slug) as (store, event):
        with store.read() as db:
            report = reports.attendance(db, event, _suffix(file))
            counts = headcount(db, event)
        _write_report(file, report)
        with store.write() as db:  # only once the file exists: the trail says what was written
            audit.record(db, CLI, "export", event.id, file="stdout" if file == STDOUT else Path(file).name)
    say_event(event)  # after the write, so a path that cannot be written stays one error line
    as_csv = "" if Path(file).suffix.lower().lstrip(".") in reports.FORMATS else " (as CSV)"
    click.echo(f"Wrote {'the report to stdout' if file == STDOUT else file}{as_csv}: {counts['checked_in']} checked "
               f"in of {counts['expected']} expected, {counts['walk_ins']} walk-ins", err=file == STDOUT)


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


@token.command(name="create")
@click.option("--role", type=click.Choice(list(auth.ROLE_RANK)), required=True)
@click.option("--label", default="", help="what the token is for, e.g. door-1")
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
            click.echo(f"{row['id']:>4}  {row['role']:<10} {state:<32} {row['label']}")


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
    from printers.connections import PrinterError, open_backend
    from printers.escpos_job import build_job, render_preview
    from printers.service import test_badge

    failed = False
    with ctx.door() as door:
        info = test_badge(door.event)
    for p in _printers(ctx, name):
        if _no_printer(p):
            failed = True
            continue
        backend = open_backend({**p.options, "backend": p.backend, "profile": p.profile}, ctx.settings.base_dir)
        try:
            backend.send(build_job(info, p.profile), "test-badge", preview=render_preview(info, p.profile))
            click.echo(f"{p.name}: test badge sent ({p.backend})")
        except PrinterError as exc:
            failed = True
            click.echo(f"{p.name}: {exc}", err=True)
    sys.exit(1 if failed else 0)


@printer.command(name="status")
@click.option("--name", help="printer name (default: every printer)")
@pass_ctx
def printer_status(ctx: Context, name: str | None) -> None:
    """Say whether each printer answers (and its paper, where it reports it)."""
    from printers.connections import open_backend

    failed = False
    for p in _printers(ctx, name):
        if _no_printer(p):
            failed = True
            continue
        status = open_backend({**p.options, "backend": p.backend, "profile": p.profile}, ctx.settings.base_dir).status()
        failed |= not status.online
        click.echo(f"{p.name}: {'online' if status.online else 'NOT ANSWERING'}, paper {status.paper}"
                   + (f" ({status.detail})" if status.detail else ""))
    sys.exit(1 if failed else 0)


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
    with ctx.door() as door, door.store.read() as db:
        for row in forgetting.event_counts(db):
            mark = "*" if row["is_current"] else " "
            click.echo(f"{mark} {row['slug']:<50} {row['checked_in']:>4} came of {row['expected']:>4} expected"
                       f"{'  (personal data forgotten)' if row['forgotten_at'] else ''}")


def main(argv: list[str] | None = None) -> Any:
    """Entry point: a config error is one line on stderr and exit code 2."""
    try:
        return cli.main(args=argv, prog_name="kiosk", standalone_mode=True)
    except config.ConfigError as exc:
        click.echo(f"kiosk: config error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # stdout on a full disk (`kiosk attendees > list.csv`), a terminal gone
        click.echo(f"kiosk: error: {output_error(exc)}", err=True)
        sys.exit(1)


def output_error(exc: OSError) -> str:
    """An OSError no command turned into its own line, as one: the file it names (else it was the
    output, the one thing every command writes without naming it) and why."""
    if exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"cannot write the output: {exc.strerror or exc}"
