"""The one door to python-escpos, so its import-time and logging side effects stay contained.

``escpos.capabilities`` calls ``logging.basicConfig()`` on import, and the
printer classes log through the root logger with ``logging.info()``, which
calls ``basicConfig()`` again whenever the root logger has no handler. Either
would install a stderr handler behind the application's back. Import escpos
and call its connection methods through this module only.

``escpos.capabilities`` also makes a temporary folder on import, for a pickle of
its profile database, and never removes it: one folder left in the temporary
folder per process (``_import_capabilities`` cleans up after it).
"""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
import tempfile
import threading
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
    """Import an escpos module without letting it configure logging or leave a folder behind."""
    with root_logging_untouched():
        if "escpos.capabilities" not in sys.modules:  # every printer class imports it
            _import_capabilities()
        return importlib.import_module(name)


_first_import = threading.Lock()


def _import_capabilities() -> None:
    """Import ``escpos.capabilities`` with the temporary folder pointed at a scratch folder of ours,
    then delete that folder.

    On import it runs ``environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR", mkdtemp())``: the default is
    made even when the variable is set, and nothing removes it (with its 70 kB pickle when the
    variable is not set), so every kiosk command and server left a folder such as
    ``/tmp/tmp8k2j_x0q`` behind.
    The pickle is read only during the import, so nothing needs it afterwards; a folder the
    variable names is the user's and stays as it is. The import runs once per process, at start-up
    (the config's printer profiles are checked with it), before any thread could use tempfile."""
    with _first_import:
        if "escpos.capabilities" in sys.modules:
            return
        scratch = tempfile.mkdtemp(prefix="kiosk-escpos-")
        saved, tempfile.tempdir = tempfile.tempdir, scratch
        try:
            importlib.import_module("escpos.capabilities")
        finally:
            tempfile.tempdir = saved
            shutil.rmtree(scratch, ignore_errors=True)


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
