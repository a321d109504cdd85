"""A lean HTTP/1.1 keep-alive client for the load benches: what `wrk` is to `curl`.

Why: bench/checkin.py's clients share the server's two cores, so whatever a client
spends on a request is taken from the server being measured. Python's `http.client`
spent 490-650 µs of CPU per request (it builds a header object and parses every
response's headers with the email package), as much as the do-nothing endpoint
itself. This client writes one prepared request per call and reads the answer by
its Content-Length: 140-280 µs of client CPU per request, the kernel's loopback
included (bench/RESULTS.md, session 15).

It speaks only what the bench needs, and refuses anything else rather than guess:
answers must carry a Content-Length (gunicorn and Werkzeug send one for these JSON
answers); `Connection: close` from the server closes the socket, and the next
request opens a new one.
"""

from __future__ import annotations

import socket


class HTTPError(Exception):
    """The answer could not be read (closed early, no Content-Length, not HTTP)."""


class KeepAlive:
    """One keep-alive connection to 127.0.0.1:`port` sending POSTs of JSON to `path`."""

    def __init__(self, port: int, path: str, headers: dict[str, str], timeout: float) -> None:
        self.port, self.timeout = port, timeout
        head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
                *(f"{name}: {value}" for name, value in headers.items())]
        self._head = ("\r\n".join(head) + "\r\nContent-Length: ").encode("latin-1")
        self._sock: socket.socket | None = None
        self._buffer = b""
        self.connects = 0

    def post(self, body: bytes) -> tuple[int, bytes]:
        """Send one request, return (status, body). Any failure closes the connection and raises
        OSError or HTTPError; the next call connects again."""
        try:
            sock = self._sock or self._connect()
            sock.sendall(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
            return self._answer(sock)
        except (OSError, HTTPError):
            self.close()
            raise

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buffer = None, b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buffer = sock, b""
        self.connects += 1
        return sock

    def _answer(self, sock: socket.socket) -> tuple[int, bytes]:
        head = self._read_until(sock, b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HTTPError(f"not an HTTP answer: {status_line[:80]!r}")
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        if not fields.get("content-length", "").isdigit():
            raise HTTPError(f"answer without a Content-Length: {status_line[:80]!r}")
        body = self._read_exactly(sock, int(fields["content-length"]))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), body

    def _read_until(self, sock: socket.socket, marker: bytes) -> bytes:
        while (end := self._buffer.find(marker)) < 0:
            self._fill(sock)
        head, self._buffer = self._buffer[:end], self._buffer[end + len(marker):]
        return head

    def _read_exactly(self, sock: socket.socket, length: int) -> bytes:
        while len(self._buffer) < length:
            self._fill(sock)
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return body

    def _fill(self, sock: socket.socket) -> None:
        data = sock.recv(65536)
        if not data:
            raise HTTPError("the server closed the connection")
        self._buffer += data
