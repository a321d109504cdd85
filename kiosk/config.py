"""config.toml -> a validated, typed settings object.

Every command takes ``--config PATH`` (or ``KIOSK_CONFIG``). Relative paths in a
config file resolve against that file's folder, so a config can be moved with its
data. A wrong config stops start-up with one line that names the key.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import ssl
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .network import host_shape_problem

ROLES = ("kiosk", "volunteer", "organizer")
SECTIONS = ("event", "server", "storage", "printer", "printers", "security")
PRINTER_KEYS = ("backend", "profile", "stations", "path", "host", "port", "timeout", "vendor_id", "product_id",
                "in_ep", "out_ep", "device", "baudrate", "queue", "printer_name")
# The keys each section reads: any other is named in a warning (a misspelt `capacty = 250` would
# otherwise mean no capacity limit without a word). [printers.NAME] tables take PRINTER_KEYS.
KEYS = {
    "event": ("name", "starts_at", "doors_open", "capacity", "ends_at", "venue", "schedule", "sponsors"),
    "server": ("host", "port", "https", "certfile", "keyfile"),
    "storage": ("database",),
    "printer": PRINTER_KEYS,
    "security": ("secret", "kiosk_pin", "volunteer_pin", "organizer_pin", "max_failed_scans", "failed_scan_window"),
}
# Upper bounds for counts and seconds: SQLite and the rate limiter hold at most 64 and 32 bits, and a
# bigger number in a config was a traceback (OverflowError) instead of a line naming the key.
MAX_COUNT = 1_000_000
MAX_WINDOW = 86_400  # a day, in seconds
# Control characters (C0 with tab and newline, DEL, C1) and the Unicode line and paragraph
# separators, which break a line as a newline does. Format characters (Cf) stay allowed: the
# zero-width joiner (U+200D) holds emoji sequences together, and right-to-left names need their marks.
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
CLOCK = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
CONFIG_ENV = "KIOSK_CONFIG"
# A config is a page of text: a path given by mistake to a log or a disk image was read whole into
# memory (3 GB took 20 s and twice that in memory before "not valid TOML").
MAX_CONFIG_BYTES = 1024 * 1024
# A configured ticket-signing secret shorter than this is refused: tickets are HMACs keyed by it, and
# anyone holding one ticket can test guesses of a short secret offline, then forge any ticket. 16
# characters is a floor against a placeholder or a PIN typed there, not a measure of randomness; the
# secret generated on first run is 43 (32 random bytes, URL-safe base64).
MIN_SECRET_LENGTH = 16
MAKE_SECRET = "python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""


class ConfigError(ValueError):
    """A config problem, worded as one line that names the key."""


@dataclass(frozen=True)
class EventSettings:
    name: str
    starts_at: dt.datetime
    doors_open: str
    capacity: int
    ends_at: str = ""
    venue: str = ""
    schedule: tuple[tuple[str, str], ...] = ()
    sponsors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrinterSettings:
    name: str
    backend: str
    profile: str
    options: Mapping[str, Any]
    stations: tuple[str, ...] = ()
    address: str = ""  # where it is, as its backend names it ("serial /dev/ttyUSB0")


@dataclass(frozen=True)
class Settings:
    path: Path
    event: EventSettings
    host: str
    port: int
    https: bool
    certfile: Path | None
    keyfile: Path | None
    database: Path
    printers: tuple[PrinterSettings, ...]
    secret: str | None
    pins: Mapping[str, str]
    max_failed_scans: int = 20
    failed_scan_window: int = 60
    extra: Mapping[str, Any] = field(default_factory=dict)
    unknown_keys: tuple[str, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def unknown_sections(self) -> list[str]:
        """Top-level tables and keys the kiosk does not read, as `[name]` or `name`: a misspelt
        `[printr]` would otherwise mean no printer without a word. Not an error, because a config
        may carry sections for other tools."""
        return [f"[{name}]" if isinstance(value, Mapping) else name for name, value in self.extra.items()]

    @property
    def secret_file(self) -> Path:
        """Where a generated ticket-signing secret is kept: beside the database."""
        return self.database.with_name(self.database.name + ".secret")


def config_path(cli_value: str | None = None) -> Path:
    """--config wins over KIOSK_CONFIG, which wins over the repository's config.toml.

    Either one set but empty is refused: `KIOSK_CONFIG="$CONF"` with CONF unset (click reads an
    empty variable as no variable) would otherwise run on the demo's config and its database."""
    if cli_value is not None:
        if not cli_value.strip():
            raise ConfigError("the config path is empty: give the path of a config file (--config)")
        raw = cli_value
    else:
        raw = os.environ.get(CONFIG_ENV, str(DEFAULT_CONFIG))
        if not raw.strip():
            raise ConfigError(f"{CONFIG_ENV} is set but empty: set it to the path of a config file, "
                              f"or unset it to use {DEFAULT_CONFIG}")
    return Path(raw).expanduser().resolve()


def load(path: str | os.PathLike | None = None) -> Settings:
    """Read and validate a config file; raises ConfigError naming the key."""
    p = config_path(None if path is None else str(path))
    if p.is_dir():
        raise ConfigError(f"config file {p} is a folder; give the path of its config.toml (--config or KIOSK_CONFIG)")
    if p.exists() and not p.is_file():  # a FIFO or a device would block or be read as the config
        raise ConfigError(f"config file {p} is not a regular file (--config or KIOSK_CONFIG)")
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist (--config or KIOSK_CONFIG)")
    try:
        raw = tomllib.loads(_text(p))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
    return parse(raw, p)


def _text(p: Path) -> str:
    """The config's text, as UTF-8 without the BOM Notepad writes at the start (tomllib stops at it,
    "line 1, column 1", which looks like nothing). Other bytes that are not UTF-8 are named by line."""
    try:
        with p.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"config file {p} cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {p} is larger than {MAX_CONFIG_BYTES // 1024} KiB: not a kiosk config "
                          "(--config or KIOSK_CONFIG)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"config file {p} line {line} is not UTF-8 text: save the file as UTF-8") from None


def parse(raw: Mapping[str, Any], path: Path) -> Settings:
    """Turn the TOML mapping into Settings, resolving relative paths against path's folder."""
    base = path.parent
    server = _section(raw, "server")
    storage = _section(raw, "storage")
    security = _section(raw, "security")
    https = _bool(server, "server.https", False)
    certfile, keyfile = _tls_pair(server, base)
    return Settings(
        path=path,
        event=_event(_section(raw, "event")),
        host=_listen_host(server),
        port=_port(server, "server.port", 8080),
        https=https,
        certfile=certfile,
        keyfile=keyfile,
        database=_database(storage, base),
        printers=_printers(raw, base),
        secret=_secret(security),
        pins=_pins(security),
        max_failed_scans=_int(security, "security.max_failed_scans", 20, minimum=1, maximum=MAX_COUNT),
        failed_scan_window=_int(security, "security.failed_scan_window", 60, minimum=1, maximum=MAX_WINDOW),
        extra={k: v for k, v in raw.items() if k not in SECTIONS},
        unknown_keys=_unknown_keys(raw),
    )


def _unknown_keys(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Keys of the kiosk's own sections that nothing reads, dotted (`event.capacty`): a warning, not
    an error, like an unknown section; schedule entries and printer tables are checked where read."""
    tables = [(name, raw.get(name), keys) for name, keys in KEYS.items()]
    printers = raw.get("printers")
    if isinstance(printers, Mapping):
        tables += [(f"printers.{name}", sec, PRINTER_KEYS) for name, sec in printers.items()]
    return tuple(f"{name}.{key}" for name, sec, keys in tables if isinstance(sec, Mapping)
                 for key in sec if key not in keys)


def _section(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _key(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def _str(sec: Mapping[str, Any], dotted: str, default: str | None = None) -> str:
    value = sec.get(_key(dotted), default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ConfigError(f"{dotted} must be a non-empty string")
    return value


def _opt_str(sec: Mapping[str, Any], dotted: str) -> str | None:
    value = sec.get(_key(dotted))
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{dotted} must be a string")
    return value


def _int(sec: Mapping[str, Any], dotted: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    value = sec.get(_key(dotted), default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        bound = f" between {minimum} and {maximum}" if maximum is not None else f" >= {minimum}"
        raise ConfigError(f"{dotted} must be a whole number{bound}, got {value!r}")
    return value


def _bool(sec: Mapping[str, Any], dotted: str, default: bool) -> bool:
    value = sec.get(_key(dotted), default)
    if not isinstance(value, bool):
        raise ConfigError(f"{dotted} must be true or false, got {value!r}")
    return value


def _port(sec: Mapping[str, Any], dotted: str, default: int) -> int:
    return _int(sec, dotted, default, minimum=0, maximum=65535)


def _listen_host(server: Mapping[str, Any]) -> str:
    """server.host: a host name or IP address to serve on (``network.host_shape_problem``)."""
    host = _nonempty(server, "server.host", "127.0.0.1")
    problem = host_shape_problem(host, "server.port")
    if problem:
        raise ConfigError(f"server.host must be {problem}, got {host!r}")
    return host


def _path(sec: Mapping[str, Any], dotted: str, base: Path, default: str) -> Path:
    """A path relative to the config's folder; `~` is the home folder, as for a file printer's path
    (not a folder named `~` beside the config)."""
    return (base / Path(_nonempty(sec, dotted, default)).expanduser()).resolve()


def _nonempty(sec: Mapping[str, Any], dotted: str, default: str) -> str:
    """A string with a default that may be left out but not given empty: `host = ""` would listen
    on every interface, `database = ""` would name the config's folder."""
    value = _str(sec, dotted, default)
    if not value.strip():
        raise ConfigError(f"{dotted} must not be empty (leave it out for {default!r})")
    return value


def _database(storage: Mapping[str, Any], base: Path) -> Path:
    """storage.database, checked before anything opens it: a folder, or a place the kiosk cannot
    write (SQLite also writes -wal and -shm files beside the database), would otherwise surface
    as a traceback from deep in the store, or as a server worker that fails to boot."""
    path = _path(storage, "storage.database", base, "data/kiosk.db")
    problem = _database_problem(path)
    if problem:
        raise ConfigError(database_error(path, problem))
    return path


def database_error(path: Path, problem: object) -> str:
    """The one line for a database path that cannot be used (the CLI uses it for SQLite's errors too)."""
    return f"storage.database: cannot open {path} as a database: {problem}"


def _database_problem(path: Path) -> str | None:
    """Why the database at `path` could not be opened for writing, or None when it looks usable."""
    if path.is_dir():
        return "it is a folder"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return "the file is read-only"
    folder = path.parent
    while not folder.exists():  # the store creates missing folders: the nearest existing one decides
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is read-only"
    return None


def _opt_path(sec: Mapping[str, Any], dotted: str, base: Path) -> Path | None:
    value = _opt_str(sec, dotted)
    if value is None:
        return None
    resolved = (base / Path(value).expanduser()).resolve()  # `~` is the home folder, as for every path
    if not resolved.is_file():
        raise ConfigError(f"{dotted}: file {resolved} does not exist")
    return resolved


def _tls_pair(server: Mapping[str, Any], base: Path) -> tuple[Path | None, Path | None]:
    """server.certfile and server.keyfile: both or neither (one alone was ignored, and a self-signed
    certificate served instead), and a pair that loads: a wrong file crashed every server worker as
    it started, in a loop of tracebacks under "Serving on"."""
    cert, key = _opt_path(server, "server.certfile", base), _opt_path(server, "server.keyfile", base)
    if (cert is None) != (key is None):
        given, missing = ("server.certfile", "server.keyfile") if key is None else ("server.keyfile", "server.certfile")
        raise ConfigError(f"{missing} is missing: {given} needs it (leave both out for a self-signed certificate)")
    problem = certificate_problem(cert, key) if cert and key else None
    if problem:
        raise ConfigError(f"server.certfile/server.keyfile: {cert} and {key} are not a PEM certificate and "
                          f"its private key ({problem})")
    return cert, key


def certificate_problem(cert: Path, key: Path) -> str | None:
    """Why this certificate and key cannot serve HTTPS (not PEM, a key of another certificate), or None."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        return exc.strerror or str(exc)
    return None


def _event(sec: Mapping[str, Any]) -> EventSettings:
    starts = _starts_at(sec.get("starts_at"))
    return EventSettings(
        name=text_line(_str(sec, "event.name"), "event.name"),
        starts_at=starts,
        doors_open=_clock(sec, "event.doors_open", starts.strftime("%H:%M")),
        capacity=_int(sec, "event.capacity", 0, maximum=MAX_COUNT),
        ends_at=_clock(sec, "event.ends_at", ""),
        venue=text_line(_str(sec, "event.venue", ""), "event.venue"),
        schedule=_schedule(sec.get("schedule", [])),
        sponsors=_sponsors(sec.get("sponsors", [])),
    )


def _starts_at(value: Any) -> dt.datetime:
    """event.starts_at as a string, or as TOML's own date-time (written without quotes); either way
    with a UTC offset, since arrival times are stored in UTC and reported at the evening's offset."""
    if isinstance(value, str) and value.strip():
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(f"event.starts_at must be ISO 8601 with an offset, "
                              f"e.g. 2026-11-26T18:30:00+00:00, got {value!r}") from None
    if not isinstance(value, dt.datetime):
        got = "it is missing" if value is None else f"got {value!r}"
        raise ConfigError(f"event.starts_at must be a date and time with a UTC offset, "
                          f"e.g. \"2026-11-26T18:30:00+00:00\"; {got}")
    if value.tzinfo is None:
        raise ConfigError(f"event.starts_at needs a time with a UTC offset, e.g. {value:%Y-%m-%dT%H:%M:%S}+00:00")
    return value


def _clock(sec: Mapping[str, Any], dotted: str, default: str | None) -> str:
    """A time of day as HH:MM (TOML's own time, `18:30:00` without quotes, too): the door display
    shows it as written, so "25:00" or "half six" would be shown to the queue. No default: required."""
    value = sec.get(_key(dotted), default)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if (default is not None and value == default) or (isinstance(value, str) and CLOCK.fullmatch(value.strip())):
        return value.strip()
    raise ConfigError(f"{dotted} must be a time of day as HH:MM, e.g. \"18:30\", got {value!r}")


def _schedule(items: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list):
        raise ConfigError("event.schedule must be a list of {time, title} tables")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("title"), str):
            raise ConfigError(f"event.schedule[{i}] needs a time and a title (strings)")
        time = _clock(item, f"event.schedule[{i}].time", None)
        out.append((time, text_line(item["title"], f"event.schedule[{i}].title")))
    return tuple(out)


def _sponsors(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise ConfigError("event.sponsors must be a list of names")
    return tuple(text_line(name, f"event.sponsors[{i}]") for i, name in enumerate(items))


def text_line(value: str, dotted: str) -> str:
    """Text shown on badges, pages and the terminal, as one line without control characters: TOML
    lets `"\\n"`, `"\\u001b"` or `"\\u0000"` through, and they would break a badge's layout, colour a
    terminal or cut a line short. Tabs too. Any other Unicode (accents, Greek, CJK, emoji) is welcome."""
    for position, char in enumerate(value, 1):
        if unicodedata.category(char) in CONTROL_CATEGORIES:
            raise ConfigError(f"{dotted} must be one line of text without control characters: "
                              f"it has U+{ord(char):04X} at character {position}")
    return value


def _printers(raw: Mapping[str, Any], base: Path) -> tuple[PrinterSettings, ...]:
    """[printer] is one printer; [printers.NAME] tables declare several."""
    tables: list[tuple[str, str, Mapping[str, Any]]] = []
    if "printer" in raw:
        tables.append(("default", "printer", _section(raw, "printer")))
    for name, sec in _section(raw, "printers").items():
        if not isinstance(sec, Mapping):
            raise ConfigError(f"[printers.{name}] must be a table")
        tables.append((name, f"printers.{name}", sec))
    if not tables:
        tables.append(("default", "printer", {"backend": "none"}))
    _check_unique_names(tables)
    printers = tuple(_printer(name, prefix, sec, base) for name, prefix, sec in tables)
    _check_one_name_per_printer(printers, [prefix for _, prefix, _ in tables])
    return printers


def _check_unique_names(tables: list[tuple[str, str, Mapping[str, Any]]]) -> None:
    """Printer states and the console are keyed by name: two printers called the same would show
    as one card, and one printer's failure would hide behind the other's state."""
    first: dict[str, str] = {}
    for name, prefix, _ in tables:
        if name in first:
            raise ConfigError(f"{prefix}: a printer named {name!r} is already defined by [{first[name]}]; "
                              "give each printer its own name")
        first[name] = prefix


SHARED_OK = ("none", "file", "cups")  # a folder or a CUPS queue takes jobs from several writers


def _check_one_name_per_printer(printers: tuple[PrinterSettings, ...], prefixes: list[str]) -> None:
    """Two printer tables must not name one network, serial or USB printer: each has its own worker,
    and the two sent to it at once. On a serial port their bytes mixed, a badge's answer went
    to the other's query, and badges came out twice (and cut into each other); the console
    showed one printer as two cards."""
    first: dict[str, str] = {}
    for printer, prefix in zip(printers, prefixes):
        if printer.backend in SHARED_OK:
            continue
        address = _printer_address(printer.address)
        if address in first:
            raise ConfigError(f"{prefix} is the same printer as [{first[address]}] ({address}): two printers "
                              "cannot share one; give one printer several stations instead "
                              "(stations = [\"door-1\", \"door-2\"])")
        first[address] = prefix


def _printer_address(name: str) -> str:
    """A backend's name (``serial /dev/ttyUSB0``) with a device path resolved: a symlink such as
    /dev/serial/by-id/... names the same port as the device it points to."""
    kind, _, where = name.partition(" ")
    if kind == "serial":
        where = os.path.realpath(where)
    return f"{kind} {where.lower() if kind == 'network' else where}"


def _printer(name: str, prefix: str, sec: Mapping[str, Any], base: Path) -> PrinterSettings:
    """Checked by the printers package itself (nothing connects), so its rules live in one place."""
    from printers.connections import BACKENDS, PrinterConfigError, open_backend

    if sec and "backend" not in sec:  # keys for a printer but no backend would silently mean "none"
        raise ConfigError(f"{prefix}.backend is required when [{prefix}] has other keys "
                          f"(one of {', '.join(BACKENDS)})")
    try:
        address = open_backend(sec, base, prefix).name
    except PrinterConfigError as exc:
        raise ConfigError(str(exc)) from None
    stations = sec.get("stations", [])
    if not isinstance(stations, list) or not all(isinstance(s, str) for s in stations):
        raise ConfigError(f"{prefix}.stations must be a list of station names")
    return PrinterSettings(name=name, backend=sec.get("backend", "none"), profile=str(sec.get("profile", "TM-T20II")),
                           options=dict(sec), stations=tuple(stations), address=address)


def _secret(sec: Mapping[str, Any]) -> str | None:
    """security.secret, when set, long enough that a ticket cannot be forged by guessing it
    (left out or empty: one is generated on first run and kept beside the database)."""
    value = _opt_str(sec, "security.secret")
    if value is not None and len(value.strip()) < MIN_SECRET_LENGTH:
        length = len(value.strip())
        raise ConfigError(f"security.secret is too short ({length} character{'' if length == 1 else 's'}; at least "
                          f"{MIN_SECRET_LENGTH}): make one with {MAKE_SECRET}, or leave it out to have one "
                          "generated beside the database (tickets signed with the old secret stop scanning)")
    return value


def _pins(sec: Mapping[str, Any]) -> dict[str, str]:
    pins = {}
    for role in ROLES:
        key = f"{role}_pin"
        value = sec.get(key)
        if value is None:
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).isdigit() or len(str(value)) < 4:
            raise ConfigError(f"security.{key} must be at least 4 digits")
        pins[role] = str(value)
    if len(set(pins.values())) != len(pins):
        raise ConfigError("security.*_pin: each role needs its own PIN")
    return pins
