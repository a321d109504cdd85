"""The one door to python-escpos, so its import-time and logging side effects stay contained.

``escpos.capabilities`` calls ``logging.basicConfig()`` on import, and the
printer classes log through the root logger with ``logging.info()``, which
calls ``basicConfig()`` again whenever the root logger has no handler. Either
would install a stderr handler behind the application's back. Import escpos
and call its connection methods through this module only.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


@contextmanager
def root_logging_untouched() -> Iterator[None]:
    """Undo any handler that the code inside adds to the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def _load(name: str) -> ModuleType:
    """Import an escpos module without letting it configure logging."""
    with root_logging_untouched():
        return importlib.import_module(name)


def capabilities() -> ModuleType:
    """``escpos.capabilities``: the printer profile database."""
    return _load("escpos.capabilities")


def printer_module() -> ModuleType:
    """``escpos.printer``: Dummy, Network, Usb, Serial, CupsPrinter..."""
    return _load("escpos.printer")


def exceptions() -> ModuleType:
    """``escpos.exceptions``: DeviceNotFoundError and friends."""
    return _load("escpos.exceptions")


def constants() -> ModuleType:
    """``escpos.constants``: raw command bytes such as the DLE EOT queries."""
    return _load("escpos.constants")


def printer_class(name: str) -> Any:
    """A printer class by name, e.g. ``printer_class("Network")``."""
    return getattr(printer_module(), name)


def close_quietly(printer: Any) -> None:
    """Close a python-escpos printer without its root-logger noise; a printer that vanished
    mid-job must not mask the real error."""
    with root_logging_untouched():
        try:
            printer.close()
        except Exception:  # noqa: BLE001
            pass


def ask_status(open_printer: Any, where: str) -> tuple[bool, Any]:
    """Open a printer, ask DLE EOT, close it: (True, what it said or None for silence), or
    (False, an offline PrinterStatus saying why it could not be opened)."""
    from .status import PrinterError, PrinterStatus, query_status

    try:
        printer = open_printer()
    except PrinterError as exc:
        return False, PrinterStatus(False, "unknown", str(exc))
    try:
        return True, query_status(printer, where)
    finally:
        close_quietly(printer)
