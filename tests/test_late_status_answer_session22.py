"""A status answer that comes late is not taken for the printer's word that it has the badge.

Found by a printer-failure review (session 22): before a badge the kiosk asks the printer whether
it is online, then about its paper, giving each answer 2 s. A printer that answered the first at
once and the second only after 2.5 s (busy, weak Wi-Fi) had that late "paper ok" arrive on the
connection just as the badge went out, where it was read as the answer after the badge: the badge
was recorded printed while the printer was still reading it. When the printer then dropped the
connection halfway (switched off, its network gone), half a badge came out and the whole one never
did. A badge now goes on a fresh connection after such a query, so only a real answer counts.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from conftest import wait_until

try:
    from tests.escpos_decode import qr_texts
    from tests.fake_printer import FakePrinter
except ModuleNotFoundError:
    from escpos_decode import qr_texts
    from fake_printer import FakePrinter

pytestmark = pytest.mark.timeout(60)
LATE = 2.5  # seconds: the kiosk gives a status query 2 s


class LatePaperAnswer(FakePrinter):
    """Answers the paper query (DLE EOT 4) at the start of a connection LATE seconds late, and drops
    its first badge halfway; from then on an ordinary printer."""

    def __init__(self) -> None:
        super().__init__(read_bytes_per_s=3000, drop_after=8000)
        self.late = True

    def _answer_queries(self, conn: socket.socket, data: bytearray, scanned: int) -> int:
        if self.late and data.endswith(b"\x10\x04\x04") and len(data) <= 6:
            answer = bytes([self.status_byte(4)])
            threading.Timer(LATE, self._send_quietly, (conn, answer)).start()
            return len(data)
        return super()._answer_queries(conn, data, scanned)

    @staticmethod
    def _send_quietly(conn: socket.socket, answer: bytes) -> None:
        try:
            conn.sendall(answer)
        except OSError:
            pass

    def _record(self, data: bytes) -> None:
        super()._record(data)
        if self.jobs:  # the half badge is out: the printer is back to normal
            self.drop_after, self.late = None, False


def _codes(jobs: list[bytes]) -> list[str]:
    """The QR of each whole badge (a half badge has none that can be read)."""
    found = []
    for job in jobs:
        try:
            found += qr_texts(job)
        except ValueError:  # the raster cut off in the middle
            pass
    return found


def test_a_badge_dropped_halfway_after_a_late_status_answer_prints_again(make_server):
    with LatePaperAnswer() as fake:
        srv = make_server(printer=fake.config(timeout=3.0))
        person = srv.people()[5]
        assert srv.scan(person["ticket_code"]).status_code == 201

        wait_until(lambda: _codes(fake.jobs), timeout=40, what="a whole badge")
        time.sleep(1.0)  # room for a duplicate to show up
        assert _codes(fake.jobs) == [person["ticket_code"]]
        assert len(fake.jobs) == 2  # the half badge, then the whole one
