"""Chinese fonts for PDFs: find a TrueType font to embed, else fall back to reportlab's CID font.

Registering a TrueType collection costs 0.1-0.2 s, so the choice is made once per process (per
configured path) and cached; every builder asks `pdf_font()` for the registered name.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

CID_FONT = "STSong-Light"

# (path, subfont index in a .ttc). Order: Debian packages, Windows, macOS. Only TrueType outlines
# work in reportlab; Noto CJK / Source Han (CFF outlines) are refused, so they are never listed.
SYSTEM_FONTS: list[tuple[str, int]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttf", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("/Library/Fonts/Microsoft/SimHei.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Songti.ttc", 0),
]

_REFUSED_MARKERS = ("noto", "sourcehan", "source-han", "source_han")


@dataclass(frozen=True)
class FontInfo:
    """The font PDFs use: its registered name, where it came from, and whether it is embedded."""

    name: str
    path: str
    embedded: bool
    note: str = ""

    @property
    def label(self) -> str:
        """Describe the font for the admin page."""
        if self.embedded:
            return f"{Path(self.path).name}（TrueType，已嵌入 PDF）"
        return f"{CID_FONT}（内置 CID 字体，未嵌入；部分查看器可能显示为方框）"


_lock = threading.Lock()
_cache: dict[str, FontInfo] = {}


def configured_font_path() -> str:
    """Return the configured font path: app.config['PDF_FONT'] in an app, else EVENTSVC_PDF_FONT."""
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return str(current_app.config.get("PDF_FONT") or "")
    except ImportError:  # pragma: no cover - flask is always installed
        pass
    return os.environ.get("EVENTSVC_PDF_FONT", "")


def _candidates(configured: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if configured:
        path, _, index = configured.partition("#")  # "font.ttc#1" picks a subfont
        found.append((path, int(index) if index.isdigit() else 0))
    found.extend(SYSTEM_FONTS)
    return found


def _try_register(path: str, index: int) -> FontInfo | None:
    if any(marker in path.lower().replace(" ", "") for marker in _REFUSED_MARKERS):
        return None
    if not os.path.isfile(path):
        return None
    name = f"EvsCJK-{Path(path).stem}-{index}"
    try:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        # A font with PostScript outlines or a damaged file: try the next candidate.
        return None
    return FontInfo(name=name, path=path, embedded=True)


def _cid_font(note: str) -> FontInfo:
    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return FontInfo(name=CID_FONT, path="", embedded=False, note=note)


def pdf_font(configured: str | None = None) -> FontInfo:
    """Return the registered Chinese font, choosing and registering it on first use."""
    key = configured_font_path() if configured is None else configured
    info = _cache.get(key)
    if info is not None:
        return info
    with _lock:
        info = _cache.get(key)
        if info is None:
            info = _choose(key)
            _cache[key] = info
    return info


def _choose(configured: str) -> FontInfo:
    for path, index in _candidates(configured):
        info = _try_register(path, index)
        if info is not None:
            if configured and path != configured.partition("#")[0]:
                return FontInfo(info.name, info.path, True, note=f"配置的字体 {configured} 不可用，已改用系统字体")
            return info
    note = f"配置的字体 {configured} 不可用" if configured else "未找到可嵌入的中文 TrueType 字体"
    return _cid_font(note)


def pdf_font_info() -> dict[str, object]:
    """Describe the font PDFs use, for the admin settings page."""
    info = pdf_font()
    return {
        "name": info.name,
        "path": info.path,
        "embedded": info.embedded,
        "label": info.label,
        "note": info.note,
        "configured": configured_font_path(),
    }


def reset_font_cache() -> None:
    """Forget the chosen font (tests that change the search list call this)."""
    with _lock:
        _cache.clear()
