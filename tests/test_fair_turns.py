"""One connection's work must not hold every other connection: the worker is one thread of greenlets,
and a greenlet keeps the thread until it waits for something.

Two ways a client made gunicorn work without ever waiting, both measured in a review against
`kiosk serve`: thousands of requests written at once on one connection (HTTP pipelining, no login
needed), answered back to back, held a scan 3-10 s; and a body of one-byte chunks, decoded one
after another, held it about 10 s. The worker now gives the others a turn between two pipelined
requests and every CHUNK_TURN chunks.
"""

from __future__ import annotations

import socket
import threading
import time

from test_server_limits import ticket_codes, timed_scan

PIPELINED = 12000  # requests written at once on one connection (6,000 took about 1 s on this VM when quiet)
CHUNKS = 800_000  # one-byte chunks of one body (400,000 took about 1 s on this VM when quiet)


class Reader(threading.Thread):
    """Reads everything a connection answers, until it closes or goes quiet for 5 s; how long that took."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self.sock, self.received, self.started = sock, bytearray(), time.monotonic()
        self.took = 0.0

    def run(self) -> None:
        self.sock.settimeout(5)
        try:
            while data := self.sock.recv(1 << 16):
                self.received += data
                self.took = time.monotonic() - self.started
        except OSError:
            pass


def _slowest_of(url: str, token: str, codes: list[str], count: int) -> float:
    """The slowest of `count` scans made one after another, each on a new connection."""
    slowest = 0.0
    for code in codes[:count]:
        seconds, status = timed_scan(url, token, code)
        assert status == 201
        slowest = max(slowest, seconds)
    return slowest


def test_thousands_of_pipelined_requests_on_one_connection_do_not_hold_the_scans(kiosk_process):
    proc, tokens = kiosk_process()
    codes = ticket_codes(proc.url, tokens)
    flood = socket.create_connection(("127.0.0.1", proc.port))
    reader = Reader(flood)
    reader.start()
    flood.sendall(b"GET /api/headcount HTTP/1.1\r\nHost: door\r\n\r\n" * PIPELINED)
    time.sleep(0.2)
    slowest = _slowest_of(proc.url, tokens["kiosk"], codes, 3)
    reader.join(timeout=120)
    flood.close()
    answered = reader.received.count(b"HTTP/1.1 200")
    assert answered == PIPELINED, f"{answered} of {PIPELINED} pipelined requests answered"
    print(f"{PIPELINED} pipelined requests answered in {reader.took:.2f} s; slowest scan meanwhile {slowest:.3f} s")
    assert reader.took > 1.0, "the flood was answered too fast to show anything"
    assert slowest < reader.took / 4, f"a scan waited {slowest:.2f} s behind {reader.took:.2f} s of pipelined answers"


def test_a_body_of_one_byte_chunks_does_not_hold_the_scans(kiosk_process):
    proc, tokens = kiosk_process()
    codes = ticket_codes(proc.url, tokens)
    head = (f"POST /api/checkins HTTP/1.1\r\nHost: door\r\nAuthorization: Bearer {tokens['kiosk']}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    body = b'{"code": "' + b"A" * (CHUNKS - 12) + b'"}'
    flood = socket.create_connection(("127.0.0.1", proc.port))
    reader = Reader(flood)
    reader.start()
    flood.sendall(head + b"".join(b"1\r\n%c\r\n" % byte for byte in body) + b"0\r\n\r\n")
    time.sleep(0.2)
    slowest = _slowest_of(proc.url, tokens["kiosk"], codes, 3)
    reader.join(timeout=120)
    flood.close()
    assert reader.received.startswith(b"HTTP/1.1 4"), reader.received[:200]
    print(f"{CHUNKS} one-byte chunks answered in {reader.took:.2f} s; slowest scan meanwhile {slowest:.3f} s")
    assert reader.took > 1.0, "the chunks were decoded too fast to show anything"
    assert slowest < reader.took / 4, f"a scan waited {slowest:.2f} s behind {reader.took:.2f} s of decoding"


HANDSHAKE = (b"GET /ws/headcount HTTP/1.1\r\nHost: door\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
MASK = b"\x01\x02\x03\x04"
# A text message begun and never finished: one-byte continuation frames, masked as a client's are.
FIRST_FRAME = b"\x01\x81" + MASK + bytes([ord("x") ^ MASK[0]])
TINY_FRAMES = (b"\x00\x81" + MASK + bytes([ord("x") ^ MASK[0]])) * 8192
FLOODERS = 6


def _flood_with_tiny_frames(port: int, stop: threading.Event, sent: list[int], hung_up: list[bool]) -> None:
    """A stranger's public /ws/headcount socket streaming one-byte frames until hung up or told to stop."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)
    sock.sendall(HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    try:
        sock.sendall(FIRST_FRAME)
        while not stop.is_set():
            sock.sendall(TINY_FRAMES)
            sent[0] += len(TINY_FRAMES)
    except OSError:
        hung_up[0] = True
    finally:
        sock.close()


def test_public_sockets_streaming_tiny_frames_neither_hold_the_scans_nor_stay_connected(kiosk_process):
    proc, tokens = kiosk_process()
    codes = ticket_codes(proc.url, tokens)
    stop = threading.Event()
    results = [([0], [False]) for _ in range(FLOODERS)]
    flooders = [threading.Thread(target=_flood_with_tiny_frames, args=(proc.port, stop, *result), daemon=True)
                for result in results]
    for flooder in flooders:
        flooder.start()
    try:
        time.sleep(0.5)
        slowest = _slowest_of(proc.url, tokens["kiosk"], codes, 10)
    finally:
        stop.set()
        for flooder in flooders:
            flooder.join(timeout=30)
    sent = [result[0][0] for result in results]
    print(f"{FLOODERS} sockets of tiny frames, {sum(sent)} bytes sent; slowest scan meanwhile {slowest:.3f} s")
    assert all(hung_up[0] for _, hung_up in results), "a socket that streamed frames at a display's feed stayed open"
    assert slowest < 0.25, f"a scan took {slowest:.2f} s beside {FLOODERS} sockets of tiny frames"
