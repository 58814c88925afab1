"""QR code images (PNG and SVG) for check-in pages, posters and e-tickets.

qrcode (and the PNG writer behind it, Pillow) is imported by the functions, not at module level: the
check-in views import this module, and a worker that only takes check-ins should not carry ~10 MB of
image code it never runs.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import qrcode


def _qr(data: str, border: int) -> qrcode.QRCode:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_png(data: str, box_size: int = 10, border: int = 4) -> bytes:
    """Return a black-on-white PNG of the QR code (quiet zone included)."""
    qr = _qr(data, border)
    qr.box_size = box_size
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def qr_svg(data: str, border: int = 4) -> str:
    """Return an SVG of the QR code that scales to any screen without blurring."""
    import qrcode.image.svg

    img = _qr(data, border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = img.to_string(encoding="unicode")
    return svg
