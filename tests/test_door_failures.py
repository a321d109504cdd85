"""Bad evenings not covered elsewhere: printers that stop reading, crashes while sending, a locked disk.

Each test runs the real thing (a server on 127.0.0.1, real sockets, the python-escpos bytes
decoded back to their QR codes) and checks the door's promises: an acknowledged check-in is
never lost, each badge comes out exactly once, and the volunteers see what is wrong.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from conftest import Server, wait_until
from printers import backend_network
from test_printer_jam import assert_printed_once, printer_of, timed_check_ins

try:
    from tests import fake_printer
except ModuleNotFoundError:
    import fake_printer

pytestmark = pytest.mark.timeout(90)
PRINTER_RECEIVE_BUFFER = 2048  # bytes: a real printer's network card holds a few KB, not a whole badge


class StuckPrinter(fake_printer.FakePrinter):
    """A printer that, while ``stuck``, reads the first ``reads_first`` bytes of each connection
    (answering the status queries among them) and then never reads again: jammed, or its buffer
    full. ``unstick()`` makes it an ordinary fake printer again, on the same port."""

    def __init__(self, reads_first: int, **kw: object) -> None:
        super().__init__(**kw)
        self.reads_first = reads_first
        self.stuck = threading.Event()
        self.stuck.set()

    def unstick(self) -> None:
        self.stuck.clear()

    def _listen(self) -> None:
        """Listen with a receive buffer the size of a printer's: the connections it accepts inherit it."""
        super()._listen()
        self._server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, PRINTER_RECEIVE_BUFFER)

    def _serve(self, conn: socket.socket) -> None:
        if not self.stuck.is_set():
            return super()._serve(conn)
        data, scanned = bytearray(), 0
        try:
            while len(data) < self.reads_first:
                chunk = conn.recv(1)
                if not chunk:
                    return
                data += chunk
                scanned = self._answer_queries(conn, data, scanned)
            while self.stuck.is_set() and self._server is not None:
                time.sleep(0.05)  # what was sent stays unread, as in a jammed printer
        except OSError:
            pass


@pytest.mark.parametrize("reads_first", [6, 0], ids=["answers-status-then-stops-reading", "never-reads"])
def test_a_printer_that_stops_reading_loses_no_badge_and_says_so(make_server, monkeypatch, reads_first):
    """The job fits in our kernel's buffers, so sending it "succeeds": it used to count as printed
    (and never came out) while the console showed the printer online with no error."""
    monkeypatch.setattr(backend_network, "RECEIPT_TIMEOUT", 2.0)  # a real printer answers in milliseconds
    with StuckPrinter(reads_first) as fake:
        srv: Server = make_server(printer=fake.config(timeout=1.0))
        codes = [p["ticket_code"] for p in srv.people()[:3]]
        timed_check_ins(lambda code: srv.scan(code), codes, "printer stopped reading")

        down = wait_until(lambda: printer_of(srv)["last_error"] and printer_of(srv), timeout=15,
                          what="the stuck printer's error on the console")
        assert "badge" in down["last_error"] or "stopped taking data" in down["last_error"], down
        shown = []
        deadline = time.monotonic() + 5  # a probe finds it answering, a retry is under way: still not printing
        while time.monotonic() < deadline:
            shown.append(printer_of(srv))
            time.sleep(0.2)
        assert all(s["last_error"] for s in shown), [s["last_error"] for s in shown]
        assert all(s["queue"]["printed"] == 0 for s in shown), "a badge the printer never read counted as printed"

        fake.unstick()
        assert_printed_once(fake, codes, timeout=40)
        wait_until(lambda: printer_of(srv)["queue"]["printed"] == len(codes), what="the queue drained")
        assert printer_of(srv)["last_error"] is None
