"""Fixtures that make tests read like the evening: a real server on 127.0.0.1, real clients.

`server` runs the app in this process behind Werkzeug's threaded server on a free
loopback port (real sockets, real websockets); `kiosk_process` runs the real
`kiosk serve` (gunicorn + gevent) as a subprocess, for crash and race tests.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from kiosk import auth, config, list_import
from kiosk.app import create_app
from kiosk.demo import demo_batch

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns failures
PINS = {"kiosk": "1111", "volunteer": "2468", "organizer": "13579"}


def wait_until(predicate: Callable[[], Any], timeout: float = 8.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; its value, or AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def print_job(srv: Any, attendee_id: int) -> dict:
    """The print queue's row for an attendee's (first) badge, as stored."""
    with srv.state.store.read() as db:
        return dict(db.execute("SELECT * FROM print_jobs WHERE attendee_id = ? ORDER BY id", [attendee_id]).fetchone())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ONE_TALK = '[{ time = "19:10", title = "Networking Monitoring at Scale" }]'


def write_config(folder: Path, port: int = 0, capacity: int = 0, printer: str = "backend = \"none\"",
                 extra: str = "", max_failed_scans: int = 1000, schedule: str = ONE_TALK) -> Path:
    """A config for one test: loopback only, its own database, a fixed secret; `schedule` is TOML."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(f"""
[event]
name = "Test Meetup"
starts_at = "2026-11-26T18:30:00+00:00"
doors_open = "18:30"
capacity = {capacity}
sponsors = ["Gamesys", "Tecknuovo"]
schedule = {schedule}

[server]
host = "127.0.0.1"
port = {port}

[storage]
database = "data/kiosk.db"

[printer]
{printer}

[security]
secret = "test-secret-not-for-production"
kiosk_pin = "{PINS['kiosk']}"
volunteer_pin = "{PINS['volunteer']}"
organizer_pin = "{PINS['organizer']}"
max_failed_scans = {max_failed_scans}
{extra}
""", encoding="utf-8")
    return path


@dataclass
class Server:
    """A running kiosk server plus the handles tests need (tokens, the app state)."""

    url: str
    config_path: Path
    app: Any = None
    tokens: dict[str, str] = field(default_factory=dict)
    _stop: Any = None

    @property
    def state(self) -> Any:
        return self.app.extensions["kiosk"]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def client(self, role: str | None) -> requests.Session:
        """An HTTP session sending the role's bearer token (None: no credentials)."""
        session = requests.Session()
        if role:
            session.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return session

    def get(self, path: str, role: str | None = "organizer", **kw: Any) -> requests.Response:
        return self.client(role).get(self.url + path, timeout=10, **kw)

    def post(self, path: str, role: str | None = "organizer", **kw: Any) -> requests.Response:
        return self.client(role).post(self.url + path, timeout=10, **kw)

    def delete(self, path: str, role: str | None = "organizer", **kw: Any) -> requests.Response:
        return self.client(role).delete(self.url + path, timeout=10, **kw)

    def scan(self, code: Any, station: str = "door-1", nonce: str | None = None, role: str = "kiosk") -> requests.Response:
        body: dict[str, Any] = {"code": code, "station": station}
        if nonce:
            body["nonce"] = nonce
        return self.post("/api/checkins", role, json=body)

    def seed_demo(self) -> None:
        """The 237 people of the seed evening."""
        door = self.state.door
        with door.store.write() as db:
            list_import.upsert_batch(db, door.event, door.master, demo_batch())
        door.external_change()  # written behind the door's back: refresh the screens' counts

    def people(self, attending: bool = True) -> list[dict[str, Any]]:
        with self.state.store.read() as db:
            rows = db.execute("SELECT * FROM attendees WHERE event_id = ? AND attending = ? ORDER BY id",
                              [self.state.door.event.id, 1 if attending else 0])
            return [dict(r) for r in rows]

    def stop(self) -> None:
        if self._stop:
            self._stop()


def make_tokens(app: Any) -> dict[str, str]:
    with app.extensions["kiosk"].store.write() as db:
        return {role: auth.create_token(db, role, f"test-{role}") for role in auth.ROLE_RANK}


def start_in_process(config_path: Path) -> Server:
    """create_app + Werkzeug's threaded server on a free loopback port, in a thread."""
    from werkzeug.serving import make_server

    app = create_app(config.load(config_path))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        """Stop serving and let go of the socket, the print threads and the database's connections:
        one pytest process starts hundreds of these, and leaked descriptors pile up past 1,024
        (where select(), used by pyserial, fails)."""
        state = app.extensions["kiosk"]
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
        if state.print_pool is not None:
            state.door.feed.publish("refresh", {})  # wakes the idle print threads now, not at their next 1 s look
            state.print_pool.close()
        state.store.close()

    return Server(url=f"http://127.0.0.1:{httpd.server_port}", config_path=config_path, app=app,
                  tokens=make_tokens(app), _stop=stop)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server with the demo evening's 237 attendees."""
    srv = start_in_process(write_config(tmp_path))
    srv.seed_demo()
    yield srv
    srv.stop()


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server with nobody imported yet."""
    srv = start_in_process(write_config(tmp_path))
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    """Factory: a server with a custom config (capacity, printer, limits)."""
    started: list[Server] = []

    def make(name: str = "srv", seed: bool = True, **config_kw: Any) -> Server:
        srv = start_in_process(write_config(tmp_path / name, **config_kw))
        if seed:
            srv.seed_demo()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def kiosk_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kiosk", *args]


def run_kiosk(config_path: Path, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `kiosk` command line with a config; output captured as text."""
    result = subprocess.run(kiosk_cmd("--config", str(config_path), *args), capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"kiosk {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class KioskProcess:
    """`kiosk serve` (gunicorn + gevent) in a subprocess."""

    config_path: Path
    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "KioskProcess":
        self.proc = subprocess.Popen(kiosk_cmd("--config", str(self.config_path), "serve", "--port", str(self.port)),
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/headcount", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                raise AssertionError(f"kiosk serve exited: {self.proc.stderr.read().decode()}")
        raise AssertionError("kiosk serve did not answer in time")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and worker, no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def kiosk_process(tmp_path: Path) -> Iterator[Any]:
    """Factory: seed a config's database with the demo evening and start `kiosk serve` on it."""
    procs: list[KioskProcess] = []

    def make(seed: bool = True, **config_kw: Any) -> tuple[KioskProcess, dict[str, str]]:
        port = free_port()
        path = write_config(tmp_path / f"proc{len(procs)}", port=port, **config_kw)
        tokens = {}
        if seed:
            run_kiosk(path, "demo", "--no-serve")
        for role in auth.ROLE_RANK:
            tokens[role] = run_kiosk(path, "token", "create", "--role", role).stdout.strip().splitlines()[-1]
        proc = KioskProcess(path, port).start()
        procs.append(proc)
        return proc, tokens

    yield make
    for proc in procs:
        proc.stop()
