"""Two printer tables naming one printer are a config error, not two workers sending to it at once.

Found by a printer-failure review (session 23): `[printer]` and `[printers.second]` both set to the
same serial port started two print workers on one printer. Their bytes mixed on the line, one
worker's answer after a badge was read by the other, and 6 check-ins gave a badge printed twice
(one run of 70 KB held all six badges cut into each other); the console showed one printer as two
cards, one of them with a failure. The same goes for one network printer or one USB printer
under two names. A folder (file printer) or a CUPS queue takes jobs from several writers.
"""

from __future__ import annotations

import os

import pytest

from conftest import run_kiosk, write_config


def _config(tmp_path, first: str, second: str):
    return write_config(tmp_path, printer=f"{first}\n\n[printers.second]\n{second}")


def _one_line_naming_both(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "printers.second" in lines[0] and "[printer]" in lines[0], lines[0]
    return lines[0]


def test_two_printers_on_one_serial_port_are_refused_at_start(tmp_path):
    port = tmp_path / "ttyUSB0"
    port.touch()
    alias = tmp_path / "by-id-printer"  # as /dev/serial/by-id/... points at /dev/ttyUSB0
    os.symlink(port, alias)
    serial = 'backend = "serial"\ndevice = "{}"\nbaudrate = 115200'
    result = run_kiosk(_config(tmp_path, serial.format(port), serial.format(alias)), "printer", "status", check=False)
    line = _one_line_naming_both(result)
    assert "same printer" in line and "stations" in line


@pytest.mark.parametrize("host", ["10.0.0.9", "PRINTER.local"])
def test_two_printers_at_one_network_address_are_refused_at_start(tmp_path, host):
    first = f'backend = "network"\nhost = "{host.lower()}"\nport = 9100'
    second = f'backend = "network"\nhost = "{host}"'  # port 9100 by default
    line = _one_line_naming_both(run_kiosk(_config(tmp_path, first, second), "attendees", check=False))
    assert "same printer" in line


def test_printers_that_differ_in_their_port_or_share_a_folder_are_fine(tmp_path):
    network = 'backend = "network"\nhost = "10.0.0.9"\nport = {}'
    assert run_kiosk(_config(tmp_path / "network", network.format(9100), network.format(9101)), "attendees").returncode == 0
    folder = 'backend = "file"\npath = "badges"'
    assert run_kiosk(_config(tmp_path / "file", folder, folder), "attendees").returncode == 0
