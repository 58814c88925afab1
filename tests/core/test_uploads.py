"""Uploads are judged by content: wrong types refused, photos cleaned of location, documents kept as sent."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from eventsvc import create_app
from eventsvc.core.uploads import MSG_UNSUPPORTED, UploadLimits, UploadRejected, check_upload

GPS = ExifTags.IFD.GPSInfo


def _jpeg(size: tuple[int, int] = (400, 300), *, gps: bool = True, taken: str | None = "2026:05:01 09:30:00",
          orientation: int | None = None, xmp: bytes | None = None, color: str = "red") -> bytes:
    """A phone-like JPEG: GPS position, capture time, camera make, optionally an orientation and XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Huawei"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if gps:
        exif.get_ifd(GPS).update({1: "N", 2: (22.0, 43.0, 12.5), 3: "E", 4: (114.0, 14.0, 48.0)})
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", exif=exif, comment=b"shot at 22.7201N 114.2467E",
                                       **({"xmp": xmp} if xmp else {}))
    return out.getvalue()


def _docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("活动方案：夏送清凉")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["活动", "人次"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A real decompression bomb: a 1-bit all-black PNG whose pixels inflate to width x height."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _refused(data: bytes, name: str, limits: UploadLimits | None = None) -> str:
    with pytest.raises(UploadRejected) as info:
        check_upload(data, name, limits)
    return info.value.message


@pytest.mark.parametrize(("data", "name"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500 + b"This program cannot be run in DOS mode", "合影.jpg"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "总结.pdf"),
    (b"<html><script>alert(1)</script></html>", "通知.pdf"),
    (b"GIF89a" + b"\x00" * 50, "photo.png"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 40, "photo.heic"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40, "video.heic"),
])
def test_other_content_is_refused_whatever_its_name(data: bytes, name: str) -> None:
    assert _refused(data, name) == MSG_UNSUPPORTED
    assert MSG_UNSUPPORTED.startswith("不支持的文件类型")


def test_plain_zip_renamed_docx_is_refused() -> None:
    assert _refused(_zip({"readme.txt": b"hello", "photos/a.jpg": _jpeg()}), "活动方案.docx") == MSG_UNSUPPORTED
    # Even with the right member name, a zip without the Word content type is not a document.
    assert _refused(_zip({"word/document.xml": b"<w/>"}), "活动方案.docx") == MSG_UNSUPPORTED
    generic = b'<Types><Default Extension="xml" ContentType="application/xml"/></Types>'
    assert _refused(_zip({"[Content_Types].xml": generic, "word/document.xml": b"<w/>"}), "a.docx") == MSG_UNSUPPORTED


def test_legacy_office_and_macro_documents_get_their_own_message() -> None:
    assert ".docx" in _refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧方案.doc")
    with zipfile.ZipFile(io.BytesIO(_docx())) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/vbaProject.bin"] = b"\x00" * 64
    assert "宏" in _refused(_zip(members), "方案.docx")


@pytest.mark.parametrize(("make", "fmt"), [(_docx, "docx"), (_xlsx, "xlsx")])
def test_real_office_documents_are_accepted_unchanged(make, fmt: str) -> None:  # type: ignore[no-untyped-def]
    data = make()
    upload = check_upload(io.BytesIO(data), "C:\\fakepath\\2026 活动方案.final.DOCX")
    assert upload.kind == "document" and upload.source_format == fmt
    assert upload.content_type.startswith("application/vnd.openxmlformats-officedocument.")
    assert upload.data == data and upload.thumbnail is None
    assert upload.original_name == f"2026 活动方案.final.{fmt}"


def test_pdf_is_accepted() -> None:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "summary")
    page.save()
    upload = check_upload(out.getvalue(), "../../etc/总结")
    assert (upload.kind, upload.content_type, upload.original_name) == ("document", "application/pdf", "总结.pdf")


def test_zip_bomb_is_refused_before_inflating() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(120):  # 120 MB of zeros in one member
                member.write(b"\x00" * (1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    assert "结构异常" in _refused(out.getvalue(), "方案.docx")


def test_jpeg_loses_gps_keeps_capture_time() -> None:
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description exif:GPSLatitude="22,43.2N" xmlns:exif="http://ns.adobe.com/exif/1.0/"/>'
           b"</rdf:RDF></x:xmpmeta>")
    source = _jpeg(xmp=xmp)
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif().get_ifd(GPS)  # the fixture really carries a position
    upload = check_upload(source, "IMG_20260501.jpg")
    assert upload.kind == "photo" and upload.content_type == "image/jpeg"
    assert upload.taken_at == datetime(2026, 5, 1, 1, 30)  # 09:30 China time, stored as naive UTC
    with Image.open(io.BytesIO(upload.data)) as cleaned:
        exif = cleaned.getexif()
        assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(GPS)
        assert ExifTags.Base.Make not in exif
        assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:05:01 09:30:00"
        assert "xmp" not in cleaned.info and cleaned.size == (400, 300)
    assert b"GPSLatitude" not in upload.data and b"Huawei" not in upload.data and b"22.7201N" not in upload.data
    assert b"22.7201N" in source


def test_capture_time_honours_the_recorded_offset() -> None:
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif).update({ExifTags.Base.DateTimeOriginal: "2026:03:08 20:00:00",
                                            ExifTags.Base.OffsetTimeOriginal: "+09:00"})
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "JPEG", exif=exif)
    assert check_upload(out.getvalue(), "a.jpg").taken_at == datetime(2026, 3, 8, 11, 0)
    assert check_upload(_jpeg(taken=None), "a.jpg").taken_at is None
    assert check_upload(_jpeg(taken="0000:00:00 00:00:00"), "a.jpg").taken_at is None


def test_heic_becomes_jpeg_without_location() -> None:
    import pillow_heif

    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:07:15 15:45:10"
    exif.get_ifd(GPS).update({1: "N", 2: (22.0, 43.0, 12.5), 3: "E", 4: (114.0, 14.0, 48.0)})
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), "blue"))
    out = io.BytesIO()
    heif.save(out, quality=80, exif=exif.tobytes())
    assert out.getvalue()[4:12] == b"ftypheic"
    upload = check_upload(out.getvalue(), "IMG_0042.HEIC")
    assert (upload.source_format, upload.content_type, upload.original_name) == ("heif", "image/jpeg", "IMG_0042.jpg")
    assert upload.taken_at == datetime(2026, 7, 15, 7, 45, 10)
    with Image.open(io.BytesIO(upload.data)) as photo:
        assert photo.format == "JPEG" and photo.size == (640, 480)
        assert not photo.getexif().get_ifd(GPS)
        r, g, b = photo.getpixel((320, 240))  # type: ignore[misc]
        assert b > 200 and r < 40 and g < 40


def test_big_photo_is_shrunk_rotated_upright_and_thumbnailed() -> None:
    upload = check_upload(_jpeg((4000, 3000), orientation=6), "big.jpg")  # 6: the phone was held upright
    assert (upload.width, upload.height) == (1920, 2560)
    with Image.open(io.BytesIO(upload.data)) as photo:
        assert photo.size == (1920, 2560) and ExifTags.Base.Orientation not in photo.getexif()
    assert upload.thumbnail is not None
    with Image.open(io.BytesIO(upload.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (240, 320)


def test_transparent_png_goes_on_white() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (60, 40), (0, 0, 0, 0)).save(out, "PNG")
    upload = check_upload(out.getvalue(), "screenshot.png")
    with Image.open(io.BytesIO(upload.data)) as photo:
        assert photo.mode == "RGB" and min(photo.getpixel((30, 20))) > 245  # type: ignore[arg-type]


def test_oversize_files_are_refused_without_reading_everything() -> None:
    limits = UploadLimits(max_photo_bytes=512 * 1024, max_document_bytes=2 * 1024 * 1024)
    assert _refused(_jpeg((200, 200)) + b"\x00" * 600 * 1024, "a.jpg", limits) == (
        "照片太大：每个照片最大 512 KB，请压缩后再上传。")
    stream = io.BytesIO(b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024))
    with pytest.raises(UploadRejected, match="文件太大：每个文件最大 2 MB"):
        check_upload(stream, "huge.pdf", limits)
    assert stream.tell() == 2 * 1024 * 1024 + 1


def test_decompression_bomb_png_is_refused_cleanly() -> None:
    bomb = _bomb_png(30_000, 30_000)  # 900 million pixels from ~100 KB: past Pillow's own bomb limit
    assert len(bomb) < 200_000
    assert "像素太多" in _refused(bomb, "bomb.png")
    below_pillow = _bomb_png(9_000, 9_000)  # 81 MP: Pillow would decode it, our 80 MP cap does not
    assert "最多 8000 万像素" in _refused(below_pillow, "bomb.png")


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0" + b"garbage" * 20, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_damaged_photos_get_a_message_not_a_crash(data: bytes) -> None:
    assert "照片无法打开" in _refused(data, "x.jpg")


def test_empty_file_is_refused() -> None:
    assert "空" in _refused(b"", "x.jpg")


def test_limits_come_from_config_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVENTSVC_UPLOAD_MAX_PHOTO_BYTES", "1048576")
    app = create_app({"TESTING": True, "UPLOAD_MAX_DOCUMENT_BYTES": 3})
    limits = UploadLimits.from_config(app.config)
    assert limits == UploadLimits(max_photo_bytes=1048576, max_document_bytes=3, max_photo_pixels=80_000_000)
    assert "最大 1 MB" in _refused(b"\xff\xd8\xff" + b"\x00" * 2 * 1024 * 1024, "a.jpg", limits)
