"""Instructions per request in the server's worker, counted by valgrind: `kiosk serve` against the ceiling.

Why: on the 2-core VM the benches run on, the ceiling of bench/checkin.py moves by a quarter from
one minute to the next, so a change of a few per cent to the check-in path cannot be seen in
requests per second. The instructions the gunicorn worker executes per request barely move between
runs. They leave out the kernel (fsync, sockets) and cache misses, so they are what the check-in
asks of the CPU, not its speed; bench/checkin.py stays the judge of the targets.

Both servers run under `valgrind --tool=callgrind` with counting off; after a warm-up, counting is
switched on in the worker for the measured check-ins (8 keep-alive clients, as in checkin.py) and
off again, and the worker's counts are dumped. Needs valgrind (`apt-get install valgrind`); about
two minutes. Writes its section of bench/RESULTS.md (unless --no-results).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkin  # noqa: E402
import common  # noqa: E402

MARK = "instructions"
checkin.REQUEST_TIMEOUT = 120.0  # s: under valgrind a request is some 50 times slower, and a first one slower still


def valgrind(out_dir: Path) -> list[str]:
    """The command prefix: callgrind on the server and its forked worker, counting off until asked."""
    return ["valgrind", "--tool=callgrind", "--trace-children=yes", "--instr-atstart=no",
            f"--callgrind-out-file={out_dir}/callgrind-%p.out"]


def kiosk_server(folder: Path, count: int) -> tuple[common.ServerProcess, list[str], str]:
    event = common.make_event(folder / "event", count, printer="none", roles=("kiosk",))
    cmd = valgrind(folder) + [common.PYTHON, "-m", "kiosk", "--config", str(event.config), "serve", "--port",
                              str(event.port)]
    return common.ServerProcess("kiosk serve", cmd, event.port, folder / "kiosk.log"), event.codes, event.tokens["kiosk"]


def ceiling_server(folder: Path, count: int) -> tuple[common.ServerProcess, list[str], str]:
    port = common.free_port()
    cmd = valgrind(folder) + [common.PYTHON, str(common.BENCH / "ceiling_app.py"), "--port", str(port)]
    codes = [f"K1-BENCHCEI-{i:013d}" for i in range(count)]  # the ceiling ignores the code: same body sizes
    return common.ServerProcess("ceiling", cmd, port, folder / "ceiling.log", probe="/"), codes, "unused"


def counted(folder: Path, worker: int) -> int:
    """The worker's instruction count: its dump taken after counting was switched off (the
    dump files' largest total; the file written at exit, after the reset, holds less)."""
    totals = [int(line.split()[1]) for dump in folder.glob(f"callgrind-{worker}.out*")
              for line in dump.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    if not totals:
        raise RuntimeError(f"no callgrind counts for worker {worker} in {folder}")
    return max(totals)


def measure(name: str, make: Any, requests: int, clients: int) -> dict[str, Any]:
    """Start one server under valgrind, warm it up, count the worker over `requests` requests."""
    warmup = 25 * clients
    with tempfile.TemporaryDirectory(prefix=f"kiosk-instr-{name}-") as tmp:
        folder = Path(tmp)
        server, codes, token = make(folder, requests + 2 * warmup + 8 * clients)
        server.start(timeout=600)
        try:
            checkin.run_load(server, "warm-up", token, codes[:warmup], codes[-4 * clients:-2 * clients], clients, 600)
            worker = server.worker_pid()
            control = lambda *args: subprocess.run(["callgrind_control", *args, str(worker)],  # noqa: E731
                                                   capture_output=True, timeout=120, check=True)
            control("-i", "on")
            row = checkin.run_load(server, name, token, codes[warmup:warmup + requests], codes[-2 * clients:],
                                   clients, 900)
            control("-i", "off")
            control("-d")
            time.sleep(1)
            row["instructions"] = counted(folder, worker)
        finally:
            server.stop(timeout=60)
    ok = row["requests"] - row["errors"]
    row["per_request"] = row["instructions"] / max(ok, 1)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=800, help="counted requests per server (default 800)")
    parser.add_argument("--clients", type=int, default=8, help="keep-alive clients (default 8)")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    info = common.machine()
    rows = [measure("ceiling", ceiling_server, args.requests, args.clients),
            measure("kiosk", kiosk_server, args.requests, args.clients)]
    ceiling = rows[0]["per_request"]
    lines = [f"Machine: {common.machine_line(info)}.", "",
             f"{args.clients} keep-alive clients, no printer, counting in the gunicorn worker (all its threads) "
             f"over {args.requests} requests after a warm-up. Share = ceiling / kiosk instructions per request "
             "(what the 80% target would be if time followed instructions).", "",
             "| server | requests | errors | instructions per request | share of the ceiling |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['label']} | {row['requests']} | {row['errors']} | {row['per_request']:,.0f} "
                     f"| {ceiling / row['per_request']:.0%} |")
    text = "\n".join(lines)
    print(text)
    for row in rows:
        if row["errors"]:
            print(f"{row['label']}: {row['errors']} errors, e.g. {row['samples'][:2]}")
    if not args.no_results:
        common.update_results(MARK, text)
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
