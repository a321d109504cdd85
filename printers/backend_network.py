"""Port-9100 (raw TCP) printers through python-escpos's Network class.

python-escpos opens lazily and its default timeout is 60 s; here every step has
a short timeout, errors become PrinterError at once, and the connection lives
for exactly one job. Before a job, a DLE EOT check (where the printer answers)
refuses to send into a printer with no paper or an open cover, since the badge
would otherwise wait inside it while the attendee walks off.
"""

from __future__ import annotations

import abc
import errno
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

try:
    import fcntl
    import termios
except ImportError:  # Windows: no SIOCOUTQ; only the status answers and the hang-up tell
    fcntl = termios = None  # type: ignore[assignment]

from PIL import Image

from printers import escpos_lib, liveness
from printers.status import PrinterError, PrinterStatus, query_status, refuse_unless_ready

STATUS_TIMEOUT = 2.0   # an answering printer replies in milliseconds; over weak Wi-Fi, in a second or so
# A printer that answered, then fell silent this long, is taken for one that never answers (a print
# server put in its place). Not minutes: a jam can last that long, and a badge sent into a jammed
# printer's buffer counts as printed and never comes out.
SILENCE_GIVE_UP = 12 * 3600.0
RECEIPT_TIMEOUT = 10.0  # after a job, its answer waits until the printer has read the whole badge (again while it still takes bytes)
DRAIN_TIMEOUT = 1.0    # wait for the printer to close after our FIN (one whose answer vouched for the badge)
# A printer that does not answer status vouches for a badge only by hanging up after our FIN: it has
# read to the end. Its TCP acknowledging every byte proves nothing when its receive buffer holds a
# whole badge (a computer's does: a print server that accepted the connection and never read).
# As long as an answer may take: a slow printer hangs up once the badge's paper has moved.
HANGUP_TIMEOUT = RECEIPT_TIMEOUT
# The slowest line a network printer may read its badges through: a 9,600-baud printer behind a
# serial-to-network box, 10 bits a byte. Such a box (or a printer's own buffer) takes a whole badge
# into its buffer at once and then feeds the line for as long as the badge takes to cross it.
SLOWEST_LINE_BYTES_PER_S = 960.0
# Lines are slower still (4,800 or 2,400 baud): so the wait follows the pace the printer's earlier
# badges were read at (``NetworkBackend._pace``), with half again on top, as a serial line's does.
# Before the first badge of a printer that answers status that pace is unknown, and the badge is
# allowed its time on a 2,400-baud line, the slowest thermal printers take (a quarter of the above).
PACE_MARGIN = 1.5
FIRST_BADGE_SLOWDOWN = 4.0
ANSWER_POLL = 0.2     # seconds between two looks at a slow printer's progress while its answer is awaited
DELIVERY_POLL = 0.01   # seconds between two looks at how much of the job the printer has not acknowledged


class AnswerMemory(abc.ABC):
    """Whether a printer answers status queries, learned from its answers; shared by the backends
    that ask after a badge (network and serial printers).

    A printer that has answered and then falls silent is jammed or switched off: its badges wait
    (``_stopped_answering``) instead of going into a printer that would drop them. One silent from
    the start, or for SILENCE_GIVE_UP on end, never answers (a print server): badges go without
    the check. Subclasses say ``_where``."""

    _answers_status: bool | None = None  # None until we have asked once
    _silent_since: float | None = None  # when a printer that had answered stopped answering
    SILENT_HINT = "jammed, or busy?"

    @abc.abstractmethod
    def _where(self) -> str:
        """The printer in a volunteer's words, starting a sentence."""

    def _stopped_answering(self) -> bool:
        """After a status query met silence: True when this printer has answered before, so a job
        must wait for it. Silence from the start, or for SILENCE_GIVE_UP on end, means a printer
        that does not answer status at all: jobs go without the check."""
        if self._answers_status is not True:
            self._answers_status = False
            return False
        now = time.monotonic()
        self._silent_since = self._silent_since or now
        if now - self._silent_since < SILENCE_GIVE_UP:
            return True
        self._answers_status = False
        return False

    def _heard(self) -> None:
        self._answers_status, self._silent_since = True, None

    @property
    def answers_status(self) -> bool | None:
        """Whether this printer answers status queries (None: not asked yet). The print process
        stores it with the printer's state, so that `kiosk printer status`, which starts afresh,
        knows that silence from this printer means trouble (see known_to_answer)."""
        return self._answers_status

    def known_to_answer(self) -> None:
        """Take this printer for one that answers status (the print process heard it answer):
        a silent status query then says "stopped answering", not "online"."""
        self._heard()

    def _silent_detail(self) -> str:
        return f"{self._where()} has stopped answering ({self.SILENT_HINT}): badges wait until it answers again."

    def _judge(self, reached: bool, found: Any, no_status: str) -> PrinterStatus:
        """What a status check (``escpos_lib.ask_status``) means: the answer; offline when the
        printer could not be opened or has stopped answering; online (`no_status`) for silence
        from a printer that never answers."""
        if not reached:
            return found
        if found is not None:
            self._heard()
            return found
        if self._stopped_answering():
            return PrinterStatus(False, "unknown", self._silent_detail())
        return PrinterStatus(True, "unknown", no_status)


class NetworkBackend(AnswerMemory):
    """One TCP connection per job; ``timeout`` bounds connect and each send."""

    wants_preview = False
    draws = True

    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0, profile: str = "TM-T20II") -> None:
        self.host, self.port, self.timeout, self.profile = host, port, timeout, profile
        self.name = f"network {host}:{port}"
        self._answers_status: bool | None = None  # None until we have asked once
        self._silent_since: float | None = None  # when a printer that had answered stopped answering
        self._pace: float | None = None  # bytes a second its last badge reached it at (None: no badge yet)

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """Connect, check paper, write the job in one go, make sure it arrived, close politely.

        A finished write only means the bytes are in our kernel's buffers: a 12 KB badge fits
        there whole. So the printer is asked once more after the job (where it answers), and
        a printer that hung up in the middle of a badge is a failed job, sent again later.
        A printer that stops reading (jammed, its buffer full) fails the job too: the bytes it
        has not acknowledged are thrown away (``_abort``), so it cannot print them later, after
        the job was queued again."""
        printer = self._connect(self.timeout)
        try:
            answered, unanswered = self._preflight(printer)
            if unanswered:  # its late answer would pass for the answer after the badge
                escpos_lib.close_quietly(printer)
                printer = self._connect(self.timeout)
            printer.device.settimeout(self.timeout)
            started = time.monotonic()
            printer._raw(job)
            received = self._receipt(printer, answered, len(job))
            if not received:  # no answer to vouch for the badge: the printer's TCP must have taken all of it
                _wait_delivered(printer.device, self.timeout)
            else:
                self._measure(len(job), started)
                if delivered is not None:
                    delivered()  # the printer has it all: recorded now, not after its hang-up (up to DRAIN_TIMEOUT)
            hangup_wait = reading_time(HANGUP_TIMEOUT, len(job), self._line_pace(answered=False))
            hung_up = _linger_close(printer.device, received, hangup_wait)
            if not received and not hung_up:
                raise PrinterError(f"The printer at {self.host}:{self.port} took the badge but has not read it in "
                                   f"{hangup_wait:.0f} s (hung, or jammed?).", "timeout")
            if not received:
                self._measure(len(job), started)
        except PrinterError:
            _abort(printer.device)
            raise
        except OSError as exc:
            _abort(printer.device)
            raise _explain(exc, self.host, self.port, self.timeout, sending=True) from exc
        finally:
            escpos_lib.close_quietly(printer)

    def status(self) -> PrinterStatus:
        """DLE EOT over a fresh connection; silence means "unknown", never a hang."""
        wait = min(self.timeout, STATUS_TIMEOUT)
        reached, found = escpos_lib.ask_status(lambda: self._connect(wait), self._where())
        # Many print servers never answer DLE EOT yet print fine: reachable counts as online.
        return self._judge(reached, found, f"{self._where()} accepts jobs but does not report its status.")

    def _connect(self, timeout: float) -> Any:
        """An open python-escpos Network printer, or PrinterError."""
        printer = escpos_lib.printer_class("Network")(self.host, self.port, timeout=timeout, profile=self.profile)
        not_found = escpos_lib.exceptions().DeviceNotFoundError
        try:
            with escpos_lib.root_logging_untouched():
                printer.open()
        except not_found as exc:
            cause = exc.__context__ if isinstance(exc.__context__, OSError) else OSError(str(exc))
            raise _explain(cause, self.host, self.port, timeout, sending=False) from exc
        # The status query after a badge is a few bytes behind 12 KB: Nagle's algorithm would hold
        # it until the printer acknowledges the badge, which a delayed ACK puts off by 40 ms or
        # more; all that time the badge is on the printer and not yet recorded printed.
        printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return printer

    def _preflight(self, printer: Any) -> tuple[bool, bool]:
        """Refuse to send when the printer says it cannot print, or when a printer that answers has
        fallen silent (jammed: it would take the badge into its buffer and never print it); skip
        the check for a printer that never answers. Says whether it answered on this connection,
        and whether it left one of the queries unanswered after answering another (slow, over weak
        Wi-Fi): that answer may still come on this connection, so the badge goes on a fresh one."""
        if self._answers_status is False:
            return False, False
        printer.device.settimeout(min(self.timeout, STATUS_TIMEOUT))
        silences = _count_silences(printer)
        found = self._ask(printer)
        if found is None and self._stopped_answering():
            raise PrinterError(self._silent_detail(), "silent")
        refuse_unless_ready(found)
        return found is not None, found is not None and silences[0] > 0

    def _where(self) -> str:
        return f"The printer at {self.host}:{self.port}"

    def _line_pace(self, answered: bool) -> float:
        """The bytes a second a badge is allowed to reach the printer at: its last badge's pace (less
        PACE_MARGIN), never above SLOWEST_LINE_BYTES_PER_S. Before its first badge, a printer that
        `answered` status gets a 2,400-baud line's time (FIRST_BADGE_SLOWDOWN): waiting longer for
        its answer only tells a jam later (a jammed printer has the badge in its buffer either way),
        while giving up too soon prints the badge twice. One that does not answer keeps the 9,600-baud
        line's: its silence looks the same as a hung print server's, which `kiosk printer test`
        reports within about 20 s."""
        if self._pace is not None:
            return min(SLOWEST_LINE_BYTES_PER_S, self._pace / PACE_MARGIN)
        return SLOWEST_LINE_BYTES_PER_S / FIRST_BADGE_SLOWDOWN if answered else SLOWEST_LINE_BYTES_PER_S

    def _measure(self, size: int, started: float) -> None:
        """Note the pace a badge of `size` bytes, written from `started`, reached the printer at: the
        whole badge crossed its line by now, so the line is at least this fast (slow lines only
        measure what they are; a fast printer's pace is far above SLOWEST_LINE_BYTES_PER_S)."""
        self._pace = size / max(time.monotonic() - started, 1e-3)

    def _receipt(self, printer: Any, answered: bool, size: int) -> bool:
        """After the job, ask again (printers that answer only): True when the printer answered.

        A printer answers DLE EOT as it reads it, after every byte sent before it, so an answer
        means the whole badge arrived. Paper that ran out meanwhile fails the job: the badge
        was cut short and is printed again once there is paper. A printer that `answered`
        just before the job and is silent after it has not read the job (jammed, or its
        buffer is full): that job failed too, or it would count as printed and never come out."""
        if not self._answers_status:
            return False
        wait = reading_time(RECEIPT_TIMEOUT, size, self._line_pace(answered))
        printer.device.settimeout(wait)
        if answered:
            printer._read = lambda: _answer_after_badge(printer.device, self.timeout, wait)
        found = self._ask(printer)
        if found is None and answered and _unacknowledged(printer.device):
            self._wait_read(printer)  # the badge stopped crossing: fails unless it moves again
            found = self._ask(printer)
        if found is None and answered:
            raise PrinterError(f"The printer at {self.host}:{self.port} has not read the badge for "
                               f"{wait:.0f} s (jammed, or stuck?).", "timeout")
        refuse_unless_ready(found)
        return found is not None

    def _wait_read(self, printer: Any) -> None:
        """After the answer's deadline passed with part of the badge still unread: wait for as long
        as the printer keeps taking it, then its answer gets a deadline of its own again.

        The answer comes once the printer has read every byte before the query. On a slow link (a
        9,600-baud printer behind a serial-to-network box) a badge takes 10-25 s to cross; with only
        the one deadline, every badge failed at RECEIPT_TIMEOUT, already on its way to the paper, and
        was sent again and again. A printer that stops taking data for `timeout` seconds has not
        read the badge (jammed, or stuck)."""
        try:
            _wait_delivered(printer.device, self.timeout)
        except socket.timeout:
            raise PrinterError(f"The printer at {self.host}:{self.port} has not read the badge for "
                               f"{self.timeout:g} s (jammed, or stuck?).", "timeout") from None

    def _ask(self, printer: Any) -> PrinterStatus | None:
        """The printer's status, None when it stays silent; a hang-up instead of an answer is a
        dropped connection (PrinterError), not a printer that never answers."""
        where = f"The printer at {self.host}:{self.port}"
        found = query_status(printer, where)
        if found is None and _hung_up(printer.device):
            raise _explain(ConnectionResetError(), self.host, self.port, self.timeout, sending=True)
        if found is not None:
            self._heard()
        return found


def _count_silences(printer: Any) -> list[int]:
    """Count the printer's reads that timed out from now on (in the list's one item).

    The answer to a query given up on may come later on the same connection: a late "paper ok"
    arriving just after the badge was taken for the answer after it, and a badge the printer then
    dropped halfway (switched off, its network gone) was recorded printed, and never printed."""
    silences, read = [0], printer._read

    def noting_silence() -> bytes:
        try:
            return read()
        except socket.timeout:
            silences[0] += 1
            raise

    printer._read = noting_silence
    return silences


def _hung_up(sock: socket.socket) -> bool:
    """Whether the printer has closed the connection: a read would end at once, or fails."""
    timeout = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(timeout)


def _unacknowledged(sock: socket.socket) -> int:
    """Bytes of ours the printer's TCP has not acknowledged yet (SIOCOUTQ); 0 where we cannot tell."""
    if fcntl is None or not hasattr(termios, "TIOCOUTQ"):
        return 0
    try:
        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def _wait_delivered(sock: socket.socket, timeout: float) -> None:
    """Until the printer has acknowledged every byte of the job; socket.timeout once it has taken
    nothing for `timeout` seconds.

    sendall() returns as soon as the job is in our kernel's buffers, which hold a whole badge:
    a printer that stopped reading (jammed, its buffer full) would otherwise look as if it had
    taken it, and a printer that never answers a status query gives no other sign. A slow
    printer that keeps reading is waited for, as long as it keeps reading. Only for printers that
    do not answer after the job: the acknowledgement of the last bytes may be delayed (40 ms),
    while an answer proves the same at once."""
    left, last_progress = _unacknowledged(sock), time.monotonic()
    while left:
        if time.monotonic() - last_progress >= timeout:
            raise socket.timeout(f"{left} bytes of the job not taken")
        time.sleep(DELIVERY_POLL)
        now = _unacknowledged(sock)
        if now < left:
            last_progress = time.monotonic()
            liveness.beat()  # a slow printer that keeps reading is not a hung print process
        left = now


def reading_time(wait: float, size: int, pace: float | None = None) -> float:
    """How long a printer may take to read a badge of `size` bytes after its TCP has taken the last
    byte: `wait`, plus the badge's time on its line (`pace` bytes a second, by default the slowest
    line, SLOWEST_LINE_BYTES_PER_S), since all of it may still be in a buffer before that line. With
    `wait` alone (10 s), a 10-25 KB badge taken whole by a serial-to-network box's buffer at 9,600
    baud (11-27 s to cross) was failed while it printed, and sent again: the same badge came out
    again every 15 s or so, for ever."""
    return wait + size / (pace or SLOWEST_LINE_BYTES_PER_S)


def _answer_after_badge(sock: socket.socket, stall: float, wait: float = RECEIPT_TIMEOUT) -> bytes:
    """The printer's answer to the status query sent right behind a badge, b"" when none comes.

    It comes once the printer has read the whole badge. Its deadline (`wait`) starts when the
    printer's TCP has taken the last byte of the badge (and is put off while it keeps taking bytes);
    a badge that stops crossing for `stall` seconds gets no more wait. The deadline used to run
    from the end of our write: on a slow link (a 9,600-baud printer behind a serial-to-network box)
    a 10-14 KB badge, taken whole by the printer's TCP just before that deadline but with its last
    few KB still in the printer's buffer, failed every time, and came out again at every retry."""
    left, moved_at = _unacknowledged(sock), time.monotonic()
    deadline = moved_at + wait
    while True:
        now = time.monotonic()
        if now >= deadline:
            return b""
        sock.settimeout(max(0.01, min(ANSWER_POLL, deadline - now)))
        try:
            return sock.recv(16)
        except socket.timeout:
            pass
        liveness.beat()  # waiting out a deadline (a slow reader's), polling as we go: no hang
        now, unacked = time.monotonic(), _unacknowledged(sock)
        if unacked < left:
            moved_at = now
        left = unacked
        if unacked:  # still crossing: the deadline starts once it has all been taken
            if now - moved_at >= stall:
                return b""
            deadline = max(deadline, now + wait)


def _abort(sock: Any) -> None:
    """Reset the connection of a failed job: the kernel throws away what the printer has not
    taken, instead of delivering it after we gave up and queued the badge again (two badges)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except (OSError, AttributeError):  # already closed, or no socket at all
        pass


def _linger_close(sock: socket.socket, received: bool, hangup_wait: float = HANGUP_TIMEOUT) -> bool:
    """Half-close and read until the printer hangs up; whether it did.

    Closing a socket with unread input (status bytes, automatic status back)
    sends a RST, which can throw away the tail of the job still in flight. A reset
    from the printer's side, when it has not confirmed the job (``received``), means
    it closed with part of the badge unread: the job failed. Without that confirmation
    the hang-up is the only sign that the printer read the badge to its end, so it is
    waited for longer (`hangup_wait`: as long as the badge may take to read); with it, a slow
    hang-up is no failed print.
    """
    wait = DRAIN_TIMEOUT if received else hangup_wait
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
            try:
                if not sock.recv(4096):
                    return True
            except socket.timeout:
                liveness.beat()  # a printer still reading (or printing) is no hung print process
    except OSError as exc:
        reset = isinstance(exc, (ConnectionResetError, BrokenPipeError)) or exc.errno == errno.ENOTCONN
        if reset and not received:  # ENOTCONN: the reset arrived before our shutdown
            raise ConnectionResetError(exc.errno, exc.strerror) from exc
        return True  # otherwise the job is out; a slow hang-up is not a failed print
    return False


def _explain(exc: OSError, host: str, port: int, timeout: float, sending: bool) -> PrinterError:
    """One sentence a volunteer can act on, for any socket error."""
    where = f"The printer at {host}:{port}"
    if isinstance(exc, socket.gaierror):
        return PrinterError(f"The printer host name {host!r} cannot be resolved.", "unreachable")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        if sending:
            return PrinterError(f"{where} stopped taking data for {timeout:g} s (paper out, cover open or jammed?).",
                                "timeout")
        return PrinterError(f"{where} did not answer within {timeout:g} s (switched off or wrong address?).",
                            "timeout")
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return PrinterError(f"{where} refused the connection (is it switched on and is the port right?).", "refused")
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return PrinterError(f"{where} dropped the connection in the middle of the job.", "dropped")
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN):
        return PrinterError(f"{where} cannot be reached on the network.", "unreachable")
    return PrinterError(f"{where} failed: {exc.strerror or exc}.", "io_error")
