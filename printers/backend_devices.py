"""Printers on a local port: USB (pyusb), serial (pyserial) and CUPS queues.

USB and serial need optional packages: ``pyusb`` (plus the libusb1 system
library) and ``pyserial``. CUPS uses pycups when installed and otherwise the
``lp`` command from the cups-client package (``lp -d QUEUE -o raw``).
open_backend() checks these at start-up, so a missing one stops the kiosk with
one line instead of failing at the first badge.
"""

from __future__ import annotations

import abc
import errno
import importlib.util
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from PIL import Image

from printers import escpos_lib, liveness
from printers.backend_network import ANSWER_POLL, AnswerMemory
from printers.status import PrinterError, PrinterStatus, query_status, refuse_unless_ready


def has_module(name: str) -> bool:
    """Whether an optional dependency is importable."""
    return importlib.util.find_spec(name) is not None


class _EscposDeviceBackend(abc.ABC):
    """Open, check paper, write once, close: the shared life of a USB or serial job."""

    wants_preview = False
    draws = True
    name = "device"
    profile = "TM-T20II"

    @abc.abstractmethod
    def _make(self) -> Any:
        """A python-escpos printer object, not yet opened (USB or serial)."""

    def _explain(self, exc: BaseException) -> PrinterError:
        """One sentence for a volunteer."""
        return PrinterError(f"The {self.name} printer failed: {one_line(exc)}.", "io_error")

    def _open(self) -> Any:
        """An opened printer, or PrinterError."""
        printer = self._make()
        try:
            with escpos_lib.root_logging_untouched():
                printer.open()
        except Exception as exc:  # noqa: BLE001 - DeviceNotFoundError, USBError, SerialException...
            raise self._explain(exc) from exc
        return printer

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """Write the job in one call; every device error becomes PrinterError."""
        printer = self._open()
        try:
            self._preflight(printer)
            self._allow_for(printer, len(job))
            printer._raw(job)
            self._receipt(printer, len(job))
        except PrinterError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._explain(exc) from exc
        finally:
            escpos_lib.close_quietly(printer)

    def _preflight(self, printer: Any) -> None:
        """Refuse to send into a printer that says it cannot print (no paper, cover open)."""
        refuse_unless_ready(query_status(printer, f"The {self.name} printer"))

    def _allow_for(self, printer: Any, size: int) -> None:
        """Set the device's write deadline for a job of `size` bytes (serial lines need to)."""

    def _receipt(self, printer: Any, size: int) -> None:
        """Make sure the printer has the whole job once the write returned (serial printers ask it).

        USB needs nothing more: pyusb's bulk write returns only once the printer has acknowledged
        every packet, and raises when it does not within `timeout` (unplugged, switched off)."""

    def status(self) -> PrinterStatus:
        """DLE EOT through the device; never raises."""
        reached, found = escpos_lib.ask_status(self._open, f"The {self.name} printer")
        if not reached:
            return found
        return found or PrinterStatus(True, "unknown", f"The {self.name} printer is connected (it gives no status).")


class UsbBackend(_EscposDeviceBackend):
    """A USB printer by vendor and product id; needs pyusb and libusb."""

    def __init__(self, vendor_id: int, product_id: int, timeout: float = 3.0, profile: str = "TM-T20II",
                 in_ep: int | None = None, out_ep: int | None = None) -> None:
        self.vendor_id, self.product_id, self.profile = vendor_id, product_id, profile
        # pyusb counts milliseconds, and python-escpos's default of 0 means "wait forever".
        self.timeout_ms = max(1, int(timeout * 1000))
        self.endpoints = {k: v for k, v in (("in_ep", in_ep), ("out_ep", out_ep)) if v is not None}
        self.name = f"USB {vendor_id:04x}:{product_id:04x}"

    def _make(self) -> Any:
        """python-escpos Usb with a real timeout."""
        usb = escpos_lib.printer_class("Usb")
        return usb(self.vendor_id, self.product_id, timeout=self.timeout_ms, profile=self.profile, **self.endpoints)

    def _explain(self, exc: BaseException) -> PrinterError:
        """USB errors in volunteer words."""
        text = str(exc).lower()
        if "not found" in text or "no such device" in text or getattr(exc, "errno", None) == 19:
            return PrinterError(f"The {self.name} printer is not connected (unplugged or switched off?).", "not_found")
        if "timeout" in text or "timed out" in text:
            return PrinterError(f"The {self.name} printer stopped taking data (paper out or cover open?).", "timeout")
        if "access denied" in text or "permission" in text:
            return PrinterError(f"No permission to use the {self.name} printer (add a udev rule).", "io_error")
        return PrinterError(f"The {self.name} printer failed: {one_line(exc)}.", "io_error")


DEFAULT_BAUDRATE = 9600
LARGEST_JOB_BYTES = 32 * 1024  # a badge is 10-25 KB of ESC/POS (bench/RESULTS.md, "Badge rendering")


def serial_write_seconds(size: int, baudrate: int, timeout: float) -> float:
    """How long writing `size` bytes to a serial printer may take: the line's own time (10 bits a
    byte: start, 8 data, stop) with half again for flow control while the printer feeds paper,
    plus `timeout` for a printer that has stopped taking data."""
    return timeout + 1.5 * size * 10 / baudrate


class SerialBackend(AnswerMemory, _EscposDeviceBackend):
    """A serial printer on a device file; needs pyserial.

    A finished write means only that the bytes are in the port's buffers: a printer switched off
    (or unplugged) takes nothing, and without flow control its badge goes nowhere. So a printer that
    answers status is asked once more after the badge (as network printers are): its answer comes
    after every byte before it has crossed the line. Before, such a badge counted as printed once
    the write returned, and nobody reprinted it."""

    SILENT_HINT = "switched off, unplugged or jammed?"

    def __init__(self, device: str, baudrate: int = DEFAULT_BAUDRATE, timeout: float = 3.0, profile: str = "TM-T20II") -> None:
        self.device, self.baudrate, self.timeout, self.profile = device, baudrate, timeout, profile
        self.name = f"serial {device}"
        self._answers_status: bool | None = None
        self._silent_since: float | None = None

    def _where(self) -> str:
        return f"The {self.name} printer"

    def status(self) -> PrinterStatus:
        """DLE EOT through the port; a printer that answered before and is silent now is offline."""
        reached, found = escpos_lib.ask_status(self._open, self._where())
        return self._judge(reached, found, f"{self._where()} is connected (it gives no status).")

    def _ask(self, printer: Any) -> PrinterStatus | None:
        """The printer's status, None when it stays silent."""
        found = query_status(printer, self._where())
        if found is not None:
            self._heard()
        return found

    def _preflight(self, printer: Any) -> None:
        """Refuse when the printer says it cannot print, or when a printer that answers has fallen
        silent (switched off: it would throw the badge away)."""
        found = self._ask(printer)
        if found is None and self._stopped_answering():
            raise PrinterError(self._silent_detail(), "silent")
        refuse_unless_ready(found)

    def _receipt(self, printer: Any, size: int) -> None:
        """After the badge, a printer that answers status must answer again, within the badge's time on
        this line (``serial_write_seconds``, at the configured baudrate): the badge is printed again
        otherwise. Answers still in the port from before the badge are thrown away first, so a late
        one is not taken for this one. A printer that never answers gives no such sign: its badge
        counts as printed when the write returns."""
        if not self._answers_status:
            return
        wait = serial_write_seconds(size, self.baudrate, self.timeout)
        printer.device.reset_input_buffer()
        printer._read = lambda: answer_within(printer.device, wait)
        found = self._ask(printer)
        if found is None:
            raise PrinterError(f"{self._where()} did not answer after the badge within {wait:.0f} s "
                               f"({self.SILENT_HINT}); the badge prints again once it answers.", "timeout")
        refuse_unless_ready(found)

    def _make(self) -> Any:
        """python-escpos Serial; the read timeout also bounds status queries."""
        serial = escpos_lib.printer_class("Serial")
        return serial(self.device, baudrate=self.baudrate, timeout=self.timeout, profile=self.profile)

    def _open(self) -> Any:
        """Open and lock the port, then bound writes too: with flow control a switched-off printer
        blocks forever; and read a status answer as soon as it comes (``read_answer``)."""
        printer = super()._open()
        _lock_port(printer, self.device)
        printer.device.write_timeout = self.timeout
        printer._read = lambda: read_answer(printer.device)
        return printer

    def _allow_for(self, printer: Any, size: int) -> None:
        """pyserial's write timeout bounds the whole write, and a badge (10-25 KB) takes 10-26 s to
        cross a 9,600-baud line: the timeout alone would fail every badge below about 115,200 baud."""
        printer.device.write_timeout = serial_write_seconds(size, self.baudrate, self.timeout)

    def _explain(self, exc: BaseException) -> PrinterError:
        """Serial errors in volunteer words, told apart by the errno under python-escpos's "Device
        not found": every failure to open was "port is missing (cable unplugged?)", a permission
        problem (the user not in `dialout`) and a device that is no serial port included."""
        code = _errno_of(exc)
        if "timeout" in str(exc).lower():
            return PrinterError(f"The {self.name} printer stopped taking data (paper out or switched off?).", "timeout")
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            return PrinterError(f"The {self.name} port is missing (cable unplugged?).", "not_found")
        if code in (errno.EACCES, errno.EPERM):
            return PrinterError(f"No permission to open {self.device} (add the kiosk's user to the dialout group).",
                                "io_error")
        if code in (errno.ENOTTY, errno.EISDIR):
            return PrinterError(f"{self.device} is not a serial port: check the printer's device setting.", "not_found")
        if code == errno.EBUSY:
            return PrinterError(f"{self.device} is in use by another program.", "io_error")
        return PrinterError(f"The {self.name} printer failed: {one_line(exc)}.", "io_error")


def _lock_port(printer: Any, device: str) -> None:
    """Hold the port alone while it is open (flock), else PrinterError "in use by another program".

    A serial port lets every process that opens it write into the same line. `kiosk printer status`
    run while the print process sent a badge put its status queries behind the badge's bytes (or
    between two of pyserial's writes of it, inside its raster), and, its answer queued behind the
    badge, said "has stopped answering" of a printer that was printing."""
    if fcntl is None:  # Windows opens a COM port for one program only
        return
    try:
        fcntl.flock(printer.device.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        escpos_lib.close_quietly(printer)
        raise PrinterError(f"{device} is in use by another program (the kiosk's print process sending a badge?).",
                           "io_error") from exc


def read_answer(device: Any) -> bytes:
    """A serial printer's answer to a status query: its first byte as soon as it arrives (within the
    port's timeout), then whatever else has arrived with it.

    python-escpos reads 16 bytes, and pyserial's read waits for all 16 until the timeout: a printer
    answers one byte, so every status query took the whole `timeout` (3 s by default). A badge is
    two queries, so a serial printer printed one badge per 6 s at best, and a probe of a printer
    that was back took 6-9 s."""
    first = device.read(1)
    waiting = device.in_waiting if first else 0
    return first + device.read(waiting) if waiting else first


def answer_within(device: Any, wait: float) -> bytes:
    """A serial printer's answer (``read_answer``) within `wait` seconds, b"" when none comes; read
    in short slices, each followed by a beat: a slow line's wait is no hung print process."""
    deadline = time.monotonic() + wait
    device.timeout = min(ANSWER_POLL, wait)
    while time.monotonic() < deadline:
        answer = read_answer(device)
        if answer:
            return answer
        liveness.beat()
    return b""


def _errno_of(exc: BaseException | None) -> int | None:
    """The first errno in the chain of causes (termios errors carry theirs as the first argument)."""
    seen = 0
    while exc is not None and seen < 10:
        code = getattr(exc, "errno", None)
        if not isinstance(code, int) and exc.args and isinstance(exc.args[0], int):
            code = exc.args[0]
        if isinstance(code, int):
            return code
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def one_line(exc: BaseException) -> str:
    """An exception's text on one line: python-escpos puts the cause under its own message."""
    return " ".join(str(exc).split()).rstrip(".")


class CupsBackend:
    """A CUPS queue fed raw ESC/POS: pycups when installed, else ``lp -o raw``."""

    wants_preview = False
    draws = True

    def __init__(self, queue: str, timeout: float = 10.0, profile: str = "TM-T20II") -> None:
        self.queue, self.timeout, self.profile = queue, timeout, profile
        self.name = f"CUPS queue {queue}"

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """Hand the job to CUPS; CUPS then owns retries to the device. Not into a queue paused or
        rejecting jobs: CUPS takes a job into a paused queue and holds it there, so the badge counted
        as printed while it sat in CUPS, where undo cannot cancel it and another printer, free, could
        not take it; the badge waits in the kiosk's queue instead."""
        state = self._queue_state()
        if state is not None and not state.online:
            raise PrinterError(state.detail, "offline")
        if has_module("cups"):
            self._send_pycups(job, job_id)
        else:
            self._send_lp(job, job_id)

    def _send_pycups(self, job: bytes, job_id: str) -> None:
        """Through python-escpos's CupsPrinter, which submits the job on close()."""
        printer = escpos_lib.printer_class("CupsPrinter")(self.queue, profile=self.profile)
        try:
            with escpos_lib.root_logging_untouched():
                printer.open(job_name=job_id)
                printer._raw(job)
                printer.close()
        except Exception as exc:  # noqa: BLE001 - DeviceNotFoundError, cups.IPPError, RuntimeError
            raise PrinterError(f"CUPS did not take the job for {self.queue}: {one_line(exc)}.", "refused") from exc

    def _send_lp(self, job: bytes, job_id: str) -> None:
        """Through ``lp -o raw``, so CUPS passes the bytes to the printer untouched."""
        if shutil.which("lp") is None:
            raise PrinterError("The lp command is missing (install cups-client).", "missing_tool")
        try:
            done = subprocess.run(["lp", "-d", self.queue, "-t", job_id, "-o", "raw"], input=job,
                                  capture_output=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterError(f"CUPS did not take the job for {self.queue}: {one_line(exc)}.", "timeout") from exc
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            reason = message[-1].strip().rstrip(".") if message else "unknown error"
            raise PrinterError(f"CUPS refused the job for {self.queue}: {reason}.", "refused")

    def status(self) -> PrinterStatus:
        """The queue state from ``lpstat``; paper is unknown through CUPS."""
        if shutil.which("lpstat") is None:
            return PrinterStatus(False, "unknown", "The lpstat command is missing (install cups-client).")
        state = self._queue_state()
        if state is not None:
            return state
        if "not running" in (self._lpstat("-r") or "").lower():
            return PrinterStatus(False, "unknown", f"CUPS is not running, so the queue {self.queue} cannot print "
                                                   "(start it: sudo systemctl start cups).")
        return PrinterStatus(False, "unknown", f"CUPS does not know the queue {self.queue}.")

    def _queue_state(self) -> PrinterStatus | None:
        """Whether the queue is enabled (``lpstat -p``) and accepting jobs (``-a``); None when CUPS
        says nothing of it (not running, no such queue, no lpstat).

        lpstat speaks the user's language ("deaktiviert"), so it is run in the C locale: a paused
        queue read as online on a German laptop. A queue rejecting jobs was "accepting jobs" too."""
        if shutil.which("lpstat") is None:
            return None
        said = self._lpstat("-p", self.queue, "-a", self.queue)
        if said is None:
            return PrinterStatus(False, "unknown", f"CUPS did not answer about {self.queue}.")
        words = said.lower()
        if f"printer {self.queue.lower()} " not in words:
            return None
        if "disabled" in words:
            return PrinterStatus(False, "unknown", f"The CUPS queue {self.queue} is paused (cupsenable {self.queue}).")
        if "not accepting" in words:
            return PrinterStatus(False, "unknown",
                                 f"The CUPS queue {self.queue} is rejecting jobs (cupsaccept {self.queue}).")
        return PrinterStatus(True, "unknown", f"The CUPS queue {self.queue} is accepting jobs.")

    def _lpstat(self, *args: str) -> str | None:
        """What ``lpstat ARGS`` prints in the C locale; "" when it fails, None when it does not answer
        in time (or cannot be run)."""
        try:
            done = subprocess.run(["lpstat", *args], capture_output=True, text=True, timeout=min(self.timeout, 3.0),
                                  check=False, env={**os.environ, "LC_ALL": "C"})
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else ""
