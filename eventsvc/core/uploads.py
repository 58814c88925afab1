"""Check uploaded evidence by its content (never its name), and normalize photos to clean JPEGs."""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import LOCAL_OFFSET

if TYPE_CHECKING:
    from PIL import Image

Kind = Literal["photo", "document"]
MB = 1024 * 1024
PHOTO_MAX_EDGE = 2560
PHOTO_QUALITY = 85
THUMB_EDGE = 320
THUMB_QUALITY = 80
_HEAD = 512
# OOXML packages are zips: refuse before decompressing anything whose declared contents are absurd.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_MEMBER_BYTES = 100 * MB
ZIP_MAX_TOTAL_BYTES = 250 * MB
_CONTENT_TYPES_MAX = 1 * MB

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "heif": "HEIF"}
# EXIF orientation -> the Image.Transpose that makes the picture upright (what ImageOps.exif_transpose does).
# Names, not members: Pillow is imported only when a photo is processed (workers that never receive one need
# not load it).
_ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
                7: "TRANSVERSE", 8: "ROTATE_90"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_XL_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

MSG_UNSUPPORTED = "不支持的文件类型：照片只接受 JPEG、PNG、HEIC，文档只接受 PDF、Word（.docx）、Excel（.xlsx）。"
MSG_LEGACY_OFFICE = "不支持的文件类型：旧版 Word/Excel 文件（.doc/.xls）请另存为 .docx 或 .xlsx 后再上传。"
MSG_MACROS = "不支持含宏的文档，请另存为普通的 .docx 或 .xlsx 后再上传。"
MSG_ENCRYPTED = "不支持加密的文档，请取消密码后再上传。"
MSG_ZIP_ABNORMAL = "文档内部结构异常（解压后过大或文件过多），无法接受。"
MSG_EMPTY = "文件是空的，请重新选择。"
MSG_BROKEN_PHOTO = "照片无法打开，文件可能已损坏，请重新选择。"
MSG_BROKEN_DOCUMENT = "文档无法打开，文件可能已损坏，请重新选择。"


class UploadRejected(OperationError):
    """The upload is refused; `message` says why in Chinese, fit to show next to the file input."""

    def __init__(self, message: str, code: str = "upload_rejected") -> None:
        super().__init__(message, code=code, field="file")


@dataclass(frozen=True)
class UploadLimits:
    """Size and pixel limits; read them from the app config with from_config."""

    max_photo_bytes: int = 20 * MB
    max_document_bytes: int = 20 * MB
    max_photo_pixels: int = 80_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UploadLimits:
        """Take UPLOAD_MAX_PHOTO_BYTES, UPLOAD_MAX_DOCUMENT_BYTES and UPLOAD_MAX_PHOTO_PIXELS, else defaults."""
        return cls(
            max_photo_bytes=int(config.get("UPLOAD_MAX_PHOTO_BYTES", cls.max_photo_bytes)),
            max_document_bytes=int(config.get("UPLOAD_MAX_DOCUMENT_BYTES", cls.max_document_bytes)),
            max_photo_pixels=int(config.get("UPLOAD_MAX_PHOTO_PIXELS", cls.max_photo_pixels)),
        )


@dataclass(frozen=True)
class CheckedUpload:
    """What to store: photos as a fresh JPEG plus thumbnail, documents byte for byte as uploaded."""

    kind: Kind
    source_format: str  # what was uploaded: jpeg, png, heif, pdf, docx, xlsx
    content_type: str
    data: bytes
    original_name: str  # cleaned, with the extension of what is stored (IMG_1234.HEIC -> IMG_1234.jpg)
    thumbnail: bytes | None = None
    taken_at: datetime | None = None  # naive UTC, from EXIF DateTimeOriginal
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def suffix(self) -> str:
        """The file-name extension of what is stored: .jpg for every photo, else the document's format."""
        return ".jpg" if self.content_type == "image/jpeg" else f".{self.source_format}"


def check_upload(source: bytes | BinaryIO, filename: str | None = None,
                 limits: UploadLimits | None = None) -> CheckedUpload:
    """Sniff, size-check and normalize one uploaded file; raise UploadRejected with a Chinese message."""
    limits = limits or UploadLimits()
    head = source[:_HEAD] if isinstance(source, bytes) else source.read(_HEAD)
    if not head:
        raise UploadRejected(MSG_EMPTY, "empty")
    fmt = sniff_format(head)
    if fmt is None:
        raise UploadRejected(MSG_LEGACY_OFFICE if head.startswith(b"\xd0\xcf\x11\xe0") else MSG_UNSUPPORTED,
                             "unsupported_type")
    is_photo = fmt in _PIL_FORMATS
    limit = limits.max_photo_bytes if is_photo else limits.max_document_bytes
    data = _read_limited(source, head, limit)
    if data is None:
        what = "照片" if is_photo else "文件"
        shown = f"{limit / MB:g} MB" if limit >= MB else f"{limit / 1024:g} KB"
        raise UploadRejected(f"{what}太大：每个{what}最大 {shown}，请压缩后再上传。", "too_large")
    if is_photo:
        return _process_photo(data, fmt, filename, limits)
    if fmt == "zip":
        fmt = _ooxml_format(data)
    return CheckedUpload(kind="document", source_format=fmt, content_type=CONTENT_TYPES[fmt], data=data,
                         original_name=clean_filename(filename, fmt, "文件"))


def sniff_format(head: bytes) -> str | None:
    """Name the format from the first bytes: jpeg, png, heif, pdf, zip (maybe OOXML), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[4:8] == b"ftyp":
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, box_end - 3, 4)}
        # AVIF files also carry mif1; pillow-heif is built here without an AV1 decoder.
        if brands & _HEIF_BRANDS and not brands & {b"avif", b"avis"}:
            return "heif"
    return None


def clean_filename(name: str | None, fmt: str, fallback: str) -> str:
    """Keep a display name from the user's filename: no path, no control characters, the stored extension."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    stem = stem.strip(" .")[:80].strip(" .") or fallback
    return f"{stem}.{'jpg' if fmt in _PIL_FORMATS else fmt}"


def _read_limited(source: bytes | BinaryIO, head: bytes, limit: int) -> bytes | None:
    """Return the whole content, or None once it passes limit (reading at most limit + 1 bytes)."""
    if isinstance(source, bytes):
        return source if len(source) <= limit else None
    rest = source.read(max(limit + 1 - len(head), 0))
    data = head + rest
    return data if len(data) <= limit else None


def _ooxml_format(data: bytes) -> str:
    """Tell docx from xlsx from any other zip, reading only [Content_Types].xml and only after size checks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if (len(infos) > ZIP_MAX_MEMBERS or any(i.file_size > ZIP_MAX_MEMBER_BYTES for i in infos)
                    or sum(i.file_size for i in infos) > ZIP_MAX_TOTAL_BYTES):
                raise UploadRejected(MSG_ZIP_ABNORMAL, "zip_abnormal")
            names = {i.filename for i in infos}
            if any(i.flag_bits & 0x1 for i in infos):
                raise UploadRejected(MSG_ENCRYPTED, "encrypted")
            ct_info = zf.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if ct_info is None or ct_info.file_size > _CONTENT_TYPES_MAX:
                raise UploadRejected(MSG_UNSUPPORTED, "unsupported_type")
            with zf.open(ct_info) as member:
                content_types = member.read(_CONTENT_TYPES_MAX + 1)
    except UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadRejected(MSG_BROKEN_DOCUMENT, "broken") from None
    if b"macroEnabled" in content_types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UploadRejected(MSG_MACROS, "macros")
    if "word/document.xml" in names and _WORD_MAIN in content_types:
        return "docx"
    if "xl/workbook.xml" in names and _XL_MAIN in content_types:
        return "xlsx"
    raise UploadRejected(MSG_UNSUPPORTED, "unsupported_type")


def _register_heif() -> None:
    """Teach Pillow to open HEIC once per process (phones' default photo format)."""
    from PIL import Image

    if "HEIF" not in Image.OPEN:
        from pillow_heif import register_heif_opener

        register_heif_opener()


def _process_photo(data: bytes, fmt: str, filename: str | None, limits: UploadLimits) -> CheckedUpload:
    """Decode within a pixel budget, rotate upright, shrink, and re-encode without GPS or other metadata."""
    from PIL import ExifTags, Image, UnidentifiedImageError

    if fmt == "heif":
        _register_heif()
    too_many = UploadRejected(f"照片像素太多：最多 {limits.max_photo_pixels / 10_000:g} 万像素，请缩小后再上传。",
                              "too_many_pixels")
    try:
        # Only the sniffed format's decoder may run: a PNG named .jpg is a PNG, a PSD is nothing.
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRejected(MSG_BROKEN_PHOTO, "broken") from None
    width, height = image.size  # from the header: checked before a single pixel is decoded
    if width * height > limits.max_photo_pixels:
        raise too_many
    try:
        exif = image.getexif()
        taken_raw, taken_at = _capture_time(exif)
        orientation = exif.get(ExifTags.Base.Orientation)
        icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
        if fmt == "jpeg":
            image.draft("RGB", (PHOTO_MAX_EDGE, PHOTO_MAX_EDGE))  # DCT scaling: decode big JPEGs small
        image.load()
        photo = _flatten_rgb(image)
        # Shrink before rotating: one full-size copy of a 48 MP photo is already 140 MB.
        photo.thumbnail((PHOTO_MAX_EDGE, PHOTO_MAX_EDGE), Image.Resampling.LANCZOS)
        if orientation in _ORIENTATION:
            photo = photo.transpose(Image.Transpose[_ORIENTATION[orientation]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise UploadRejected(MSG_BROKEN_PHOTO, "broken") from None
    photo.info = {}  # drop comments, XMP (may hold GPS) and the source EXIF that Pillow would carry over
    kept = Image.Exif()
    if taken_raw:
        # The capture time is kept on purpose; everything else (GPS, device, maker notes) is dropped.
        kept.get_ifd(ExifTags.IFD.Exif).update(taken_raw)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True, progressive=True, exif=kept,
               **({"icc_profile": icc} if icc else {}))
    thumb = photo.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=THUMB_QUALITY, optimize=True, **({"icc_profile": icc} if icc else {}))
    return CheckedUpload(kind="photo", source_format=fmt, content_type="image/jpeg", data=out.getvalue(),
                         original_name=clean_filename(filename, fmt, "照片"), thumbnail=thumb_out.getvalue(),
                         taken_at=taken_at, width=photo.width, height=photo.height)


def _flatten_rgb(image: Image.Image) -> Image.Image:
    """Convert to RGB, putting transparent areas on white (JPEG has no alpha; black would look broken)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit greyscale PNG: scale, don't clip
    return image.convert("RGB") if image.mode != "RGB" else image


_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _capture_time(exif: Image.Exif) -> tuple[dict[int, str], datetime | None]:
    """Return the EXIF tags worth keeping and the capture time as naive UTC (China time when no offset is given)."""
    from PIL import ExifTags

    sub = exif.get_ifd(ExifTags.IFD.Exif)
    raw = sub.get(ExifTags.Base.DateTimeOriginal)
    match = _EXIF_TIME.match(str(raw).strip("\x00 ")) if isinstance(raw, str) else None
    if not match:
        return {}, None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" from cameras with no clock set
        return {}, None
    keep = {ExifTags.Base.DateTimeOriginal.value: match.group(0).replace("T", " ")}
    offset = LOCAL_OFFSET
    raw_offset = sub.get(ExifTags.Base.OffsetTimeOriginal)
    offset_match = _EXIF_OFFSET.match(str(raw_offset).strip("\x00 ")) if isinstance(raw_offset, str) else None
    if offset_match:
        sign = -1 if offset_match.group(1) == "-" else 1
        offset = sign * timedelta(hours=int(offset_match.group(2)), minutes=int(offset_match.group(3)))
        keep[ExifTags.Base.OffsetTimeOriginal.value] = offset_match.group(0)
    return keep, local - offset
