"""Read an ESC/POS job back: raster images, native QR payloads and the cut.

Tests use this to check what a printer would really print, not just that some
bytes went out. The walker steps over each command's payload, so raster data
that happens to contain ``GS v 0`` is not mistaken for a new image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import zxingcpp
from PIL import Image, ImageOps

GS, ESC = 0x1D, 0x1B


@dataclass
class DecodedJob:
    """What a job asks the printer to do, in order of appearance."""

    images: list[Image.Image] = field(default_factory=list)   # consecutive raster blocks joined
    native_qr: list[str] = field(default_factory=list)        # QR payloads stored with GS ( k
    cuts: int = 0
    initialised: bool = False                                 # starts with ESC @


def _u16(data: bytes, i: int) -> int:
    """Little-endian 16-bit number at ``i`` (ESC/POS's nL nH)."""
    return data[i] + 256 * data[i + 1]


def _raster(data: bytes, i: int) -> tuple[Image.Image, int]:
    """Decode ``GS v 0 m xL xH yL yH d...`` at ``i``: bit 1 = black."""
    xbytes, rows = _u16(data, i + 4), _u16(data, i + 6)
    start, end = i + 8, i + 8 + xbytes * rows
    bits = Image.frombytes("1", (8 * xbytes, rows), data[start:end], "raw", "1;I")
    return bits, end


def decode(job: bytes) -> DecodedJob:
    """Walk the job command by command."""
    out = DecodedJob(initialised=job[:2] == b"\x1b@")
    blocks: list[Image.Image] = []
    i = 0
    while i < len(job):
        if job[i:i + 3] == b"\x1dv0":
            image, i = _raster(job, i)
            blocks.append(image)
            continue
        if blocks:
            out.images.append(join_vertically(blocks))
            blocks = []
        i = _other(job, i, out)
    if blocks:
        out.images.append(join_vertically(blocks))
    return out


def _other(job: bytes, i: int, out: DecodedJob) -> int:
    """Handle one non-raster command (or byte) at ``i``; return the next position."""
    if job[i:i + 3] in (b"\x1d(k", b"\x1d(L"):
        length = _u16(job, i + 3)
        body = job[i + 5:i + 5 + length]
        if job[i + 2] == ord("k") and body[:3] == b"\x31\x50\x30":  # QR: store data
            out.native_qr.append(body[3:].decode("utf-8"))
        return i + 5 + length
    if job[i:i + 2] == b"\x1dV":
        out.cuts += 1
        return i + (4 if job[i + 2] in (65, 66) else 3)
    if job[i:i + 2] == b"\x1b*":
        columns = _u16(job, i + 3)
        return i + 5 + columns * (3 if job[i + 2] in (32, 33) else 1)
    return i + 1


def join_vertically(blocks: list[Image.Image]) -> Image.Image:
    """Stack raster blocks with no gap, as the printer prints fragments."""
    width = max(b.width for b in blocks)
    joined = Image.new("1", (width, sum(b.height for b in blocks)), 1)
    y = 0
    for block in blocks:
        joined.paste(block, (0, y))
        y += block.height
    return joined


def printed_image(job: bytes) -> Image.Image | None:
    """Every raster image of the job stacked into one picture (None if there is none)."""
    images = decode(job).images
    return join_vertically(images) if images else None


def read_qr(image: Image.Image) -> list[str]:
    """QR payloads zxing-cpp finds in ``image`` (padded with white for the quiet zone)."""
    padded = ImageOps.expand(image.convert("L"), border=40, fill=255)
    return [r.text for r in zxingcpp.read_barcodes(padded) if r.format == zxingcpp.BarcodeFormat.QRCode]


def qr_texts(job: bytes) -> list[str]:
    """QR payloads in the job: native ones first, then any drawn in the raster images."""
    decoded = decode(job)
    found = list(decoded.native_qr)
    for image in decoded.images:
        found.extend(read_qr(image))
    return found
