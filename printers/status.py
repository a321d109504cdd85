"""The vocabulary every printer backend speaks: PrinterError, PrinterStatus, Backend.

Also the DLE EOT status queries: ESC/POS printers answer ``10 04 n`` with one
byte even while offline, which is how the door learns "paper out" or "cover
open" before a badge silently waits inside the printer.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from printers import liveness

PAPER_STATES = ("ok", "low", "out", "unknown")

DLE_EOT_PRINTER = b"\x10\x04\x01"   # bit 3: offline
DLE_EOT_OFFLINE = b"\x10\x04\x02"   # why offline: cover, feed button, paper end, error
DLE_EOT_PAPER = b"\x10\x04\x04"     # roll paper sensor: near end, end
GARBLED = -1  # what _ask returns for an answer that is no status byte


class PrinterError(Exception):
    """A job or query failed; ``str(err)`` is one sentence for a volunteer, ``reason`` a short code.

    Reasons: refused, timeout, unreachable, dropped, not_found, paper_out,
    offline, io_error, missing_tool.
    """

    def __init__(self, message: str, reason: str = "io_error") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class PrinterStatus:
    """What the printer said (or that it said nothing)."""

    online: bool
    paper: str   # "ok" | "low" | "out" | "unknown"
    detail: str  # one sentence for the volunteer console


@runtime_checkable
class Backend(Protocol):
    """A way to get job bytes onto paper (or into a folder)."""

    name: str
    profile: str
    wants_preview: bool  # True when send() stores a PNG of the badge beside the job
    draws: bool  # False when send() throws the job away (no printer): the badge is not even drawn

    def send(self, job: bytes, job_id: str, preview: Image.Image | None = None,
             delivered: Callable[[], None] | None = None) -> None:
        """Deliver one job in one write; PrinterError for every failure.

        `delivered` is called (once, before returning) by a backend that learns the printer has
        the whole job before send() is over, such as a network printer's status answer before
        its polite hang-up: the job is recorded printed then, so a crash during the hang-up does
        not print it a second time. A backend that never calls it is done when send() returns."""

    def status(self) -> PrinterStatus:
        """Ask the printer how it is; never raises."""


def refuse_unless_ready(found: PrinterStatus | None) -> None:
    """PrinterError when the printer said it cannot print (no paper, cover open); silence passes."""
    if found is not None and (not found.online or found.paper == "out"):
        raise PrinterError(found.detail, "paper_out" if found.paper == "out" else "offline")


def paper_from_byte(answer: int) -> str:
    """Roll paper sensor byte (DLE EOT 4) -> "ok" | "low" | "out"."""
    if answer & 0x60:
        return "out"
    if answer & 0x0C:
        return "low"
    return "ok"


def offline_cause(answer: int) -> str:
    """Offline-cause byte (DLE EOT 2) -> the words a volunteer acts on."""
    if answer & 0x04:
        return "the cover is open"
    if answer & 0x20:
        return "the paper has run out"
    if answer & 0x40:
        return "it reports an error (jam or cutter?)"
    if answer & 0x08:
        return "the feed button is held"
    return "it is offline"


def _valid(answer: bytes) -> bool:
    """A real status byte has bits 1 and 4 set and bits 0 and 7 clear."""
    return len(answer) >= 1 and (answer[0] & 0x93) == 0x12


def query_status(printer: Any, where: str) -> PrinterStatus | None:
    """DLE EOT 1, 4 (and 2 when offline) through an open python-escpos printer.

    Returns None when the printer does not answer (timeout, nothing, garbage):
    many print servers and cheap printers never do, so silence is not an error.
    """
    online_byte = _ask(printer, DLE_EOT_PRINTER)
    if online_byte is None:
        return None
    if online_byte == GARBLED:
        return PrinterStatus(True, "unknown", f"{where} answers its status in a way the kiosk cannot read "
                                              "(another emulation or a noisy line?); badges are sent anyway.")
    paper_byte = _ask(printer, DLE_EOT_PAPER)
    paper = paper_from_byte(paper_byte) if paper_byte not in (None, GARBLED) else "unknown"
    if not online_byte & 0x08:
        low = " (paper is running low)" if paper == "low" else ""
        return PrinterStatus(True, paper, f"{where} is ready{low}.")
    cause_byte = _ask(printer, DLE_EOT_OFFLINE)
    cause = offline_cause(cause_byte) if cause_byte not in (None, GARBLED) else "it is offline"
    if paper == "out":
        cause = "the paper has run out"
    return PrinterStatus(False, paper, f"{where} is not printing: {cause}.")


def _ask(printer: Any, query: bytes) -> int | None:
    """One status byte, GARBLED when the printer answered bytes that are no status, or None on
    silence; the printer's own timeout bounds the wait.

    Garbage is no silence: the printer read the query, and so everything sent before it. Taken for
    silence, a printer that had answered properly and then answered garbage was held for jammed,
    its badges kept waiting for up to 12 hours, across restarts."""
    try:
        answer = printer.query_status(query)
    except Exception:  # noqa: BLE001 - socket, pyusb and pyserial errors share no base class
        return None
    finally:
        liveness.beat()  # each wait for an answer is bounded on its own: after one, the worker still moves
    if not answer:
        return None
    return answer[-1] if _valid(answer[-1:]) else GARBLED
