"""gunicorn's gevent worker as the door runs it (DoorWorker): connection limits and JSON refusals.

The venue's Wi-Fi is shared with strangers, so the worker never lets connections that say
nothing, or read nothing, fill its greenlets: at most WAITING connections may wait for a request
head, a TLS handshake, the rest of a body or a client that does not read its answer, websockets
may hold their share, and past either limit the oldest connection of the address holding the
most is closed (a stalled reader first). gunicorn's own refusals (414, 431, 400) answer JSON like
the app. The limits live in kiosk.server_limits.

Imported only by `kiosk serve` (kiosk.server.door_worker): it imports gevent.
"""

from __future__ import annotations

import errno
import socket
import ssl
import struct
import time
from typing import Any, Callable

import gevent
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from . import server_limits as limits
from .auth import address_key


class WaitingConnections:
    """The connections waiting for a request head (or a TLS handshake, a body, a client to read its
    answer), in order, per client address.

    gunicorn's gevent worker gives every connection a greenlet from a pool of `worker_connections`
    and waits up to `keepalive` seconds for each request head; a connection that sends nothing
    keeps its place all that time, and once the pool is full nothing else is accepted: 2,000
    silent connections froze the door for 75 s. Here at most `limit` connections may wait; one
    more and the oldest waiting connection of the address holding the most is closed. A phone's
    idle keep-alive connection may be closed early under such pressure (it simply opens a new
    one). A request whose head and body are in is never touched while it is being answered, only
    once its answer waits for a client that does not read it; websockets have their own limit.
    The worker keeps a second one for its websockets, whose `close()` hangs the socket up.

    Within the address that loses one, a stalled writer (`writing`: an answer its client is not
    reading) goes before the oldest connection: its answer is made already and its client has shown
    it is not taking it, while a connection waiting for a head may be a station about to send a
    scan. The address comes first all the same, so that a stranger's silent connections never cut
    off somebody else's slow download."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._by_address: dict[str, dict[Any, Callable[[], None]]] = {}  # insertion order: oldest first
        self._writing: dict[str, dict[Any, None]] = {}  # the stalled writers among them, oldest first
        self._address: dict[Any, str] = {}

    def add(self, key: Any, address: str, close: Callable[[], None], writing: bool = False) -> None:
        """`key` waits for its request (or, `writing`, for its client to read); `close()` ends it if it
        must make room."""
        self._by_address.setdefault(address, {})[key] = close
        if writing:
            self._writing.setdefault(address, {})[key] = None
        self._address[key] = address
        self.count += 1
        while self.count > self.limit:
            self._evict()

    def _evict(self) -> None:
        address = max(self._by_address, key=lambda each: len(self._by_address[each]))
        victim = next(iter(self._writing.get(address) or self._by_address[address]))
        evict = self._by_address[address][victim]
        self.discard(victim)
        evict()

    def discard(self, key: Any) -> None:
        address = self._address.pop(key, None)
        if address is None:
            return
        for group in (self._by_address, self._writing):
            keys = group.get(address, {})
            keys.pop(key, None)
            if not keys:
                group.pop(address, None)
        self.count -= 1

    def from_address(self, address: str) -> int:
        return len(self._by_address.get(address, ()))



class _SocketProxy:
    """A client socket with some of its methods replaced; all the others are the socket's own."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class HeadWait:
    """gunicorn's wait for a request head (gevent.Timeout(keepalive, False)), registered with
    the worker's WaitingConnections so that it can also be ended early (`evicted`). The other
    waits (a TLS handshake, a body, a client to read) are the same, with their own deadline."""

    def __init__(self, worker: Any, seconds: float, writing: bool = False) -> None:
        self.worker, self.timeout = worker, gevent.Timeout(seconds, False)
        self.greenlet = gevent.getcurrent()
        self.writing = writing
        self.expired = self.evicted = False

    def __enter__(self) -> "HeadWait":
        self.timeout.start()
        waiting = self.worker.waiting
        waiting.add(self.greenlet, self.worker.addresses.get(self.greenlet, ""), self._close, self.writing)
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> bool:
        self.worker.waiting.discard(self.greenlet)
        self.expired = value is self.timeout
        return bool(self.timeout.__exit__(kind, value, traceback))

    def _close(self) -> None:
        gevent.get_hub().loop.run_callback(self._expire)

    def _expire(self) -> None:  # in the hub: still waiting, or already on its way with a request?
        if self.timeout.pending:
            self.evicted = True
            self.greenlet.throw(self.timeout)


class BodyWait:
    """A request body whose every read must finish within BODY_WAIT seconds, waiting as a
    request head does (one of WaitingConnections, closed first under pressure).

    Without it a client that sent a head with "Content-Length: 100" and then nothing held its
    greenlet for as long as it liked, with no deadline at all (4,100 stalled scans and the door
    stopped). A stalled read ends as if the client had gone: the body ends there, which
    Werkzeug answers with a 400 (ClientDisconnected) and kiosk.fast_scan with its 400 for a
    body that is not JSON, without a traceback; the connection then closes (Body.failed)."""

    def __init__(self, worker: Any, body: Any) -> None:
        self.worker, self.body = worker, body

    def read(self, size: int | None = None) -> bytes:
        return self._within(self.body.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._within(self.body.readline, size)

    def readlines(self, size: int | None = None) -> list[bytes]:
        return self._within(self.body.readlines, size)

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def _within(self, read: Callable[..., Any], size: int | None) -> Any:
        with HeadWait(self.worker, limits.BODY_WAIT) as wait:
            data = read(size)
        if wait.expired:
            self.body.failed = True
            return b"" if read is not self.body.readlines else []
        return data


class WriteWait(_SocketProxy):
    """The client socket an answer (not a websocket's) is written to, where every send must see
    the client read within WRITE_WAIT seconds, waiting as a request head does (one of
    WaitingConnections, and the first of its address closed under pressure).

    Without it a client that sent requests and read nothing (or a byte a minute) held its greenlet
    and socket in gunicorn's sendall for good once the socket's buffers were full, uncounted: a
    few thousand such clients and the door stopped. A send the socket takes at once is not
    counted (most answers fit its buffer and never wait). One that must wait is, and on its
    deadline the connection ends unless the kernel's queue for it has shrunk meanwhile (the
    socket takes more only once about a third of its buffer has gone, and Linux lets that
    buffer grow to 4 MB: the send's own wait is no measure of a slow link). So a download
    that keeps going on a slow link, an export or a ticket sheet, takes as long as it needs.
    A stalled connection is reset (SO_LINGER 0: the kernel drops the bytes nobody reads) and
    gunicorn is told the client went away (EPIPE), which it lets go quietly."""

    def __init__(self, worker: Any, sock: Any) -> None:
        super().__init__(sock)
        self._worker = worker

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self.send(view):]

    def send(self, data: Any) -> int:
        """What the socket takes at once or, waiting (counted), once the client has read some."""
        sent = _send_now(self._sock, data)
        while not sent and len(data):
            queued = _unsent(self._sock)
            with HeadWait(self._worker, limits.WRITE_WAIT, writing=True) as wait:
                sent = self._sock.send(data)
            if wait.expired and (wait.evicted or not _unsent(self._sock) < queued):
                self._reset()
        return sent

    def _reset(self) -> None:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raise BrokenPipeError(errno.EPIPE, "the client stopped reading its answer")


class FairReads(_SocketProxy):
    """A websocket's client socket. A read that brought data gives the other connections a
    turn: a client streaming one-byte frames kept the worker parsing them without one (eight
    such sockets on the public /ws/headcount, and a scan took 0.7 s). A socket whose client
    should say next to nothing (`listen_only`: a door display, a console) is hung up once it
    has been sent LISTENER_BYTES within LISTENER_SECONDS; the page reconnects by itself."""

    def __init__(self, sock: Any, listen_only: bool) -> None:
        super().__init__(sock)
        self._listen_only = listen_only
        self._since, self._heard = time.monotonic(), 0

    def recv(self, *args: Any) -> bytes:
        data = self._sock.recv(*args)
        if data:
            gevent.sleep(0)
            if self._listen_only and self._too_talkative(len(data)):
                _hang_up(self._sock)
                return b""
        return data

    def _too_talkative(self, size: int) -> bool:
        now = time.monotonic()
        if now - self._since > limits.LISTENER_SECONDS:
            self._since, self._heard = now, 0
        self._heard += size
        return self._heard > limits.LISTENER_BYTES


class DoorWorker(GeventWorker):
    """gunicorn's gevent worker with the door's waits (HeadWait, BodyWait, WriteWait, FairReads),
    its two WaitingConnections (requests and websockets) and JSON refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = WaitingConnections(min(limits.WAITING, max(1, self.worker_connections // 4)))
        self.websockets = WaitingConnections(max(1, self.worker_connections - self.waiting.limit - limits.ANSWERING))
        self.addresses: dict[Any, str] = {}  # greenlet -> its client's address (an IPv6 /64 is one)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        me = gevent.getcurrent()
        self.addresses[me] = address_key(addr[0]) if isinstance(addr, tuple) and addr else ""
        try:
            if isinstance(client, ssl.SSLSocket) and not self._handshake(client):
                util.close(client)
                return
            super().handle(listener, client, addr)
        finally:
            del self.addresses[me]

    def _handshake(self, client: Any) -> bool:
        """The TLS handshake, under the deadline and the limit of a request head."""
        try:
            with HeadWait(self, self.cfg.keepalive or 10) as wait:
                client.setblocking(1)
                client.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            self.log.debug("TLS handshake failed: %s", exc)
            return False
        return not wait.expired

    def timeout_ctx(self) -> Any:
        return HeadWait(self, self.cfg.keepalive)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        """The app reads the request body through BodyWait: a body that stalls is cut off; the
        answer is written through WriteWait: a client that stops reading it is cut off too.
        A websocket counts among `websockets` for as long as it lives (its own pings find a
        client that has gone)."""
        body = req.body
        _decode_in_turns(body, gevent.sleep)
        req.body = BodyWait(self, body)
        me = gevent.getcurrent()
        if req.path.startswith("/ws/"):
            self.websockets.add(me, self.addresses.get(me, ""), lambda: _hang_up(sock))
            sock = FairReads(sock, listen_only=req.path in limits.LISTEN_ONLY)
        else:
            sock = WriteWait(self, sock)
        try:
            answered = super().handle_request(listener_name, req, sock, addr)  # None from gevent's worker
        finally:
            self.websockets.discard(me)
            req.body = body  # gunicorn drains a little that is left under its own head wait
        self._drain(body)  # only once the answer is written: an error on the way skips this
        if _pipelined(req):
            gevent.sleep(0)  # the others' turn before this connection's next request (_pipelined)
        return answered

    def _drain(self, body: Any) -> None:
        """Read away a large body the app left unread, DRAIN_STEP at a time with the other
        connections served between two steps, so that the answer already written reaches the client.

        An answer given before its body was read (a refused upload: a stale CSRF token, a session
        gone, a file over the app's limit) needs the connection to stay open while the client is
        still sending: closed with bytes unread, the kernel resets it, and a browser shows "connection
        reset" instead of the answer, so the organizer page's CSRF retry never ran. gunicorn's own
        drain reads 1 KB at a time without ever letting another connection in (18 MB held every
        scan for about 0.9 s). Each step waits as a body read does (BodyWait: counted, with its
        deadline); past DRAIN_LIMIT bytes, or a client gone, the connection closes (body.failed)."""
        if not _unread_too_much(body):
            return
        reader, drained = BodyWait(self, body), 0
        try:
            while drained <= limits.DRAIN_LIMIT:
                data = reader.read(limits.DRAIN_STEP)
                if not data:
                    return
                drained += len(data)
                gevent.sleep(0)
        except Exception:  # noqa: BLE001 - a client gone mid-body: the connection closes, as below
            pass
        body.failed = True

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn's own refusals (a request line or headers too long, malformed HTTP) as JSON:
        gunicorn still decides the status and logs as it does; only the HTML page it would send
        becomes the contract's {"result", "message"}."""
        captured = _Captured(client)
        super().handle_error(req, captured, addr, exc)
        try:
            status, reason = _status_of(captured.sent)
        except ValueError:  # gunicorn wrote no status line we can read: a plain 500
            status, reason = 500, "Internal Server Error"
        try:
            util.write_nonblock(client, json_refusal(status, reason))
        except Exception:  # noqa: BLE001 - the client is gone; as gunicorn's own write_error
            self.log.debug("Failed to send error message.")


def _unread_too_much(body: Any) -> bool:
    """Whether more than DRAIN_MAX bytes of a request body are left unread (or a chunked body not read
    to its end, whose length nobody knows): too much for gunicorn's own drain (see DoorWorker._drain)."""
    from gunicorn.http.body import ChunkedReader

    reader = getattr(body, "reader", None)
    if isinstance(reader, ChunkedReader):
        return reader.parser is not None
    return getattr(reader, "length", 0) > limits.DRAIN_MAX


def _pipelined(req: Any) -> bool:
    """Whether the client already sent its next request behind this one (HTTP pipelining).

    gunicorn answers such requests back to back, reading each from what it already holds, so one
    connection that wrote thousands of requests at once (no login needed: GET /api/headcount) held
    every scan for seconds. A browser or scanner waits for each answer; its next request is not
    there yet, and reading it gives the other connections their turn anyway."""
    buffered = getattr(getattr(req, "unreader", None), "buf", None)
    if buffered is None:
        return False
    with buffered.getbuffer() as view:
        return view.nbytes > 0


def _decode_in_turns(body: Any, pause: Callable[[float], Any]) -> None:
    """Let the other connections have a turn every CHUNK_TURN chunks of a chunked body.

    Decoding a chunk is work, not waiting: a body of a million one-byte chunks already in the
    socket's buffer kept the worker decoding for about 10 s (with a kiosk token, on /api/checkins),
    and no deadline fires while nothing waits. Legitimate chunks are kilobytes each."""
    from gunicorn.http.body import ChunkedReader

    reader = getattr(body, "reader", None)
    if isinstance(reader, ChunkedReader) and reader.parser is not None:
        reader.parser = _fair_chunks(reader.parser, pause)


def _fair_chunks(chunks: Any, pause: Callable[[float], Any]) -> Any:
    for count, data in enumerate(chunks, 1):
        yield data
        if count % limits.CHUNK_TURN == 0:
            pause(0)


def _hang_up(sock: Any) -> None:
    """End a websocket from outside: its reader sees the connection close, and its handler ends."""
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _send_now(sock: Any, data: Any) -> int:
    """Send what the socket takes without waiting: 0 when its buffer is full (gevent's sockets, TLS too,
    then raise or answer 0, as gunicorn's own util.write_nonblock has them do)."""
    sock.setblocking(0)
    try:
        return sock.send(data)
    except BlockingIOError:
        return 0
    finally:
        sock.setblocking(1)


def _unsent(sock: Any) -> int:
    """Bytes the kernel still holds for the socket, sent or not, until the client has them (SIOCOUTQ);
    where that cannot be asked (not Linux), 0: any wait past the deadline is then a stall."""
    try:
        import fcntl
        import termios

        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except (ImportError, AttributeError, OSError):
        return 0


class _Captured(_SocketProxy):
    """A client socket for gunicorn's handle_error: what it writes is kept, not sent."""

    def __init__(self, sock: Any) -> None:
        super().__init__(sock)
        self.sent = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.sent += bytes(data)

    def send(self, data: bytes) -> int:
        self.sent += bytes(data)
        return len(data)


def _status_of(response: bytes) -> tuple[int, str]:
    """The status code and reason of an HTTP/1.1 response's first line."""
    first = response.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if len(first) < 2 or not first[1].isdigit():
        raise ValueError("no status line")
    return int(first[1]), first[2] if len(first) > 2 else ""


REFUSALS = {
    400: "The request is not well-formed HTTP, so the server cannot read it.",
    403: "The server refuses this request.",
    414: "The request's address (path and query) is too long.",
    417: "The server cannot meet this request's Expect header.",
    431: "The request's headers are too many or too large.",
    500: "The server failed to answer this request; try again.",
    501: "The request's transfer coding is not one the server supports.",
}


def json_refusal(status: int, reason: str) -> bytes:
    """A whole HTTP response (closing the connection) in the contract's refusal shape."""
    import json

    result = "_".join(reason.lower().split()) or "error"
    message = REFUSALS.get(status, REFUSALS[500] if status >= 500 else REFUSALS[400])
    body = json.dumps({"result": result, "message": message}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n")
    return head.encode("latin-1") + body

