"""A badge as one ESC/POS job: built in memory, sent later in a single write.

Building in ``escpos.printer.Dummy`` keeps the printer connection out of the
layout code: the queue can store, retry and resend the bytes, and a printer
that vanishes mid-job never leaves half a badge in our state.

The image is full paper width, so it is sent without ``center=True`` (which
prints a black bar on images taller than ``fragment_height``). When the
profile has native QR support the QR is printed by the printer, centred, right
after the image: sharper and fewer bytes than drawing it.

Raster rows cost a byte per 8 dots whether they are black or white, and a
centred badge is mostly white on the right. For ``GS v 0`` printers the image
is therefore sent as horizontal bands, each only as wide as its rightmost ink
(blank bands 8 dots wide): the same dots print, in about half the bytes. Bands
follow each other with no gap, exactly like python-escpos's own fragments.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from printers import escpos_lib, qr
from printers.badge import BadgeInfo, render_badge
from printers.profiles import PrinterProfile, get_profile

# python-escpos splits taller images into GS v 0 blocks of this many rows; a
# multiple of 24 keeps column-mode printers (ESC *) free of gaps too.
FRAGMENT_HEIGHT = 960
FEED_LINES_BEFORE_CUT = 6  # the cutter sits ~15 mm above the print head
# A blank run shorter than this stays inside its neighbour: a new block header
# (8 bytes) would cost more than the white bytes it saves.
MIN_BLANK_BAND = 4


def build_job(info: BadgeInfo, profile: str) -> bytes:
    """The complete print job for one badge on a printer of ``profile`` (ValueError if unknown)."""
    spec = get_profile(profile)
    image = render_badge(info, spec.width_dots, include_qr=not spec.native_qr)
    printer = escpos_lib.printer_class("Dummy")(profile=profile)
    printer.hw("INIT")  # forget whatever the last job left set (alignment, sizes)
    _send_image(printer, image, spec)
    if spec.native_qr and info.ticket_code:
        _native_qr(printer, info.ticket_code, spec)
    _finish(printer, spec)
    return printer.output


def render_preview(info: BadgeInfo, profile: str) -> Image.Image:
    """Exactly what will print, the QR drawn where (and as large as) the printer puts it."""
    return render_badge(info, get_profile(profile).width_dots, include_qr=True)


def _send_image(printer: Any, image: Image.Image, spec: PrinterProfile) -> None:
    """The badge image: in trimmed bands for GS v 0, whole for the other image modes."""
    parts = raster_bands(image) if spec.image_impl == "bitImageRaster" else [image]
    for part in parts:
        printer.image(part, impl=spec.image_impl, fragment_height=FRAGMENT_HEIGHT, center=False)


def raster_bands(image: Image.Image) -> list[Image.Image]:
    """Cut a mode "1" image into bands of ink and of white, each trimmed after its last black dot."""
    widths = _row_ink_bytes(image)
    bands, start = [], 0
    for end in _band_ends(widths):
        needed = max(1, max(widths[start:end]))
        bands.append(image.crop((0, start, min(image.width, 8 * needed), end)))
        start = end
    return bands


def _row_ink_bytes(image: Image.Image) -> list[int]:
    """For each row, how many bytes reach its last black dot (0 for a white row)."""
    stride = (image.width + 7) // 8
    data = image.convert("1").tobytes("raw", "1;I")  # bit 1 = black, as the printer wants
    return [len(data[i:i + stride].rstrip(b"\x00")) for i in range(0, len(data), stride)]


def _band_ends(widths: list[int]) -> list[int]:
    """Row indexes where bands end: runs of white rows (long enough) alternate with ink."""
    ends: list[int] = []
    blank_before: bool | None = None
    i, n = 0, len(widths)
    while i < n:
        j = i
        while j < n and (widths[j] == 0) == (widths[i] == 0):
            j += 1
        blank = widths[i] == 0 and (j - i >= MIN_BLANK_BAND or i == 0 or j == n)
        if ends and blank == blank_before:
            ends[-1] = j  # same kind as the band before: extend it
        else:
            ends.append(j)
        blank_before, i = blank, j
    return ends


def _native_qr(printer: Any, code: str, spec: PrinterProfile) -> None:
    """The printer's own QR, same module size and error correction as the preview."""
    consts = escpos_lib.constants()
    printer.set(align="center")
    printer.qr(code, native=True, size=qr.module_size(spec.width_dots), ec=consts.QR_ECLEVEL_M)
    printer.set(align="left")


def _finish(printer: Any, spec: PrinterProfile) -> None:
    """Feed the badge past the cutter and cut, or just feed on printers without one."""
    if spec.full_cut:
        printer.cut()  # python-escpos feeds 6 lines (ESC d 6) before the cut itself
    else:
        printer.print_and_feed(FEED_LINES_BEFORE_CUT)
