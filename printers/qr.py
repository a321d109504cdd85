"""The ticket QR as drawn on the badge, sized like the printer's own (native) QR.

The same error-correction level and module size are used for the image and for
``qr(native=True)``, so the preview shows the QR where and as large as the
printer will print it. Ticket codes are upper-case alphanumerics and '-', which
QR encodes in the compact alphanumeric mode.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from PIL import Image

# M survives a crumpled or scuffed badge and still keeps short codes at version 1-2.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_MODULES = 4


def module_size(width_dots: int) -> int:
    """Dots per QR module: ~0.75 mm on 80 mm paper, ~0.5 mm on 58 mm, 3..10 dots."""
    return max(3, min(10, width_dots // 96))


@lru_cache(maxsize=256)
def qr_image(data: str, module: int) -> Image.Image:
    """The symbol alone (no quiet zone), mode "1", ``module`` dots per module."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    small = Image.new("1", (n, n), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    return small.resize((n * module, n * module), Image.Resampling.NEAREST)
