"""Fonts probed for a character no font has are not all kept loaded (session 21)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

# In a fresh interpreter: the resident memory that drawing a name with a character no installed
# font has (U+1F9D1, an emoji without a plain glyph here) adds, after a Latin name warmed the fonts.
MEASURE = """
from PIL import Image, ImageDraw
from printers import fonts, text

def resident_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def draw(name):
    image = Image.new("L", (576, 200), 255)
    for line in text.fit(fonts.drawable(name, True), True, (60, 20), 560, 2):
        text.draw_line(ImageDraw.Draw(image), line, 0, 0)

draw("Ana Lima")
before = resident_kb()
draw("Ana \\U0001F9D1 Lima")
print(len(fonts.chain(True)), resident_kb() - before)
"""


def test_a_name_with_a_character_no_font_has_does_not_keep_every_font_loaded() -> None:
    """The character is looked for in every installed font (342 on this machine), and each was
    kept loaded for the process's life: 38 MB more in the print process for one emoji."""
    run = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    fonts_installed, grown_kb = map(int, run.stdout.split())
    assert fonts_installed > 50  # the machine has the fonts the setup installs, so the probe is real
    assert grown_kb < 12 * 1024, f"{grown_kb // 1024} MB more after one name"
