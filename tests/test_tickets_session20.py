"""`kiosk tickets` on a large evening (session 20)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from conftest import ROOT, kiosk_cmd, run_kiosk, write_config

# The demo evening's 251 tickets; the whole sheet held in memory took 1.2 GB of it.
MAX_RSS_KB = 400 * 1024
PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def test_the_printable_sheet_is_written_page_by_page_not_held_in_memory(tmp_path: Path) -> None:
    """Every ticket and every A4 page (26 MB each) stayed in memory until the PDF was written: the
    demo's 251 people took 1.2 GB, 36,000 went past 10 GB and the laptop began to swap. The sheet
    still has a page per nine people, and its tickets are the PNGs'."""
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    folder = tmp_path / "tickets"
    proc = subprocess.Popen(kiosk_cmd("--config", str(config), "tickets", str(folder)), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)  # this one command's own peak, not the test run's
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read().decode()
    assert usage.ru_maxrss < MAX_RSS_KB, f"kiosk tickets peaked at {usage.ru_maxrss // 1024} MB"
    tickets = list(folder.glob("*.png"))
    sheet = (folder / "sheet.pdf").read_bytes()
    assert sheet.startswith(b"%PDF") and sheet.rstrip().endswith(b"%%EOF")
    assert len(PAGE.findall(sheet)) == -(-len(tickets) // 9) and len(tickets) > 200


def test_a_sheet_for_nobody_is_one_blank_page(tmp_path: Path) -> None:
    """An evening without attendees still gets a sheet a PDF reader opens, as before."""
    config = write_config(tmp_path)
    run_kiosk(config, "tickets", str(tmp_path / "tickets"))
    sheet = (tmp_path / "tickets" / "sheet.pdf").read_bytes()
    assert sheet.startswith(b"%PDF") and len(PAGE.findall(sheet)) == 1
