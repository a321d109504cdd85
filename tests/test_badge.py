"""Badges at the door: every name prints as glyphs, at the paper's width, with a QR that scans."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFont

from printers import fonts, profiles
from printers.badge import BadgeInfo, render_badge
from printers.escpos_job import build_job, render_preview

try:
    from tests.escpos_decode import decode, printed_image, qr_texts, read_qr
except ModuleNotFoundError:
    from escpos_decode import decode, printed_image, qr_texts, read_qr

DEMO_NAMES = [
    ("Sérgio Gonçalves", "Sérgio"),
    ("Γιώργος Παπαδόπουλος", "Γιώργος"),
    ("Дмитрий Иванов", "Дмитрий"),
    ("Nguyễn Thị Minh Khai", "Khai"),
    ("王小明", "小明"),
    ("Maximiliana Alexandra Wolfeschlegelsteinhausenbergerdorff-Bartholomew", "Maximiliana"),
]
PROFILES = [("TM-T20II", 576, True), ("TM-T88V", 512, True), ("POS-5890", 384, False), ("Sunmi-V2", 384, True)]
MAX_JOB_BYTES = 25_000


def badge(name: str = "Sérgio Gonçalves", first: str = "Sérgio", **changes: object) -> BadgeInfo:
    """A typical attendee at the November meetup."""
    fields = dict(name=name, first_name=first, company="Gamesys", event_name="London Python Meetup",
                  event_date="Thu 26 Nov 2026", ticket_code="LPM-7F3K-QX9P",
                  sponsor_line="Thanks to Gamesys & Tecknuovo", mark=None)
    fields.update(changes)
    return BadgeInfo(**fields)


def padded(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` on a white canvas of the given size (trimmed raster bands are narrower)."""
    canvas = Image.new("1", (width, height), 1)
    canvas.paste(image, (0, 0))
    return canvas


@pytest.mark.parametrize("profile,width,native", PROFILES)
def test_profile_gives_paper_width_and_qr_support(profile: str, width: int, native: bool) -> None:
    assert profiles.width_dots(profile) == width
    assert profiles.supports_native_qr(profile) is native


def test_unknown_profile_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="unknown printer profile 'TM-T20'.*TM-T20II"):
        profiles.get_profile("TM-T20")


@pytest.mark.parametrize("profile,width,_native", PROFILES)
@pytest.mark.parametrize("name,first", DEMO_NAMES)
def test_badge_is_exactly_paper_width(profile: str, width: int, _native: bool, name: str, first: str) -> None:
    info = badge(name, first, mark="SPEAKER")
    for include_qr in (True, False):
        image = render_badge(info, width, include_qr=include_qr)
        assert image.mode == "1" and image.width == width
    assert render_preview(info, profile).width == width


@pytest.mark.parametrize("profile,width,native", PROFILES)
def test_job_prints_exactly_the_preview(profile: str, width: int, native: bool) -> None:
    info = badge(mark="WALK-IN")
    job = build_job(info, profile)
    decoded = decode(job)
    assert decoded.initialised and decoded.cuts == (1 if profiles.get_profile(profile).full_cut else 0)
    printed = printed_image(job)
    assert printed is not None and printed.width <= width
    expected = render_badge(info, width, include_qr=not native)
    assert ImageChops.difference(padded(printed, width, expected.height).convert("L"),
                                 expected.convert("L")).getbbox() is None


@pytest.mark.parametrize("profile,width,native", PROFILES)
def test_ticket_qr_in_the_job_decodes_to_the_ticket_code(profile: str, width: int, native: bool) -> None:
    info = badge(ticket_code="MK26-Q7RX-2HDA-9PLC")
    job = build_job(info, profile)
    assert qr_texts(job) == ["MK26-Q7RX-2HDA-9PLC"]
    assert bool(decode(job).native_qr) is native
    assert read_qr(render_preview(info, profile)) == ["MK26-Q7RX-2HDA-9PLC"]


@pytest.mark.parametrize("profile,_width,_native", PROFILES)
@pytest.mark.parametrize("name,first", DEMO_NAMES)
def test_job_stays_small(profile: str, _width: int, _native: bool, name: str, first: str) -> None:
    job = build_job(badge(name, first, company="Very Long Company Name International Holdings plc",
                          mark="SPEAKER"), profile)
    assert len(job) <= MAX_JOB_BYTES


def _notdef_free(char: str, face: fonts.Face) -> bool:
    """Independent of fonts.covers: the char's bitmap differs from the font's .notdef bitmap."""
    font = ImageFont.truetype(face.path, 40, index=face.index)
    glyph = font.getmask(char, mode="1")
    notdef = font.getmask("\uffff", mode="1")
    if not any(bytes(notdef)):
        return any(bytes(glyph))
    return (glyph.size, bytes(glyph)) != (notdef.size, bytes(notdef))


@pytest.mark.parametrize("bold", [True, False])
@pytest.mark.parametrize("name,_first", DEMO_NAMES)
def test_every_name_renders_as_glyphs_not_boxes(name: str, _first: str, bold: bool) -> None:
    assert "".join(run for run, _face in fonts.runs(name, bold)) == unicodedata.normalize("NFC", name)  # nothing left out
    for run, face in fonts.runs(name, bold):
        assert not face.is_default, f"no font installed for {run!r} (install fonts-dejavu-core, fonts-wqy-microhei)"
        for char in run:
            if not char.isspace():
                assert _notdef_free(char, face), f"{char!r} of {name!r} would print as a box in {face.path}"
    assert fonts.missing_chars(name, bold) == []


@pytest.mark.parametrize("bold", [True, False])
def test_an_emoji_no_font_draws_is_left_out_with_its_joiner_not_printed_as_a_box(bold: bool) -> None:
    name = "Sam 👩\u200d💻 Lee 👍🏽"
    missing = fonts.missing_chars(name, bold)
    if not missing:
        pytest.skip("this machine has a colour-emoji font: nothing to leave out")
    printed = "".join(run for run, _face in fonts.runs(name, bold))
    assert printed.startswith("Sam ") and "Lee" in printed
    assert not any(ch in printed for ch in missing) and "\u200d" not in printed
    for run, face in fonts.runs(name, bold):
        assert all(_notdef_free(ch, face) for ch in run if not ch.isspace())
    assert fonts.runs("محمد\u200cرضا", bold)[0][0] == "محمد\u200cرضا"  # a joiner inside a word stays


def test_han_and_latin_get_different_fonts() -> None:
    faces = {run: Path(face.path).name for run, face in fonts.runs("王小明 (Gamesys)", bold=False)}
    assert faces["王小明 "].startswith(("wqy", "Noto"))
    assert "(Gamesys)" in faces and faces["(Gamesys)"] != faces["王小明 "]


def test_first_name_shrinks_to_fit_and_long_names_wrap() -> None:
    short = render_badge(badge("Li Na", "Li", company=None), 576, include_qr=False)
    long_first = render_badge(badge("Maximiliana-Alexandrina Smith", "Maximiliana-Alexandrina", company=None),
                              576, include_qr=False)
    long_full = render_badge(badge(DEMO_NAMES[-1][0], DEMO_NAMES[-1][1]), 576, include_qr=False)
    assert short.width == long_first.width == long_full.width == 576
    assert long_full.height > short.height  # the wrapped full name takes more lines
    assert long_full.height < 700


def test_missing_fonts_fall_back_without_crashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "STANDARD_DIRS", ())
    monkeypatch.setenv("KIOSK_FONT_DIR", str(tmp_path))
    fonts.reset()
    try:
        image = render_badge(badge("Γιώργος 王", "Γιώργος"), 384)
        assert image.width == 384
        assert all(face.is_default for _run, face in fonts.runs("Γιώργος 王"))
    finally:
        monkeypatch.undo()
        fonts.reset()


def test_kiosk_font_dir_overrides_the_standard_fonts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    serif = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
    if not serif.exists():
        pytest.skip("DejaVu Serif is not installed")
    shutil.copy(serif, tmp_path / "BrandFont-Bold.ttf")
    monkeypatch.setenv("KIOSK_FONT_DIR", str(tmp_path))
    fonts.reset()
    try:
        assert fonts.face_for("S", bold=True).path == str(tmp_path / "BrandFont-Bold.ttf")
        assert Path(fonts.face_for("王", bold=True).path).name.startswith(("wqy", "Noto"))
    finally:
        monkeypatch.undo()
        fonts.reset()


def test_rendering_from_several_threads_gives_the_same_badge() -> None:
    info = badge("Γιώργος Παπαδόπουλος", "Γιώργος", mark="SPEAKER")
    expected = render_badge(info, 576).tobytes()
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(render_badge(info, 576).tobytes())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == [expected] * 6


def test_importing_escpos_leaves_root_logging_alone() -> None:
    """escpos.capabilities calls logging.basicConfig() on import; the app's logging must not change."""
    code = ("import logging; from printers.badge import BadgeInfo; from printers.escpos_job import build_job; "
            "build_job(BadgeInfo('A B', 'A', None, 'E', 'D', 'X-1', None, None), 'TM-T20II'); "
            "print(len(logging.getLogger().handlers))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0"
