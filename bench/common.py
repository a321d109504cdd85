"""Shared helpers for the benches: a throw-away event, `kiosk serve` in a subprocess, /proc readings.

Everything runs on 127.0.0.1. Every wait here is bounded in time; every loop in count.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
RESULTS = BENCH / "RESULTS.md"
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")

FIRST = ["Ada", "Sérgio", "Zoë", "Oluwaseun", "Björn", "Khai", "Małgorzata", "François", "Siobhán", "Li",
         "Dmitri", "Anna", "José", "Priya", "Tomasz", "Yuki", "Fatima", "Øystein", "Chidi", "Maria"]
LAST = ["Lovelace", "Gonçalves", "Nguyễn", "Adeyemi", "Þórsdóttir", "van der Berg", "O'Brien", "Smith",
        "Brzęczyszczykiewicz", "Ng", "Ivanova", "Kowalski", "Tanaka", "Haddad", "Okafor", "Rossi"]
COMPANIES = ["", "Gamesys", "Tecknuovo", "Python Software Foundation", "Acme Ltd",
             "Very Long Company Name International Holdings plc", "Freelance"]


# ---------------------------------------------------------------- small utilities

def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict[str, str]:
    """nproc, CPU model, Python, OS: printed with every table."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count() or "?"), "cpu": model, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}",
            "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "code": code_version()}


def code_version() -> str:
    """The commit measured, and whether the product code (kiosk/, printers/) had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kiosk", "printers", "web"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def machine_line(info: dict[str, str] | None = None) -> str:
    info = info or machine()
    return (f"{info['date']}; code {info['code']}; {info['nproc']} cores ({info['cpu']}), Python {info['python']}, "
            f"{info['os']}; client and server on the same cores")


# ---------------------------------------------------------------- /proc readings

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process in kB; {} when it is gone."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    """Direct children of a process (from every thread's children list)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return sorted(set(found))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def system_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), for "other load" readings."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    values = [int(v) for v in fields[:8]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK  # minus idle and iowait


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores the machine keeps busy right now (sampled over `seconds`)."""
    before, start = system_cpu(), time.monotonic()
    time.sleep(seconds)
    return (system_cpu() - before) / max(time.monotonic() - start, 1e-9)


def wait_for_quiet(max_wait: float = 60, threshold: float = 0.25) -> float:
    """Wait (bounded) until other processes use under `threshold` cores; returns the last reading."""
    deadline = time.monotonic() + max_wait
    load = busy_cores()
    while load > threshold and time.monotonic() < deadline:
        print(f"  (machine busy: {load:.2f} cores used by other processes; waiting for it to calm down)", flush=True)
        time.sleep(2)
        load = busy_cores()
    return load


# ---------------------------------------------------------------- a throw-away event

def write_config(folder: Path, port: int, printer: str = "file", max_failed_scans: int = 1000) -> Path:
    """tests/conftest.py's config (loopback only, its own database, a fixed secret), with the bench's printer:
    "file", "none", or the keys of a whole ``[printer]`` table (an emulated printer's)."""
    from conftest import write_config as test_config  # tests/ is on sys.path (top of this module)

    if "=" in printer:
        table = printer
    elif printer == "file":
        table = 'backend = "file"\nprofile = "TM-T20II"\npath = "badges"'
    else:
        table = f'backend = "{printer}"'
    return test_config(folder, port=port, printer=table, max_failed_scans=max_failed_scans)


def run_kiosk(config_path: Path, *args: str, timeout: float = 300) -> str:
    """Run the `kiosk` command line; its stdout (raises with stderr on failure)."""
    result = subprocess.run([PYTHON, "-m", "kiosk", "--config", str(config_path), *args], capture_output=True,
                            text=True, timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"kiosk {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def write_attendee_csv(path: Path, count: int) -> None:
    """`count` distinct people (Name, Email, Company): a plain list, as an organiser would export it."""
    lines = ["Name,Email,Company"]
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        company = COMPANIES[i % len(COMPANIES)]
        name = f"{first} {last} {i:05d}"
        lines.append(f'"{name}",bench{i:05d}@example.org,"{company}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Event:
    """A temp folder with a config, `count` imported attendees, their codes and tokens."""

    folder: Path
    config: Path
    port: int
    codes: list[str]
    tokens: dict[str, str] = field(default_factory=dict)


def make_event(folder: Path, count: int, printer: str = "file", roles: Sequence[str] = ("kiosk",)) -> Event:
    """Config, CSV, `kiosk import`, `kiosk token create --role ...`, codes from `kiosk attendees --format json`."""
    port = free_port()
    config = write_config(folder, port, printer)
    csv_path = folder / "attendees.csv"
    write_attendee_csv(csv_path, count)
    run_kiosk(config, "import", str(csv_path), "--source", "csv")
    tokens = {role: run_kiosk(config, "token", "create", "--role", role).strip().splitlines()[-1] for role in roles}
    people = json.loads(run_kiosk(config, "attendees", "--format", "json"))
    codes = [p["ticket_code"] for p in people if p["status"] == "attending" and not p["checked_in_at"]]
    if len(codes) < count or len(set(codes)) != len(codes):
        raise RuntimeError(f"expected {count} distinct attending codes, got {len(set(codes))}")
    return Event(folder, config, port, codes, tokens)


# ---------------------------------------------------------------- servers in subprocesses

class ServerProcess:
    """A gunicorn server (`kiosk serve` or the ceiling app) in its own process group, log to a file."""

    def __init__(self, name: str, cmd: list[str], port: int, log_path: Path, probe: str = "/api/headcount") -> None:
        self.name, self.cmd, self.port, self.log_path, self.probe = name, cmd, port, log_path, probe
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60) -> "ServerProcess":
        """Start and wait (bounded) until it answers HTTP and its worker process exists."""
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); log: {self.log_tail()}")
            if self._answers() and self.worker_pid():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; log: {self.log_tail()}")

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            conn.request("GET", self.probe)
            conn.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            conn.close()

    @property
    def master_pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pid(self) -> int | None:
        """gunicorn's one worker: the master's child forked from it (the same command line), not the
        print process the master also starts (whose PID is the lower one once PIDs wrap around)."""
        kids = children(self.master_pid) if self.proc else []
        forked = [kid for kid in kids if _cmdline(kid) == _cmdline(self.master_pid)]
        return (forked or kids or [None])[0]

    def memory(self) -> dict[str, int]:
        """VmRSS/VmHWM in kB of master and worker."""
        worker = self.worker_pid()
        return {"master_rss": proc_status(self.master_pid).get("VmRSS", 0),
                "worker_rss": proc_status(worker).get("VmRSS", 0) if worker else 0,
                "worker_hwm": proc_status(worker).get("VmHWM", 0) if worker else 0}

    def cpu(self) -> float:
        """CPU seconds of master + worker so far."""
        worker = self.worker_pid()
        return cpu_seconds(self.master_pid) + (cpu_seconds(worker) if worker else 0.0)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM the process group (graceful), SIGKILL after `timeout`."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()
            self._log = None


def kiosk_server(event: Event) -> ServerProcess:
    """`kiosk serve --config ... --port N`: gunicorn + one gevent worker, the production settings."""
    return ServerProcess("kiosk serve", [PYTHON, "-m", "kiosk", "--config", str(event.config), "serve", "--port",
                                         str(event.port)], event.port, event.folder / "kiosk-serve.log")


def ceiling_server(folder: Path, gthread: int = 0) -> ServerProcess:
    """bench/ceiling_app.py under the same gunicorn settings (or, for reference, gthread with that many threads)."""
    port = free_port()
    extra = ["--gthread", str(gthread)] if gthread else []
    return ServerProcess("ceiling", [PYTHON, str(BENCH / "ceiling_app.py"), "--port", str(port), *extra], port,
                         folder / f"ceiling{'-gthread' if gthread else ''}.log", probe="/")


def print_queue(port: int, token: str) -> tuple[int, int]:
    """(queued, printing) over every printer, from GET /api/printers (volunteer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/api/printers", headers={"Authorization": f"Bearer {token}"})
        printers = json.loads(conn.getresponse().read())["printers"]
    finally:
        conn.close()
    return (sum(p["queue"]["queued"] for p in printers), sum(p["queue"]["printing"] for p in printers))


def wait_print_queue(port: int, token: str, timeout: float) -> tuple[float, int]:
    """Wait (bounded) until no badge is queued or printing; (seconds waited, jobs left)."""
    start = time.monotonic()
    left = sum(print_queue(port, token))
    while left and time.monotonic() - start < timeout:
        time.sleep(0.5)
        left = sum(print_queue(port, token))
    return time.monotonic() - start, left


# ---------------------------------------------------------------- RESULTS.md

RESULTS_HEADER = """# Benchmarks

Numbers measured on one machine; every table says which, and when. Client and server share the
machine's cores, so client CPU counts against the server. Everything runs on 127.0.0.1.

| bench | run | what it measures |
|---|---|---|
| check-in throughput | `.venv/bin/python bench/checkin.py` | `POST /api/checkins` on `kiosk serve` with an emulated real-speed printer, 1 and 8 keep-alive clients, 3 rounds interleaved with a do-nothing Flask ceiling on the same server settings, judged on medians; server memory |
| live headcount | `.venv/bin/python bench/live.py` | 500 `/ws/headcount` sockets, 100 check-ins/s: check-in answer -> last socket has the count; memory with the sockets open |
| badge rendering | `.venv/bin/python bench/badge.py` | render + ESC/POS encode per badge and job size, per paper width |
| scan to greeting | `.venv/bin/python bench/scan_to_greeting.py` | a scan at the kiosk page to the greeting on screen |

"""

SECTIONS = ["checkin", "live", "badge", "scan_to_greeting", "instructions"]
PLACEHOLDER = "_Not measured yet: run the bench and paste its table here._\n"
TITLES = {"checkin": "Check-in throughput and latency (bench/checkin.py)",
          "live": "Live headcount over websockets (bench/live.py)",
          "badge": "Badge rendering (bench/badge.py)",
          "scan_to_greeting": "Scan to greeting (bench/scan_to_greeting.py)",
          "instructions": "Instructions per request, counted by valgrind (bench/instructions.py)"}


def _marker(name: str, end: bool = False) -> str:
    return f"<!-- {'END' if end else 'BEGIN'} {name} -->"


def update_results(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or add) the section `name` of RESULTS.md, leaving the others as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else RESULTS_HEADER
    for section in SECTIONS:  # a place for every bench, filled by its own author
        if _marker(section) not in text:
            text = text.rstrip("\n") + f"\n\n## {TITLES[section]}\n\n{_marker(section)}\n{PLACEHOLDER}{_marker(section, True)}\n"
    if _marker(name) not in text:
        text = text.rstrip("\n") + f"\n\n## {name}\n\n{_marker(name)}\n{_marker(name, True)}\n"
    pattern = re.compile(re.escape(_marker(name)) + r".*?" + re.escape(_marker(name, True)), re.S)
    text = pattern.sub(lambda _m: f"{_marker(name)}\n{body.rstrip()}\n{_marker(name, True)}", text, count=1)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- diagnostic variant (checkin.py and live.py --diagnose)
# Not the product: the same app and server settings, built with create_app(start_workers=False),
# i.e. without the badge printer worker (and the data-version watcher) in the worker process. Set
# beside `kiosk serve`, it shows what the badge printing costs the requests.

VARIANTS = ("no-badge-worker",)


def serve_variant(variant: str, config_path: str, port: int) -> None:
    """Run a diagnostic variant of the kiosk under the production gunicorn settings (in this process)."""
    from kiosk import config
    from kiosk.app import create_app
    from kiosk.server import gunicorn_options, run_gunicorn

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    settings = config.load(config_path)
    run_gunicorn(lambda: create_app(settings, start_workers=False), gunicorn_options("127.0.0.1", port))


def variant_server(event: Event, variant: str) -> ServerProcess:
    """A diagnostic variant of `kiosk serve` on the event's port (see serve_variant)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    cmd = [PYTHON, str(Path(__file__).resolve()), "serve-variant", variant, str(event.config), str(event.port)]
    return ServerProcess(variant, cmd, event.port, event.folder / "variant.log")


if __name__ == "__main__":  # python bench/common.py serve-variant VARIANT CONFIG PORT (used by variant_server)
    if len(sys.argv) != 5 or sys.argv[1] != "serve-variant":
        sys.exit("usage: common.py serve-variant VARIANT CONFIG PORT")
    serve_variant(sys.argv[2], sys.argv[3], int(sys.argv[4]))
