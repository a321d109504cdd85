"""Live headcount: 500 `/ws/headcount` sockets and 100 check-ins/s on `kiosk serve`.

Run: ``.venv/bin/python bench/live.py`` (``--help`` for the knobs). It imports
attendees into a temp event, starts `kiosk serve` (gunicorn, one gevent worker, a
file printer by default), opens 500 websockets to ``/ws/headcount`` and drives
check-ins at 100/s for 10 s, open loop, over 4 keep-alive HTTP connections (door
stations): each check-in leaves at its time on a free one. Each 201 carries
``headcount.checked_in = n``; the bench measures, for each n, the time from that 201
reaching the driver to the moment the *last* of the 500 sockets has received a
message with ``checked_in >= n`` (the server sends each socket the latest snapshot
and may coalesce several counts into one message, by design). The driver and all
500 sockets are asyncio tasks in this one process, timed with one monotonic clock.

The sockets are read by a small asyncio protocol (handshake, unmasked server frames,
pong replies) rather than a full websocket library, so that 500 sockets x 100
messages/s fit in one client process on a 2-core machine; ``--client websockets``
uses the `websockets` package instead, to cross-check. The client's own CPU is
reported: when it nears one core, the client is the bottleneck, not the server.

Targets (issue 3): p99 under 50 ms; server under 100 MB resident with the 500
sockets open.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import json
import os
import resource
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TARGET_P99_MS, TARGET_MB = 50.0, 100


# ---------------------------------------------------------------- one headcount socket

class Counts:
    """What one socket received: the time each new highest count first arrived."""

    def __init__(self) -> None:
        self.counts: list[int] = []   # strictly increasing
        self.times: list[float] = []
        self.messages = 0
        self.repeats = 0              # messages whose count was not higher than the last one
        self.connected = False
        self.closed = False
        self.error: str | None = None

    def record(self, checked_in: int, at: float) -> None:
        self.messages += 1
        if self.counts and checked_in <= self.counts[-1]:
            self.repeats += 1
            return
        self.counts.append(checked_in)
        self.times.append(at)

    def first_time_at_least(self, n: int) -> float | None:
        """When this socket first held a count >= n (None: never)."""
        i = bisect.bisect_left(self.counts, n)
        return self.times[i] if i < len(self.counts) else None


class RawHeadcountSocket(asyncio.Protocol):
    """A minimal websocket client for text snapshots: RFC 6455 handshake, server frames, pongs."""

    def __init__(self, host: str, port: int, path: str, counts: Counts, opened: asyncio.Future) -> None:
        self.host, self.port, self.path, self.counts, self.opened = host, port, path, counts, opened
        self.buffer = bytearray()
        self.handshaken = False
        self.transport: asyncio.Transport | None = None
        self.fragments = bytearray()
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.handshaken:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[:end + 4]
            if b" 101 " not in status + b" ":
                self._fail(f"handshake: {status.decode(errors='replace')}")
                return
            self.handshaken = True
            self.counts.connected = True
            if not self.opened.done():
                self.opened.set_result(True)
        self._frames(now)

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            opcode, fin, length, head = buf[0] & 0x0F, buf[0] & 0x80, buf[1] & 0x7F, 2
            if buf[1] & 0x80:
                self._fail("server frame is masked")
                return
            if length == 126:
                if len(buf) < 4:
                    return
                length, head = struct.unpack_from("!H", buf, 2)[0], 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, head = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < head + length:
                return
            payload = bytes(buf[head:head + length])
            del buf[:head + length]
            if opcode in (0x1, 0x0):  # text, continuation
                self.fragments += payload
                if fin:
                    self._message(bytes(self.fragments), now)
                    self.fragments.clear()
            elif opcode == 0x9:  # ping: answer with a masked pong
                self._send(0xA, payload)
            elif opcode == 0x8:  # close: answer it (unless we started it), then hang up
                if not self.closing:
                    self._send(0x8, payload[:2])
                self.counts.closed = True
                if self.transport:
                    self.transport.close()
                return

    def _message(self, text: bytes, now: float) -> None:
        try:
            self.counts.record(int(json.loads(text)["checked_in"]), now)
        except (ValueError, KeyError, TypeError):
            self.counts.error = f"unexpected message {text[:100]!r}"

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if self.transport and not self.transport.is_closing():
            self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def _fail(self, why: str) -> None:
        self.counts.error = why
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(why))
        if self.transport:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.counts.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed before the handshake: {exc}"))

    def close(self) -> None:
        """Start a clean close: the server answers with its close frame, then we hang up."""
        if self.transport and not self.transport.is_closing() and not self.closing:
            self.closing = True
            self._send(0x8, struct.pack("!H", 1000))

    def abort(self) -> None:
        if self.transport:
            self.transport.abort()


async def open_raw(port: int, counts: Counts, timeout: float) -> RawHeadcountSocket:
    loop = asyncio.get_running_loop()
    opened: asyncio.Future = loop.create_future()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: RawHeadcountSocket("127.0.0.1", port, "/ws/headcount", counts, opened),
                               "127.0.0.1", port), timeout)
    await asyncio.wait_for(opened, timeout)
    return protocol


class LibrarySocket:
    """The same socket through the `websockets` package (``--client websockets``)."""

    def __init__(self, ws: Any, counts: Counts) -> None:
        self.ws, self.counts = ws, counts
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                self.counts.record(int(json.loads(message)["checked_in"]), time.monotonic())
        except Exception as exc:  # a closed socket ends the loop
            self.counts.error = f"{type(exc).__name__}: {exc}"
        self.counts.closed = True

    def close(self) -> None:
        asyncio.ensure_future(self.ws.close())

    def abort(self) -> None:
        self.task.cancel()


async def open_library(port: int, counts: Counts, timeout: float) -> LibrarySocket:
    from websockets.asyncio.client import connect

    ws = await asyncio.wait_for(connect(f"ws://127.0.0.1:{port}/ws/headcount", ping_interval=None,
                                        max_queue=None, compression=None), timeout)
    counts.connected = True
    return LibrarySocket(ws, counts)


# ---------------------------------------------------------------- the check-in driver (keep-alive HTTP)

class Driver:
    """POST /api/checkins over one keep-alive connection (asyncio streams)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)

    async def check_in(self, code: str, timeout: float = 10) -> tuple[int, dict[str, Any], float]:
        """(status, JSON answer, monotonic time the answer had fully arrived)."""
        assert self.reader and self.writer
        body = json.dumps({"code": code, "station": "bench-live"}).encode()
        self.writer.write(b"POST /api/checkins HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          + f"Authorization: Bearer {self.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), None)
        if length is None:
            raise ConnectionError("answer without Content-Length")
        data = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        at = time.monotonic()
        return status, json.loads(data), at

    def close(self) -> None:
        if self.writer:
            self.writer.close()


# ---------------------------------------------------------------- the run

async def run(port: int, token: str, codes: list[str], args: argparse.Namespace,
              server: common.ServerProcess) -> dict[str, Any]:
    """Open the sockets, drive the check-ins, wait for the last counts; the raw measurements."""
    sockets: list[Any] = []
    counts = [Counts() for _ in range(args.sockets)]
    opener = open_raw if args.client == "raw" else open_library
    connect_errors: list[str] = []
    t_open = time.monotonic()
    for start in range(0, args.sockets, 50):  # 50 handshakes at a time
        batch = await asyncio.gather(*(opener(port, c, 10) for c in counts[start:start + 50]), return_exceptions=True)
        for item in batch:
            if isinstance(item, BaseException):
                connect_errors.append(f"{type(item).__name__}: {item}")
            else:
                sockets.append(item)
    open_seconds = time.monotonic() - t_open
    deadline = time.monotonic() + 10  # every open socket has its first snapshot
    while time.monotonic() < deadline and any(c.connected and not c.counts for c in counts):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # let the server settle after the handshakes
    mem_open = server.memory()

    drivers = [Driver(port, token) for _ in range(args.stations)]
    for d in drivers:
        await d.connect()
    warm = codes[:args.warmup]
    measured = codes[args.warmup:args.warmup + int(args.rate * args.seconds)]
    errors: list[str] = []
    for code in warm:
        status, answer, _ = await drivers[0].check_in(code)
        if status != 201:
            errors.append(f"warm-up: HTTP {status} {answer.get('result')}")
    await asyncio.sleep(0.5)

    answers: list[tuple[int, float, float]] = []  # (n, answer arrived, request sent)
    free: asyncio.Queue[Driver] = asyncio.Queue()
    for d in drivers:
        free.put_nowait(d)

    async def one(driver: Driver, code: str) -> None:
        sent = time.monotonic()
        try:
            status, answer, arrived = await driver.check_in(code)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            driver.close()
            try:
                await driver.connect()
            except (OSError, asyncio.TimeoutError) as again:
                errors.append(f"reconnect: {again}")
                return  # this station is gone; the others go on
            free.put_nowait(driver)
            return
        free.put_nowait(driver)
        if status != 201 or answer.get("result") != "checked_in":
            errors.append(f"HTTP {status} {answer.get('result')}")
            return
        answers.append((int(answer["headcount"]["checked_in"]), arrived, sent))

    cpu0, srv0, sys0, t0 = _self_cpu(), server.cpu(), common.system_cpu(), time.monotonic()
    stop_at = t0 + args.seconds * 3 + 10  # bounded even if the server slows to a crawl
    behind, tasks = 0, []
    for i, code in enumerate(measured):  # open loop: each check-in leaves at its time on a free station
        due = t0 + i / args.rate
        now = time.monotonic()
        if now < due:
            await asyncio.sleep(due - now)
        try:
            driver = await asyncio.wait_for(free.get(), max(stop_at - time.monotonic(), 0.01))
        except asyncio.TimeoutError:
            errors.append(f"time limit: {len(measured) - i} check-ins not sent")
            break
        if time.monotonic() - due > 1 / args.rate:
            behind += 1
        tasks.append(asyncio.ensure_future(one(driver, code)))
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    t1 = time.monotonic()
    cpu1, srv1, sys1 = _self_cpu(), server.cpu(), common.system_cpu()
    final = max((n for n, _, _ in answers), default=0)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline and any(c.connected and not c.closed and (not c.counts or c.counts[-1] < final)
                                              for c in counts):
        await asyncio.sleep(0.02)
    mem_after = server.memory()
    lost = sum(1 for c in counts if c.connected and c.closed)  # closed by the server or the network, not by us
    for d in drivers:
        d.close()
    for s in sockets:
        s.close()
    deadline = time.monotonic() + 3  # a clean close: wait (bounded) for the server to close its side
    while time.monotonic() < deadline and any(c.connected and not c.closed for c in counts):
        await asyncio.sleep(0.05)
    for s in sockets:
        s.abort()
    return {"counts": counts, "answers": answers, "errors": errors, "connect_errors": connect_errors,
            "open_seconds": open_seconds, "seconds": t1 - t0, "behind": behind,
            "client_cores": (cpu1 - cpu0) / (t1 - t0), "server_cores": (srv1 - srv0) / (t1 - t0),
            "other_cores": max((sys1 - sys0) - (srv1 - srv0) - (cpu1 - cpu0), 0.0) / (t1 - t0),
            "mem_open": mem_open, "mem_after": mem_after, "lost": lost}


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def analyse(raw: dict[str, Any]) -> dict[str, Any]:
    """Per check-in: answer -> last socket holding a count >= n."""
    counts: list[Counts] = [c for c in raw["counts"] if c.connected]
    delays, missing = [], 0
    for n, arrived, _sent in raw["answers"]:
        times = [c.first_time_at_least(n) for c in counts]
        if any(t is None for t in times):
            missing += 1
            continue
        delays.append(max(0.0, max(times) - arrived) * 1000)  # type: ignore[type-var]
    http = [(arrived - sent) * 1000 for _n, arrived, sent in raw["answers"]]
    messages = sum(c.messages for c in counts)
    return {
        "sockets": len(counts), "dropped": raw["lost"],
        "socket_errors": [c.error for c in counts if c.error][:3],
        "checkins": len(raw["answers"]), "rate": len(raw["answers"]) / raw["seconds"],
        "p50": common.percentile(delays, 0.50), "p99": common.percentile(delays, 0.99),
        "max": max(delays, default=float("nan")), "missing": missing,
        "http_p50": common.percentile(http, 0.50), "http_p99": common.percentile(http, 0.99),
        "messages_per_checkin": messages / max(len(counts), 1) / max(len(raw["answers"]), 1),
        "repeats": sum(c.repeats for c in counts) / max(messages, 1),
    }


HEAD = ("| server | sockets | check-ins | rate /s | answer -> last socket p50 / p99 / max ms | check-in HTTP p50 / p99 ms "
        "| messages per socket per check-in | client cores | server cores | other cores | worker RSS MB: idle / sockets open / after (peak) |")


def row_text(label: str, result: dict[str, Any], raw: dict[str, Any]) -> str:
    mem = raw["mem_idle"], raw["mem_open"], raw["mem_after"]
    return (f"| {label} | {result['sockets']} | {result['checkins']} | {result['rate']:.1f} | {result['p50']:.1f} / "
            f"{result['p99']:.1f} / {result['max']:.1f} | {result['http_p50']:.2f} / {result['http_p99']:.2f} | "
            f"{result['messages_per_checkin']:.2f} ({result['repeats']:.0%} repeat a count) | {raw['client_cores']:.2f} | "
            f"{raw['server_cores']:.2f} | {raw['other_cores']:.2f} | {mem[0]['worker_rss'] / 1024:.1f} / "
            f"{mem[1]['worker_rss'] / 1024:.1f} / {mem[2]['worker_rss'] / 1024:.1f} ({mem[2]['worker_hwm'] / 1024:.1f}) |")


def measure(folder: Path, label: str, attendees: int, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A fresh event and server (`kiosk serve`, or a diagnostic variant), one run: (result, raw, server log)."""
    event = common.make_event(folder, attendees, printer=args.printer)
    server = common.kiosk_server(event) if label == "kiosk serve" else common.variant_server(event, label)
    try:
        server.start()
        common.wait_for_quiet(args.quiet_wait)
        mem_idle = server.memory()
        raw = asyncio.run(run(event.port, event.tokens["kiosk"], event.codes, args, server))
        raw["mem_idle"] = mem_idle
    finally:
        server.stop()
    return analyse(raw), raw, server.log_tail(1500)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=500, help="headcount websockets (default 500)")
    parser.add_argument("--rate", type=float, default=100, help="check-ins per second (default 100)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of check-ins (default 10)")
    parser.add_argument("--stations", type=int, default=4,
                        help="keep-alive connections the check-ins are spread over, like door stations (default 4)")
    parser.add_argument("--warmup", type=int, default=10, help="check-ins before the measurement (default 10)")
    parser.add_argument("--attendees", type=int, default=0, help="attendees imported (default: just enough, +10%%)")
    parser.add_argument("--printer", choices=["file", "none"], default="file", help="kiosk printer backend (default file)")
    parser.add_argument("--client", choices=["raw", "websockets"], default="raw",
                        help="socket reader: a minimal asyncio protocol (default) or the websockets package")
    parser.add_argument("--settle", type=float, default=10, help="max seconds to wait for the last counts (default 10)")
    parser.add_argument("--quiet-wait", type=float, default=30, help="max seconds to wait for a quiet machine")
    parser.add_argument("--diagnose", action="store_true",
                        help="also run the app without its badge worker (create_app(start_workers=False); not the product)")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args()

    needed = args.warmup + int(args.rate * args.seconds)
    attendees = max(args.attendees, int(needed * 1.1))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.sockets + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.sockets + 1000), hard))
    info = common.machine()
    print(f"machine: {common.machine_line(info)}")
    labels = ["kiosk serve"] + (list(common.VARIANTS) if args.diagnose else [])
    runs = []
    with tempfile.TemporaryDirectory(prefix="kiosk-live-") as tmp:
        print(HEAD)
        for i, label in enumerate(labels):
            result, raw, log = measure(Path(tmp) / f"event{i}", label, attendees, args)
            runs.append((label, result, raw))
            print(row_text(label, result, raw), flush=True)
            if raw["behind"]:
                print(f"  driver fell behind its schedule {raw['behind']} times (every station was still waiting for an answer)")
            for e in (raw["errors"] + raw["connect_errors"])[:5] + result["socket_errors"]:
                print(f"  error: {e}")
            if "Traceback" in log or "ERROR" in log:
                print("server log tail:\n" + log)
    _label, result, raw = runs[0]
    peak_mb = raw["mem_after"]["worker_hwm"] / 1024
    open_mb = raw["mem_open"]["worker_rss"] / 1024
    errors = raw["errors"] + raw["connect_errors"]
    checks = [
        (f"answer -> last of {args.sockets} sockets: p99 < {TARGET_P99_MS:g} ms", result["p99"] < TARGET_P99_MS and not result["missing"],
         f"{result['p99']:.1f} ms" + (f" ({result['missing']} counts never reached every socket)" if result["missing"] else "")),
        (f"server < {TARGET_MB} MB resident with the sockets open (worker)", peak_mb < TARGET_MB,
         f"{open_mb:.1f} MB open, {peak_mb:.1f} MB peak during the check-ins"),
        ("no errors, no socket lost", not errors and not result["dropped"] and result["sockets"] == args.sockets,
         f"{len(errors)} errors, {result['dropped']} sockets closed, {result['sockets']}/{args.sockets} open"),
    ]
    mem_line = (f"gunicorn master {raw['mem_after']['master_rss'] / 1024:.1f} MB; {args.sockets} sockets opened in "
                f"{raw['open_seconds']:.1f} s")
    print(mem_line)
    for name, ok, value in checks:
        print(f"{'MET   ' if ok else 'MISSED'} {name}: {value}")
    if not args.no_results:
        body = "\n".join([
            f"Machine: {common.machine_line(info)}.",
            "",
            f"`kiosk serve` (gunicorn, one gevent worker), printer backend `{args.printer}`, {attendees} attendees; "
            f"{args.sockets} `/ws/headcount` sockets ({'minimal asyncio websocket reader' if args.client == 'raw' else 'websockets package'}) "
            f"and an open-loop check-in driver at {args.rate:g}/s for {args.seconds:g} s over {args.stations} keep-alive connections, all in one "
            "asyncio process. Delay = from the 201 reaching the driver to the last socket holding a count >= its "
            "headcount.checked_in. Cores = CPU seconds per wall second; other = processes outside the bench."
            + (" `no-badge-worker` (from `--diagnose`) is not the product: the same app and server settings without "
               "its badge worker, on a fresh event of the same size." if args.diagnose else ""),
            "",
            HEAD,
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *[row_text(label, r, w) for label, r, w in runs],
            "",
            f"Memory: {mem_line}.",
            "",
            "| target (issue 3) | result | |",
            "|---|---|---|",
            *[f"| {name} | {value} | {'met' if ok else '**missed**'} |" for name, ok, value in checks],
        ])
        common.update_results("live", body)
        print(f"wrote the live section of {common.RESULTS}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
