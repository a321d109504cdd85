"""What the badge code needs from a python-escpos printer profile: paper width and QR support.

The profile name in the config (e.g. "TM-T20II") is the only place the paper
width comes from, so an unknown name must fail loudly at start-up rather than
print a badge the wrong size.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from printers import escpos_lib

DEFAULT_DPI = 203  # nearly every receipt printer; used only when a profile gives mm but no dots


@dataclass(frozen=True)
class PrinterProfile:
    """The facts about one printer model that layout and job building depend on."""

    name: str
    width_dots: int     # printable width: the badge image is exactly this wide
    native_qr: bool     # the printer draws QR codes itself (GS ( k)
    image_impl: str     # python-escpos image() implementation the printer understands
    full_cut: bool      # it can cut the paper


def profile_names() -> list[str]:
    """Every profile name python-escpos knows."""
    return sorted(escpos_lib.capabilities().CAPABILITIES["profiles"])


@lru_cache(maxsize=64)
def get_profile(name: str) -> PrinterProfile:
    """The profile called ``name``; ValueError naming close matches when there is none."""
    profiles = escpos_lib.capabilities().CAPABILITIES["profiles"]
    if name not in profiles:
        near = difflib.get_close_matches(str(name), list(profiles), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise ValueError(f"unknown printer profile {name!r}{hint}; python-escpos knows {', '.join(profile_names())}")
    data = profiles[name]
    features = data.get("features", {})
    return PrinterProfile(
        name=name,
        width_dots=_width_dots(name, data),
        native_qr=bool(features.get("qrCode")),
        image_impl=_image_impl(name, features),
        full_cut=bool(features.get("paperFullCut") or features.get("paperPartCut")),
    )


def width_dots(name: str) -> int:
    """Printable width in dots for a profile name (576 for TM-T20II, 384 for 58 mm printers)."""
    return get_profile(name).width_dots


def supports_native_qr(name: str) -> bool:
    """Whether the printer renders QR codes itself."""
    return get_profile(name).native_qr


def _width_dots(name: str, data: dict[str, Any]) -> int:
    """Dots from media.width.pixels, else from millimetres at the profile's dpi."""
    media = data.get("media", {})
    width = media.get("width", {})
    pixels, mm = width.get("pixels"), width.get("mm")
    if isinstance(pixels, (int, float)) and pixels > 0:
        return int(pixels)
    dpi = media.get("dpi") if isinstance(media.get("dpi"), (int, float)) else DEFAULT_DPI
    if isinstance(mm, (int, float)) and mm > 0:
        return int(mm / 25.4 * dpi) // 8 * 8
    raise ValueError(f"printer profile {name!r} does not say how wide its paper is; "
                     "choose the profile of your model (e.g. TM-T20II for 80 mm, POS-5890 for 58 mm)")


def _image_impl(name: str, features: dict[str, Any]) -> str:
    """GS v 0 raster where supported (compact, trimmable), else what the printer has."""
    for impl in ("bitImageRaster", "graphics", "bitImageColumn"):
        if features.get(impl):
            return impl
    raise ValueError(f"printer profile {name!r} cannot print images, so it cannot print badges")
