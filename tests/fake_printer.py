"""A fake port-9100 receipt printer for tests, on 127.0.0.1 and a free port.

It records what each connection sends as one job, and answers the DLE EOT
status queries (``10 04 n``) like an Epson: one byte, 0x12 when online with
paper. Modes: ``normal``; ``silent`` (accepts and records, never answers,
like many print servers); ``refusing`` (not listening at all, as when the
printer is off) and back again on the same port with ``resume()``; ``garbled`` (answers every status query
with a byte that is no status: another emulation, a noisy line); ``unread`` (accepts
connections and never reads them, as a hung printer or print server does: its kernel still
acknowledges a whole badge into its receive buffer). A connection taken while ``unread`` is
never read, even after the mode changes: it is dropped then, as a hung printer switched off
and on loses what was in its buffer.

Status queries at the very start of a connection are a status check, not
print data: they are counted in ``status_queries`` and left out of the job.

``drop_after`` makes it hang up (a reset, as when its network card or print server
fails) once it has read that many bytes of a job, answering status queries before that.

``read_bytes_per_s`` makes it read like a printer on a slow link (a 9,600-baud printer behind a
serial-to-network box): a small receive buffer, read at that rate, so the sender's TCP is
acknowledged only as fast as the printer takes the badge.

``speed_mm_s`` makes it take as long as a real thermal printer: after a job it
keeps the connection until the paper has moved (576-dot raster lines at 8 dots
per mm, plus the cut), one job at a time, answering status queries meanwhile as a
real printer does. bench/checkin.py uses it as "a TM-T20II at the door".

``FakeSerialPrinter`` is the same printer on a serial line: a pseudo-terminal whose far end it
reads (``path`` is the port to configure). Each opening of the port is one "connection"; a
printer ``switch_off()`` reads and drops everything and answers nothing, as a switched-off printer
on a line without flow control does; with ``drop_after`` it switches itself off once it has read
that many bytes of a job (switched off in the middle of a badge).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import socketserver
import struct
import threading
import time
import tty

PAPER_BYTES = {"ok": 0x12, "low": 0x1E, "out": 0x72}
GARBLED_ANSWER = 0xFF  # mode "garbled": no status byte (bits 0 and 7 set), as from another emulation
RASTER_BYTES_PER_MM = 72 * 8  # a 576-dot line is 72 bytes; 8 lines per mm
CUT_SECONDS = 0.3
SLOW_READ_BUFFER = 4096  # bytes: a small printer's receive buffer (read_bytes_per_s)
SLOW_READ_CHUNK = 256


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class FakePrinter:
    """Start with ``with FakePrinter() as printer:``; connect to ``printer.host, printer.port``."""

    def __init__(self, mode: str = "normal", paper: str = "ok", cover_open: bool = False,
                 speed_mm_s: float | None = None, drop_after: int | None = None,
                 read_bytes_per_s: float | None = None) -> None:
        self.host = "127.0.0.1"
        self.speed_mm_s = speed_mm_s
        self.read_bytes_per_s = read_bytes_per_s
        self.drop_after = drop_after
        self._paper_path = threading.Lock()  # one job on paper at a time
        self.port = 0
        self.mode = mode if mode != "refusing" else "normal"
        self.paper = paper
        self.cover_open = cover_open
        self._cond = threading.Condition()
        self._jobs: list[bytes] = []
        self._queries: list[int] = []
        self._connections = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._start_refusing = mode == "refusing"

    # -- life cycle ---------------------------------------------------------
    def __enter__(self) -> "FakePrinter":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> "FakePrinter":
        """Listen (on a free port the first time, on the same port afterwards)."""
        self._listen()
        if self._start_refusing:
            self.refuse()
        return self

    def stop(self) -> None:
        """Stop listening; recorded jobs stay readable."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def refuse(self) -> None:
        """Close the port: connections are refused until resume()."""
        self.stop()

    def resume(self, mode: str = "normal") -> None:
        """Listen again on the same port, in ``mode``."""
        self.mode = mode
        if self._server is None:
            self._listen()

    def config(self, profile: str = "TM-T20II", timeout: float = 2.0, stations: tuple[str, ...] = ()) -> str:
        """The keys of a kiosk ``[printer]`` table that point at this fake (``write_config(printer=...)``)."""
        lines = ['backend = "network"', f'host = "{self.host}"', f"port = {self.port}", f'profile = "{profile}"',
                 f"timeout = {timeout}"]
        if stations:
            lines.append("stations = [" + ", ".join(f'"{s}"' for s in stations) + "]")
        return "\n".join(lines)

    @property
    def listening(self) -> bool:
        """True unless refusing."""
        return self._server is not None

    def _listen(self) -> None:
        """Bind, remember the port, serve in a daemon thread."""
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                fake._serve(self.request)

        self._server = _Server((self.host, self.port), Handler)
        if self.read_bytes_per_s:  # accepted connections inherit it: the window stays this small
            self._server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_READ_BUFFER)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"fake-printer-{self.port}")
        self._thread.start()

    # -- what it saw --------------------------------------------------------
    @property
    def jobs(self) -> list[bytes]:
        """Print data of each finished connection that sent any, oldest first."""
        with self._cond:
            return list(self._jobs)

    @property
    def status_queries(self) -> list[int]:
        """The n of every DLE EOT n status query seen at the start of a connection."""
        with self._cond:
            return list(self._queries)

    @property
    def connections(self) -> int:
        """How many connections were accepted."""
        with self._cond:
            return self._connections

    def wait_for_jobs(self, n: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``n`` jobs arrived; TimeoutError saying how many did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._jobs) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {n} print jobs, got {len(self._jobs)}")
                self._cond.wait(left)
            return list(self._jobs)

    def clear(self) -> None:
        """Forget recorded jobs and queries."""
        with self._cond:
            self._jobs.clear()
            self._queries.clear()

    # -- the printer --------------------------------------------------------
    def _serve(self, conn: socket.socket) -> None:
        """Read until the client hangs up, answering status queries as they come."""
        with self._cond:
            self._connections += 1
        if self.mode == "unread":
            self._hold_unread(conn)
            return
        data, scanned = bytearray(), 0
        conn.settimeout(30)
        try:
            while True:
                chunk = conn.recv(SLOW_READ_CHUNK if self.read_bytes_per_s else 65536)
                if not chunk:
                    break
                if self.read_bytes_per_s:
                    time.sleep(len(chunk) / self.read_bytes_per_s)
                data += chunk
                if self.drop_after is not None and len(data) >= self.drop_after:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()  # unanswered, with unread input and no linger: a reset
                    break
                scanned = self._answer_queries(conn, data, scanned)
        except OSError:
            pass
        self._record(bytes(data))
        if self.speed_mm_s and len(data) > 64:
            with self._paper_path:  # the sender waits for our hang-up, as with a real printer
                time.sleep(len(data) / RASTER_BYTES_PER_MM / self.speed_mm_s + CUT_SECONDS)

    def _hold_unread(self, conn: socket.socket) -> None:
        """Keep the connection open without reading it until the mode changes or the fake stops."""
        while self.mode == "unread" and self._server is not None:
            time.sleep(0.05)
        conn.close()

    def _answer_queries(self, conn: socket.socket, data: bytearray, scanned: int) -> int:
        """Answer each complete ``10 04 n`` after ``scanned``; return where to resume."""
        while True:
            at = data.find(b"\x10\x04", scanned)
            if at < 0:
                return max(scanned, len(data) - 1)
            if at + 2 >= len(data):
                return at  # n not here yet
            n = data[at + 2]
            if n in (1, 2, 3, 4) and self.mode in ("normal", "garbled"):
                try:
                    conn.sendall(bytes([self.status_byte(n) if self.mode == "normal" else GARBLED_ANSWER]))
                except OSError:
                    pass
            scanned = at + 3

    def status_byte(self, n: int) -> int:
        """What an Epson answers to DLE EOT n in the current state."""
        out = self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if out or self.cover_open else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if out else 0)
        if n == 4:
            return PAPER_BYTES[self.paper]
        return 0x12

    def _record(self, data: bytes) -> None:
        """Split off the status queries before and after the job; the rest, if any, is a job."""
        i, queries = 0, []
        while data[i:i + 2] == b"\x10\x04" and len(data) >= i + 3:
            queries.append(data[i + 2])
            i += 3
        end = len(data)
        while end - 3 >= i and data[end - 3:end - 1] == b"\x10\x04" and data[end - 1] in (1, 2, 3, 4):
            queries.append(data[end - 1])
            end -= 3
        with self._cond:
            self._queries.extend(queries)
            if data[i:end]:
                self._jobs.append(data[i:end])
            self._cond.notify_all()


class FakeSerialPrinter(FakePrinter):
    """The fake printer at the far end of a pseudo-terminal: ``with FakeSerialPrinter() as printer:``,
    then configure the port ``printer.path`` (``printer.config()``)."""

    def __init__(self, mode: str = "normal", **options: object) -> None:
        super().__init__(mode=mode, **options)
        self.path = ""
        self._master: int | None = None
        self._running = False

    def start(self) -> "FakeSerialPrinter":
        """Make the pseudo-terminal and start reading its far end."""
        self._master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        os.close(slave)  # the kiosk opens the port by its path, as a real one
        self._running = True
        self._thread = threading.Thread(target=self._line, daemon=True, name=f"fake-serial-{self.path}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading and close the line; recorded jobs stay readable."""
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._master is not None:
            os.close(self._master)
            self._master = None

    def switch_off(self) -> None:
        """From now on, read and drop everything, answer nothing."""
        self.mode = "off"

    def switch_on(self) -> None:
        """Print and answer again (and never switch off by itself: ``drop_after`` is forgotten)."""
        self.drop_after, self.mode = None, "normal"

    def config(self, profile: str = "TM-T20II", timeout: float = 2.0, stations: tuple[str, ...] = (),
               baudrate: int = 115200) -> str:
        """The keys of a kiosk ``[printer]`` table that point at this fake."""
        return "\n".join(['backend = "serial"', f'device = "{self.path}"', f"baudrate = {baudrate}",
                          f'profile = "{profile}"', f"timeout = {timeout}"])

    def _line(self) -> None:
        """Serve one opening of the port after another, as the network fake serves connections."""
        while self._running:
            self._serve(_PortOpening(self))  # type: ignore[arg-type]


class _PortOpening:
    """One opening of the port by the kiosk, seen from the printer's end, shaped like the socket
    ``FakePrinter._serve`` reads: it ends (b"") when the kiosk closes the port."""

    def __init__(self, fake: FakeSerialPrinter) -> None:
        self.fake, self.opened = fake, False

    def recv(self, size: int) -> bytes:
        """The next bytes from the kiosk; what a switched-off printer gets is dropped."""
        while self.fake._running:
            if not select.select([self.fake._master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(self.fake._master, size)
            except OSError as exc:  # EIO: nobody has the port open
                if exc.errno != errno.EIO:
                    raise
                if self.opened:
                    return b""
                time.sleep(0.02)
                continue
            self.opened = True
            if self.fake.mode != "off":
                return data
        return b""

    def sendall(self, data: bytes) -> None:
        os.write(self.fake._master, data)

    def settimeout(self, _timeout: float) -> None:
        """No timeout: the opening lasts until the kiosk closes the port."""

    def setsockopt(self, *_args: object) -> None:
        """Nothing to set on a line."""

    def close(self) -> None:
        """``drop_after`` was reached: the printer is switched off in the middle of the badge."""
        self.fake.switch_off()
