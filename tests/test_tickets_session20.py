"""`kiosk tickets` on a large evening (session 20)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, kiosk_cmd, run_kiosk, write_config

# The demo evening's 251 tickets; the whole sheet held in memory took 1.2 GB of it.
MAX_RSS_KB = 400 * 1024
PAGE = re.compile(rb"/Type\s*/Page(?!s)")

# Runs the command as its child and prints that child's peak RSS in KB. A child started straight
# from pytest would report pytest's own peak: Linux keeps, as the child's ru_maxrss, the high-water
# mark of the memory it had before exec, which after fork or vfork is the parent's (seen in CI: a
# 402 MB "peak" for a command that takes 83 MB, since pytest had grown to 400 MB by then). This
# launcher is a fresh interpreter of about 10 MB, so the peak it reports is the command's own.
PEAK_OF_CHILD = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_the_printable_sheet_is_written_page_by_page_not_held_in_memory(tmp_path: Path) -> None:
    """Every ticket and every A4 page (26 MB each) stayed in memory until the PDF was written: the
    demo's 251 people took 1.2 GB, 36,000 went past 10 GB and the laptop began to swap. The sheet
    still has a page per nine people, and its tickets are the PNGs'."""
    config = write_config(tmp_path)
    run_kiosk(config, "demo", "--no-serve")
    folder = tmp_path / "tickets"
    run = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *kiosk_cmd("--config", str(config), "tickets",
                          str(folder))], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    peak_kb = int(run.stderr.split()[-1])
    assert peak_kb < MAX_RSS_KB, f"kiosk tickets peaked at {peak_kb // 1024} MB"
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
