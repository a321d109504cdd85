"""Clients that send requests and do not read the answers, or read them a trickle at a time, against a
real `kiosk serve` on 127.0.0.1 with its limits scaled down (KIOSK_SERVER_LIMITS).

Once a client stopped reading, the greenlet writing its answer waited in sendall for good, and was not
counted among the waiting connections: more such clients than the worker has greenlets and the door
stopped. Each server test here failed before WriteWait (kiosk/door_worker.py), except the slow download,
which shows that the deadline is on the client reading nothing, not on the time a whole answer takes.
"""

from __future__ import annotations

import re
import socket
import time

import requests

from kiosk.server_limits import LIMITS_ENV
from test_server_limits import PROMPT, ticket_codes, timed_scan

PAGE = "/api/attendees?limit=500"  # about 100 KB of JSON with the demo evening's 237 people
PAGES = 50  # asked for at once (HTTP pipelining): more than the server's socket buffer (4 MB) holds
WRITE_WAIT = 1.0  # seconds; 30 in the evening (kiosk.server_limits.WRITE_WAIT)


def pages_request(token: str, count: int = PAGES) -> bytes:
    return f"GET {PAGE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode() * count


def stalled_reader(port: int, token: str, receive_buffer: int = 4096) -> socket.socket:
    """A client that asks for PAGES pages and reads none yet; its small receive buffer means the server's
    writing has to wait as soon as its own socket buffer is full."""
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    conn.connect(("127.0.0.1", port))
    conn.sendall(pages_request(token))
    return conn


def whole_answers(data: bytes | bytearray) -> int:
    """How many whole answers (head and Content-Length body) `data` holds, from its start."""
    count, at = 0, 0
    while (end := data.find(b"\r\n\r\n", at)) >= 0:
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", data[at:end]).group(1))
        if len(data) < end + 4 + length:
            break
        count, at = count + 1, end + 4 + length
    return count


def read_answers(conn: socket.socket, wanted: int, rate: float = 0.0, timeout: float = 10) -> tuple[int, bool]:
    """Read until `wanted` whole answers are in, at most `rate` bytes a second if given; (whole answers,
    whether the server closed or reset the connection first)."""
    started = time.monotonic()
    deadline, data = started + timeout, bytearray()
    conn.settimeout(0.5)
    while time.monotonic() < deadline and whole_answers(data) < wanted:
        if rate:
            time.sleep(max(0.0, started + len(data) / rate - time.monotonic()))
        try:
            chunk = conn.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return whole_answers(data), True
        if not chunk:
            return whole_answers(data), True
        data += chunk
    return whole_answers(data), False


def test_a_client_that_reads_nothing_is_cut_off_after_the_write_deadline_and_the_door_goes_on(
        kiosk_process, monkeypatch):
    """Was never cut off: the answer's greenlet waited in sendall for as long as the client liked."""
    monkeypatch.setenv(LIMITS_ENV, f"WRITE_WAIT={WRITE_WAIT}")  # the server inherits it
    proc, tokens = kiosk_process()
    codes = ticket_codes(proc.url, tokens)
    with stalled_reader(proc.port, tokens["organizer"]) as reader:
        latencies = [timed_scan(proc.url, tokens["kiosk"], code) for code in codes[:3]]
        assert [status for _, status in latencies] == [201] * 3
        assert max(seconds for seconds, _ in latencies) < PROMPT, latencies
        time.sleep(WRITE_WAIT + 2)  # the pages are written as far as they go, and the deadline has passed
        answers, closed = read_answers(reader, PAGES)
    assert closed and answers < PAGES, f"{answers} pages, closed: {closed}"
    assert requests.get(proc.url + "/api/headcount", timeout=PROMPT).json()["checked_in"] == 3
    proc.stop()
    assert "Traceback" not in proc.proc.stderr.read().decode()


def test_a_large_answer_read_slowly_but_steadily_arrives_whole(kiosk_process, monkeypatch):
    """The deadline is on the client reading nothing: the server's socket takes more only once a third
    of its 4 MB buffer has gone, which at 1 MB/s takes longer than WRITE_WAIT, and the whole answer
    longer still."""
    monkeypatch.setenv(LIMITS_ENV, f"WRITE_WAIT={WRITE_WAIT}")
    proc, tokens = kiosk_process()
    started = time.monotonic()
    with stalled_reader(proc.port, tokens["organizer"], receive_buffer=65536) as reader:
        answers, closed = read_answers(reader, PAGES, rate=1_000_000, timeout=25)
    seconds = time.monotonic() - started
    print(f"{PAGES} pages read slowly in {seconds:.1f} s")
    assert (answers, closed) == (PAGES, False)
    assert seconds > 3 * WRITE_WAIT  # slow enough that a deadline on the whole answer would cut it off


def test_stalled_readers_beyond_the_workers_connections_neither_lock_out_a_new_client_nor_close_a_station(
        kiosk_process, monkeypatch):
    """Were never closed: 10 of them filled a worker of 8 connections and the next scan was not
    answered at all. Now they wait among the 2 waiting connections that worker allows, and under
    pressure a stalled writer goes before the station's idle keep-alive connection (the same address,
    as everyone behind the venue's NAT), with the evening's 30 s write deadline still far off."""
    monkeypatch.setenv(LIMITS_ENV, "CONNECTIONS=8")  # so at most 2 waiting
    proc, tokens = kiosk_process()
    codes = ticket_codes(proc.url, tokens)
    headcount = b"GET /api/headcount HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", proc.port), timeout=10) as station:
        station.sendall(headcount)
        assert read_answers(station, 1) == (1, False)
        readers = [stalled_reader(proc.port, tokens["organizer"]) for _ in range(10)]
        try:
            time.sleep(2.5)  # every reader's pages are written as far as they go
            seconds, status = timed_scan(proc.url, tokens["kiosk"], codes[0])
            assert status == 201 and seconds < PROMPT, (status, seconds)
            station.sendall(headcount)
            assert read_answers(station, 1) == (1, False), "the station's keep-alive connection was closed"
            cut = sum(read_answers(reader, PAGES, timeout=5)[1] for reader in readers)
            assert cut >= 9, f"only {cut} of 10 stalled readers were closed"
        finally:
            for reader in readers:
                reader.close()
    proc.stop()
    assert "Traceback" not in proc.proc.stderr.read().decode()


def test_under_pressure_a_stalled_writer_goes_first_but_only_from_the_address_holding_the_most():
    """Stalled writers are the least useful waiting connections; a stranger's pile of silent ones must
    still not cost another address its slow download."""
    from kiosk.door_worker import WaitingConnections

    closed: list[str] = []
    waiting = WaitingConnections(limit=4)
    waiting.add("download", "10.0.0.2", lambda: closed.append("download"), writing=True)
    waiting.add("station", "10.0.0.3", lambda: closed.append("station"))
    waiting.add("stranger-0", "10.0.0.66", lambda: closed.append("stranger-0"))
    waiting.add("stranger-reader", "10.0.0.66", lambda: closed.append("stranger-reader"), writing=True)
    waiting.add("stranger-1", "10.0.0.66", lambda: closed.append("stranger-1"))
    assert closed == ["stranger-reader"]
    waiting.add("stranger-2", "10.0.0.66", lambda: closed.append("stranger-2"))
    assert closed == ["stranger-reader", "stranger-0"] and waiting.count == 4
    waiting.discard("download")  # its client read: the answer goes on, not waiting
    assert waiting.from_address("10.0.0.2") == 0 and waiting.count == 3


def test_scaled_down_limits_take_only_known_names_and_numbers_above_zero(monkeypatch):
    from kiosk import server_limits as limits

    for name in limits.LIMITS:
        monkeypatch.setattr(limits, name, getattr(limits, name))
    monkeypatch.setenv(limits.LIMITS_ENV, "WRITE_WAIT=1.5 CONNECTIONS=12 WAITING=-3 BODY_WAIT=soon TIMEOUT=1")
    limits.from_environment()
    assert (limits.WRITE_WAIT, limits.CONNECTIONS, limits.WAITING, limits.BODY_WAIT) == (1.5, 12, 1000, 30)
    assert type(limits.CONNECTIONS) is int


def answer_then_closed(conn: socket.socket, request: bytes) -> tuple[int, bool]:
    """Send `request`; (whole answers read, whether the server then closed the connection)."""
    conn.sendall(request)
    return read_answers(conn, 2, timeout=3)


def test_a_large_body_the_app_leaves_unread_closes_the_connection_instead_of_being_read_away(
        kiosk_process, monkeypatch):
    """gunicorn read an unread body away 1 KB at a time to keep the connection, and over a fast link
    the worker did nothing else meanwhile (18 MB held every scan for about 0.9 s). Past DRAIN_LIMIT
    (scaled down to 1 MB here) the connection now closes after the answer; a small unread body still
    keeps it alive (one in between is read away between other requests: tests/test_review8.py)."""
    monkeypatch.setenv(LIMITS_ENV, "DRAIN_LIMIT=1000000")  # the server inherits it
    proc, _ = kiosk_process(seed=False)
    head = "GET /api/headcount HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", proc.port), timeout=10) as conn:
        small = head.format(1000).encode() + b"x" * 1000
        assert answer_then_closed(conn, small) == (1, False), "a small unread body keeps the connection"
        conn.sendall(small)  # the same connection answers again
        assert read_answers(conn, 1, timeout=3) == (1, False)
    with socket.create_connection(("127.0.0.1", proc.port), timeout=10) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        large = head.format(2 << 20).encode() + b"x" * (2 << 20)
        assert answer_then_closed(conn, large) == (1, True), "a 2 MB unread body is not read away past DRAIN_LIMIT"
    assert requests.get(proc.url + "/api/headcount", timeout=PROMPT).status_code == 200
