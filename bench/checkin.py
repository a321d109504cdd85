"""Throughput and latency of POST /api/checkins on `kiosk serve`, against the stack's ceiling.

Run: ``.venv/bin/python bench/checkin.py`` (``--help`` for the knobs). In one run it
imports 6,000+ distinct attendees into a temp event, starts `kiosk serve` (gunicorn,
one gevent worker, the printer you choose: a file printer by default, so every
check-in queues a badge that is rendered and written in the background) and
bench/ceiling_app.py (a Flask endpoint that only parses the JSON and answers 201,
same gunicorn settings), then measures, interleaved: ceiling x1, kiosk x1, ceiling
x8, kiosk x8 clients. Each client is its own process with one keep-alive
connection; every attendee is scanned exactly once and every answer must be 201
``checked_in``. Before each ceiling run the kiosk's badge queue is drained, so the
ceiling never shares the CPU with badge printing.

Targets (issue 2), client and server on the same 2 cores: with 8 clients at least
80% of the ceiling and at least 1,000 check-ins/s; p99 under 5 ms with one client
and under 25 ms with 8; no errors; the server under 100 MB resident. The exit
status is 1 when one is missed. ``--diagnose`` adds the same runs against the app
without its badge worker (not the product), to show what badge printing costs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from keepalive import HTTPError, KeepAlive  # noqa: E402

TARGET_RATIO, TARGET_RPS, TARGET_P99_1, TARGET_P99_8, TARGET_MB = 0.80, 1000, 5.0, 25.0, 100
EMULATED_SPEED = 200.0  # mm/s: an Epson TM-T20II's print speed
REQUEST_TIMEOUT = 10.0


# ---------------------------------------------------------------- one client (its own process)

def client(idx: int, port: int, token: str, codes: list[str], warmup: list[str], barrier: Any, out: Any,
           deadline: float) -> None:
    """Warm up, wait for the others, then send each code once over one keep-alive connection."""
    station = f"bench-{idx}"
    conn = KeepAlive(port, "/api/checkins", {"Authorization": f"Bearer {token}"}, REQUEST_TIMEOUT)
    result: dict[str, Any] = {"idx": idx, "lat": [], "errors": 0, "samples": [], "connects": 0, "unsent": 0}

    def send(code: str) -> tuple[bool, str]:
        try:
            status, data = conn.post(json.dumps({"code": code, "station": station}).encode())
        except (OSError, HTTPError) as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if status != 201:
            return False, f"HTTP {status}: {data[:200]!r}"
        try:
            answer = json.loads(data).get("result")
        except ValueError:
            answer = None
        return (True, "") if answer == "checked_in" else (False, f"201 but result={answer!r}")

    warm_errors = [msg for ok, msg in (send(c) for c in warmup) if not ok]
    try:
        barrier.wait(timeout=120)
    except Exception as exc:  # a broken barrier: report and leave
        out.put({**result, "errors": len(codes), "samples": [f"barrier: {exc}"]})
        return
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    lat = result["lat"]
    for i, code in enumerate(codes):
        if time.monotonic() > deadline:
            result["unsent"] = len(codes) - i
            break
        t0 = time.perf_counter()
        ok, msg = send(code)
        lat.append((time.perf_counter() - t0) * 1000)
        if not ok:
            result["errors"] += 1
            if len(result["samples"]) < 5:
                result["samples"].append(msg)
    end = time.monotonic()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    conn.close()
    result["connects"] = conn.connects  # one per client, unless the server dropped one
    result.update(start=start, end=end, warm_errors=len(warm_errors), warm_samples=warm_errors[:3],
                  cpu=(cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime))
    out.put(result)


def run_load(server: common.ServerProcess, label: str, token: str, codes: list[str], warmup: list[str],
             clients: int, time_limit: float) -> dict[str, Any]:
    """`clients` processes share `codes` (distinct per client); one table row."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients + 1)
    out = ctx.Queue()
    per = [codes[i::clients] for i in range(clients)]
    warm = [warmup[i::clients] for i in range(clients)]
    deadline = time.monotonic() + time_limit
    procs = [ctx.Process(target=client, args=(i, server.port, token, per[i], warm[i], barrier, out, deadline),
                         daemon=True) for i in range(clients)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=120)  # every client warmed up and connected
    except Exception:
        pass
    cpu0, sys0, wall0 = server.cpu(), common.system_cpu(), time.monotonic()
    results = []
    for _ in procs:
        try:
            results.append(out.get(timeout=max(deadline - time.monotonic(), 0) + 30))
        except Exception:
            break
    cpu1, sys1, wall1 = server.cpu(), common.system_cpu(), time.monotonic()
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()
            p.join(timeout=5)
    lat = [x for r in results for x in r["lat"]]
    errors = sum(r["errors"] for r in results) + (clients - len(results)) * (len(codes) // clients)
    start = min((r["start"] for r in results if "start" in r), default=wall0)
    end = max((r["end"] for r in results if "end" in r), default=wall1)
    span = max(end - start, 1e-9)
    window = max(wall1 - wall0, 1e-9)
    client_cpu = sum(r.get("cpu", 0.0) for r in results)
    samples = [s for r in results for s in r["samples"] + r.get("warm_samples", [])][:5]
    return {
        "label": label, "clients": clients, "requests": len(lat), "errors": errors,
        "warm_errors": sum(r.get("warm_errors", 0) for r in results), "samples": samples,
        "rps": len(lat) / span, "seconds": span,
        "p50": common.percentile(lat, 0.50), "p99": common.percentile(lat, 0.99), "max": max(lat, default=float("nan")),
        "lat": lat,
        "server_cores": (cpu1 - cpu0) / window, "client_cores": client_cpu / window,
        "other_cores": max((sys1 - sys0) - (cpu1 - cpu0) - client_cpu, 0.0) / window,
        "connects": sum(r["connects"] for r in results), "unsent": sum(r["unsent"] for r in results),
    }


# ---------------------------------------------------------------- the run

HEAD = ("| server | clients | requests | req/s | p50 ms | p99 ms | max ms | errors | server cores | client cores "
        "| other cores | TCP connections |")


def row_text(r: dict[str, Any]) -> str:
    errors = f"{r['errors']}" + (f" (+{r['unsent']} unsent: time limit)" if r["unsent"] else "")
    return (f"| {r['label']} | {r['clients']} | {r['requests']} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['max']:.1f} | {errors} | {r['server_cores']:.2f} | {r['client_cores']:.2f} | {r['other_cores']:.2f} "
            f"| {r['connects']} |")


def measure(server: common.ServerProcess, label: str, token: str, codes: list[str], warmup: list[str], clients: int,
            args: argparse.Namespace, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One run, after waiting (bounded) for the machine to be quiet; prints and keeps its row."""
    common.wait_for_quiet(args.quiet_wait)
    row = run_load(server, label, token, codes, warmup, clients, args.time_limit)
    rows.append(row)
    print(row_text(row), flush=True)
    for sample in row["samples"]:
        print(f"    error: {sample}")
    return row


def summary(rows: list[dict[str, Any]], label: str, clients: int) -> dict[str, Any]:
    """The rounds of one server and client count as one row: median req/s, latencies pooled."""
    runs = [r for r in rows if r["label"] == label and r["clients"] == clients]
    lat = [x for r in runs for x in r["lat"]]
    middle = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    return {**runs[0], "label": f"**{label}, median of {len(runs)}**", "requests": len(lat), "lat": lat,
            "errors": sum(r["errors"] for r in runs), "unsent": sum(r["unsent"] for r in runs),
            "rps": middle("rps"), "p50": common.percentile(lat, 0.50), "p99": common.percentile(lat, 0.99),
            "max": max(lat, default=float("nan")), "server_cores": middle("server_cores"),
            "client_cores": middle("client_cores"), "other_cores": middle("other_cores"),
            "connects": sum(r["connects"] for r in runs)}


def printer_under_test(choice: str) -> tuple[str, Any]:
    """The kiosk's printer for the run: its config, and the emulated printer to stop afterwards."""
    if choice != "emulated":
        return choice, None
    from fake_printer import FakePrinter  # tests/ is on sys.path (bench/common.py)

    fake = FakePrinter(speed_mm_s=EMULATED_SPEED).start()
    return fake.config(), fake


PRINTER_TEXT = {
    "emulated": "an emulated TM-T20II on 127.0.0.1:9100-style raw TCP (tests/fake_printer.py) that takes each badge "
                f"at a real thermal printer's pace ({EMULATED_SPEED:g} mm/s plus the cut, about 0.6 s a badge), so the "
                "print process draws and sends a badge or two a second, as at a real door, while the queue grows",
    "file": "`file` (every badge rendered to ESC/POS and a PNG preview as fast as the CPU allows: the print process "
            "competes with the door for the two cores, which no real printer asks)",
    "none": "`none` (no printer)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=int, default=1000, help="check-ins in the 1-client run (default 1000)")
    parser.add_argument("--eight", type=int, default=5000, help="check-ins in the 8-client run (default 5000)")
    parser.add_argument("--clients", type=int, default=8, help="clients of the concurrent run (default 8)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up check-ins per client (default 5)")
    parser.add_argument("--printer", choices=["emulated", "file", "none"], default="emulated",
                        help="the kiosk's printer (default emulated: a raw-TCP thermal printer at real speed; file: "
                             "every badge rendered as fast as the CPU allows; none)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="ceiling/kiosk pairs per client count, interleaved; targets use the median (default 3)")
    parser.add_argument("--drain-timeout", type=float, default=240,
                        help="max seconds to wait for the badge queue (file printer)")
    parser.add_argument("--time-limit", type=float, default=180, help="max seconds per measured run (default 180)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="max seconds to wait before each run for other processes to leave the CPU (default 30)")
    parser.add_argument("--diagnose", action="store_true",
                        help="also run the app without its badge worker (create_app(start_workers=False); not the product)")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()

    n = args.clients
    needed = args.rounds * (args.one + args.eight + args.warmup * (1 + n))
    info = common.machine()
    print(f"machine: {common.machine_line(info)}")
    rows: list[dict[str, Any]] = []
    diag_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.monotonic()
        printer, emulated = printer_under_test(args.printer)
        event = common.make_event(folder / "event", needed, printer=printer, roles=("kiosk", "volunteer"))
        print(f"setup: {len(event.codes)} attendees imported, tokens made in {time.monotonic() - t0:.1f} s; "
              f"printer backend: {args.printer}")
        codes = iter(event.codes)
        take = lambda k: [next(codes) for _ in range(k)]  # noqa: E731  fresh attendees, never re-scanned
        kiosk = common.kiosk_server(event)
        ceiling = common.ceiling_server(folder)
        try:
            kiosk.start()
            ceiling.start()
            mem_start = kiosk.memory()
            fake = event.codes[:max(args.one, args.eight)]  # the ceiling ignores the code: same body sizes
            token, volunteer = event.tokens["kiosk"], event.tokens["volunteer"]

            def drain(when: str) -> None:
                """File printer only: its print process would share the CPU with the ceiling run."""
                if args.printer != "file":
                    return
                waited, left = common.wait_print_queue(kiosk.port, volunteer, args.drain_timeout)
                notes.append(f"Badge queue {when}: empty after {waited:.1f} s" + (f", {left} jobs left" if left else ""))
                print(f"  ({notes[-1]})", flush=True)

            print(HEAD)
            for _ in range(args.rounds):
                measure(ceiling, "ceiling", token, fake[:args.one], fake[:args.warmup], 1, args, rows)
                measure(kiosk, "kiosk", token, take(args.one), take(args.warmup), 1, args, rows)
                drain("before the next ceiling run")
                measure(ceiling, "ceiling", token, fake[:args.eight], fake[:args.warmup * n], n, args, rows)
                measure(kiosk, "kiosk", token, take(args.eight), take(args.warmup * n), n, args, rows)
                drain("before the next ceiling run")
            mem_after = kiosk.memory()
            ceiling_mem = ceiling.memory()
            ceiling.stop()
            reference = common.ceiling_server(folder, gthread=n).start()
            try:
                measure(reference, f"reference: ceiling on gthread ({n} threads)", token, fake[:args.eight],
                        fake[:args.warmup * n], n, args, rows)
            finally:
                reference.stop()
            queued, printing = common.print_queue(kiosk.port, volunteer)
            if args.printer == "emulated":
                notes.append(f"{queued + printing} badges still waiting for the emulated printer at the end")
        finally:
            kiosk.stop()
            ceiling.stop()
            if emulated is not None:
                emulated.stop()
            server_log = kiosk.log_tail(1500)
        if args.diagnose:
            for variant in common.VARIANTS:
                ev = common.make_event(folder / variant.replace("+", "-").replace("(", "").replace(")", ""), needed,
                                       printer="none")  # the variant runs no print workers
                server = common.variant_server(ev, variant)
                vcodes = iter(ev.codes)
                vtake = lambda k: [next(vcodes) for _ in range(k)]  # noqa: E731
                try:
                    server.start()
                    for clients, count in ((1, args.one), (n, args.eight)):
                        measure(server, variant, ev.tokens["kiosk"], vtake(count), vtake(args.warmup * clients), clients,
                                args, diag_rows)
                finally:
                    server.stop()

    medians = [summary(rows, label, clients) for clients in (1, n) for label in ("ceiling", "kiosk")]
    c1, k1, c8, k8 = medians
    ratio = k8["rps"] / c8["rps"]
    worker_mb, master_mb = mem_after["worker_rss"] / 1024, mem_after["master_rss"] / 1024
    peak_mb = mem_after["worker_hwm"] / 1024
    errors = sum(r["errors"] + r["warm_errors"] for r in rows if r["label"] == "kiosk")
    unsent = sum(r["unsent"] for r in rows if r["label"] == "kiosk")
    checks = [
        (f"{n} clients: >= {TARGET_RATIO:.0%} of the ceiling", ratio >= TARGET_RATIO,
         f"{ratio:.0%} ({k8['rps']:,.0f} / {c8['rps']:,.0f})"),
        (f"{n} clients: >= {TARGET_RPS:,} check-ins/s", k8["rps"] >= TARGET_RPS, f"{k8['rps']:,.0f}/s"),
        (f"1 client: p99 < {TARGET_P99_1:g} ms", k1["p99"] < TARGET_P99_1, f"{k1['p99']:.2f} ms"),
        (f"{n} clients: p99 < {TARGET_P99_8:g} ms", k8["p99"] < TARGET_P99_8, f"{k8['p99']:.2f} ms"),
        ("no errors", errors == 0 and unsent == 0, f"{errors}" + (f" (+{unsent} not sent in the time limit)" if unsent else "")),
        (f"server < {TARGET_MB} MB resident (worker peak)", peak_mb < TARGET_MB, f"{peak_mb:.1f} MB"),
    ]
    mem_line = (f"kiosk worker RSS {worker_mb:.1f} MB after the runs (peak {peak_mb:.1f} MB; "
                f"{mem_start['worker_rss'] / 1024:.1f} MB at start), gunicorn master {master_mb:.1f} MB; "
                f"ceiling worker {ceiling_mem['worker_rss'] / 1024:.1f} MB")
    print(mem_line)
    for note in notes:
        print(note)
    for row in medians:
        print(row_text(row))
    for name, ok, value in checks:
        print(f"{'MET   ' if ok else 'MISSED'} {name}: {value}")
    if "Traceback" in server_log or "ERROR" in server_log:
        print("server log tail:\n" + server_log)

    if not args.no_results:
        lines = [
            f"Machine: {common.machine_line(info)}.",
            "",
            f"`kiosk serve` (gunicorn, one gevent worker); printer: {PRINTER_TEXT[args.printer]}; "
            f"{len(event.codes)} distinct attendees, each scanned once; keep-alive clients (bench/keepalive.py), one "
            f"process each, after a few warm-up check-ins. {args.rounds} rounds of ceiling x1, kiosk x1, ceiling x{n}, "
            f"kiosk x{n}, interleaved" + (", the badge queue drained before each ceiling run" if args.printer == "file" else "")
            + "; the targets are judged on the median req/s of the rounds and on the latencies of all rounds pooled. "
            "Ceiling = bench/ceiling_app.py (parse the JSON, answer 201) on the same gunicorn settings. "
            "Cores = CPU seconds per wall second; other = processes outside the bench (the print process). "
            "The last row is for reference only, not used for any target: the same ceiling app on gunicorn's "
            "gthread worker, the stack issue 2 quotes its ceiling for (about 1,650/s with 8 clients).",
            "",
            HEAD,
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            *[row_text(r) for r in rows],
            *[row_text(r) for r in medians],
            "",
            f"Memory: {mem_line}. " + "; ".join(notes) + ("." if notes else ""),
            "",
            "| target (issue 2) | result | |",
            "|---|---|---|",
            *[f"| {name} | {value} | {'met' if ok else '**missed**'} |" for name, ok, value in checks],
        ]
        if diag_rows:
            lines += [
                "",
                "Diagnosis (`--diagnose`, not the product): the same app and gunicorn settings without its badge "
                "worker (`create_app(start_workers=False)`), on a fresh event of the same size: what badge "
                "printing costs the requests.",
                "",
                HEAD,
                "|---|---|---|---|---|---|---|---|---|---|---|---|",
                *[row_text(r) for r in diag_rows],
            ]
        common.update_results("checkin", "\n".join(lines))
        print(f"wrote the checkin section of {common.RESULTS}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
