"""Printer backends from the ``[printer]`` config table.

``open_backend(cfg, base_dir)`` checks the table and returns a Backend; a bad
value raises ValueError naming the key (``printer.port must be ...``), so
start-up can stop with one clear line. Nothing connects here: printers are
contacted per job, so a printer switched on after the kiosk is simply found.

Every backend: ``send(job, job_id, preview=None)`` writes one job in one call
and raises PrinterError for every failure; ``status()`` never raises;
``wants_preview`` says whether ``send`` stores the PNG preview (file backend); ``draws`` is False
only for the backend that throws jobs away, so no badge is drawn for it.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.network import host_shape_problem
from printers.backend_devices import DEFAULT_BAUDRATE, CupsBackend, SerialBackend, UsbBackend, has_module
from printers.backend_local import FileBackend, NoneBackend
from printers.backend_network import NetworkBackend
from printers.profiles import get_profile
from printers.status import Backend, PrinterError, PrinterStatus

__all__ = ["Backend", "PrinterError", "PrinterStatus", "PrinterConfigError", "open_backend", "BACKENDS"]

BACKENDS = ("file", "network", "usb", "serial", "cups", "none")
DEFAULT_PROFILE = "TM-T20II"
DEFAULT_TIMEOUT = 3.0
# The serial speeds pyserial names (serialutil.SerialBase.BAUDRATES; pyserial is optional, so a copy);
# thermal printers offer 2400 to 115200.
BAUDRATES = (50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
             230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000,
             3500000, 4000000)
CUPS_MIN_TIMEOUT = 10.0  # handing a job to CUPS (lp) may take a while on a busy spooler


class PrinterConfigError(ValueError):
    """A printer setting is wrong; the message names the key."""


def open_backend(cfg: Mapping[str, Any], base_dir: Path, prefix: str = "printer") -> Backend:
    """The backend the config table describes; ``prefix`` is the table's name in messages."""
    backend = cfg.get("backend", "none")
    if backend not in BACKENDS:
        raise PrinterConfigError(f"{prefix}.backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    profile = _profile(cfg, prefix)
    return _FACTORIES[backend](cfg, Path(base_dir), prefix, profile)


def _profile(cfg: Mapping[str, Any], prefix: str) -> str:
    """The python-escpos profile; it fixes the paper width, so it is checked now."""
    name = cfg.get("profile", DEFAULT_PROFILE)
    try:
        get_profile(str(name))
    except ValueError as exc:
        raise PrinterConfigError(f"{prefix}.profile: {exc}") from None
    return str(name)


def _network(cfg: Mapping[str, Any], _base: Path, prefix: str, profile: str) -> Backend:
    """Raw TCP, port 9100 by default."""
    return NetworkBackend(_host(cfg, prefix), _int(cfg, "port", prefix, 9100, 1, 65535),
                          _timeout(cfg, prefix), profile)


def _host(cfg: Mapping[str, Any], prefix: str) -> str:
    """A network printer's host name or IPv4 address (``host_shape_problem`` says why it is
    checked; python-escpos opens IPv4 sockets only)."""
    host = _text(cfg, "host", prefix)
    problem = host_shape_problem(host, f"{prefix}.port", ipv6=False)
    if problem:
        raise PrinterConfigError(f"{prefix}.host must be {problem}, got {host!r}")
    return host


def _usb(cfg: Mapping[str, Any], _base: Path, prefix: str, profile: str) -> Backend:
    """USB by vendor/product id; pyusb must be installed."""
    vendor, product = _usb_id(cfg, "vendor_id", prefix), _usb_id(cfg, "product_id", prefix)
    if not has_module("usb"):
        raise PrinterConfigError(f"{prefix}.backend = \"usb\" needs the pyusb package (and libusb-1.0)")
    return UsbBackend(vendor, product, _timeout(cfg, prefix), profile,
                      in_ep=_optional_int(cfg, "in_ep", prefix), out_ep=_optional_int(cfg, "out_ep", prefix))


def _serial(cfg: Mapping[str, Any], _base: Path, prefix: str, profile: str) -> Backend:
    """A serial device file; pyserial must be installed."""
    device = _text(cfg, "device", prefix)
    baudrate = _baudrate(cfg, prefix)
    if not has_module("serial"):
        raise PrinterConfigError(f"{prefix}.backend = \"serial\" needs the pyserial package")
    return SerialBackend(device, baudrate, _timeout(cfg, prefix), profile)


def _cups(cfg: Mapping[str, Any], _base: Path, prefix: str, profile: str) -> Backend:
    """A CUPS queue (``queue``, or ``printer_name``); pycups or the lp command must exist."""
    key = "queue" if "queue" in cfg or "printer_name" not in cfg else "printer_name"
    queue = _text(cfg, key, prefix)
    if not has_module("cups") and shutil.which("lp") is None:
        raise PrinterConfigError(f"{prefix}.backend = \"cups\" needs pycups or the lp command (cups-client)")
    return CupsBackend(queue, max(_timeout(cfg, prefix), CUPS_MIN_TIMEOUT), profile)


def _file(cfg: Mapping[str, Any], base: Path, prefix: str, profile: str) -> Backend:
    """A folder of .bin jobs and .png previews, relative to the config file's folder."""
    raw = cfg.get("path", "data/badges")
    if not isinstance(raw, (str, Path)) or not str(raw).strip():
        raise PrinterConfigError(f"{prefix}.path must be a folder path, got {raw!r}")
    path = Path(raw).expanduser()
    path = path if path.is_absolute() else base / path
    if path.exists() and not path.is_dir():
        raise PrinterConfigError(f"{prefix}.path must be a folder, but {path} is a file")
    return FileBackend(path, profile)


def _none(_cfg: Mapping[str, Any], _base: Path, _prefix: str, profile: str) -> Backend:
    """No printer."""
    return NoneBackend(profile)


_FACTORIES = {"network": _network, "usb": _usb, "serial": _serial, "cups": _cups, "file": _file, "none": _none}


def _text(cfg: Mapping[str, Any], key: str, prefix: str) -> str:
    """A required non-empty string."""
    value = cfg.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PrinterConfigError(f"{prefix}.{key} is required and must be a non-empty string, got {value!r}")
    return value.strip()


def _int(cfg: Mapping[str, Any], key: str, prefix: str, default: int, lo: int, hi: int) -> int:
    """An integer in [lo, hi]. A number written as text ("9100") is refused, as server.port refuses it."""
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise PrinterConfigError(f"{prefix}.{key} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _baudrate(cfg: Mapping[str, Any], prefix: str) -> int:
    """One of the serial speeds a printer can be set to: any other number (96000 for 9600) was taken,
    and the printer printed garbage, or nothing, with no word of why."""
    value = _int(cfg, "baudrate", prefix, DEFAULT_BAUDRATE, 1, BAUDRATES[-1])
    if value not in BAUDRATES:
        raise PrinterConfigError(f"{prefix}.baudrate must be a serial speed such as 9600, 19200, 38400, 57600 or "
                                 f"115200 (the printer's setting), got {value!r}")
    return value


def _optional_int(cfg: Mapping[str, Any], key: str, prefix: str) -> int | None:
    """An optional USB endpoint number (e.g. 0x81)."""
    if cfg.get(key) is None:
        return None
    return _usb_id(cfg, key, prefix, maximum=0xFF)


def _timeout(cfg: Mapping[str, Any], prefix: str) -> float:
    """Seconds, above 0 and at most 60: never "forever"."""
    value = cfg.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 60:
        raise PrinterConfigError(f"{prefix}.timeout must be a number of seconds above 0 and at most 60, got {value!r}")
    return float(value)


def _usb_id(cfg: Mapping[str, Any], key: str, prefix: str, maximum: int = 0xFFFF) -> int:
    """An id given as a number or a hex string such as "0x04b8"."""
    value = cfg.get(key)
    if isinstance(value, str):
        try:
            value = int(value, 16)
        except ValueError:
            raise PrinterConfigError(f"{prefix}.{key} must be a hex id like \"0x04b8\", got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise PrinterConfigError(f"{prefix}.{key} must be an id like 0x04b8, got {value!r}")
    return value
