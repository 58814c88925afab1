"""One set of storage tests, run against local files and against a real S3-compatible server over HTTP."""
from __future__ import annotations

import importlib.util
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventsvc import create_app
from eventsvc.core.storage import (
    FileMissing,
    InvalidKey,
    LocalStorage,
    Storage,
    get_storage,
    new_key,
    send_stored,
    storage_from_url,
)

S3_AVAILABLE = all(importlib.util.find_spec(name) for name in ("boto3", "moto"))
BIG = os.urandom(9 * 1024 * 1024)  # above boto3's 8 MB threshold: the S3 backend must do a multipart upload


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Start moto's standalone S3-compatible HTTP server on a free loopback port, in its own process."""
    if not S3_AVAILABLE:
        pytest.skip("boto3 / moto[server] not installed: S3 backend not tested")
    port = _free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start (exit code {proc.poll()})")
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _raw_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint: str) -> str:
    """One bucket for the run; each test gets its own prefix inside it."""
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    _raw_client(s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The backend under test, built the way the app builds it: from a STORAGE_URL."""
    if request.param == "local":
        return storage_from_url(f"file://{tmp_path / 'files'}", tmp_path)
    endpoint, bucket = request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
    return storage_from_url(f"s3://{bucket}/{uuid.uuid4().hex}/files?endpoint_url={endpoint}&region=us-east-1"
                            "&access_key=test&secret_key=test", tmp_path)


def test_put_bytes_then_read_back(storage: Storage) -> None:
    key = new_key("evidence", ".jpg")
    assert not storage.exists(key)
    storage.put(key, "照片".encode() + b"\x00\xff", "image/jpeg")
    assert storage.exists(key)
    assert storage.read(key) == "照片".encode() + b"\x00\xff"
    assert storage.size(key) == len("照片".encode()) + 2


def test_put_large_stream_and_stream_it_out(storage: Storage) -> None:
    key = new_key("evidence", ".pdf")
    storage.put(key, io.BytesIO(BIG), "application/pdf")
    assert storage.size(key) == len(BIG)
    chunks = list(storage.iter_chunks(key, chunk_size=1024 * 1024))
    assert len(chunks) >= 9 and b"".join(chunks) == BIG
    with storage.open(key) as stream:
        assert stream.read(10) == BIG[:10]
        assert stream.read() == BIG[10:]


def test_put_replaces_existing_object(storage: Storage) -> None:
    key = new_key()
    storage.put(key, b"first version, longer", "text/plain")
    storage.put(key, b"second", "text/plain")
    assert storage.read(key) == b"second" and storage.size(key) == 6


def test_delete_removes_and_tolerates_missing(storage: Storage) -> None:
    key, other = new_key(), new_key()
    storage.put(key, b"x", "text/plain")
    storage.put(other, b"y", "text/plain")
    storage.delete(key)
    storage.delete(key)  # twice: not an error
    assert not storage.exists(key) and storage.read(other) == b"y"


def test_missing_key_raises_file_missing(storage: Storage) -> None:
    key = new_key()
    with pytest.raises(FileMissing):
        storage.open(key)
    with pytest.raises(FileMissing):
        storage.size(key)
    with pytest.raises(FileMissing):
        storage.iter_chunks(key)


UNSAFE_KEYS = ["../outside", "a/../../outside", "/etc/passwd", "", "a//b", "a\\..\\b", "evidence/..", "./a",
               "a/./b", "带中文.jpg", "a b", "x" * 300]


def test_unsafe_keys_are_refused(storage: Storage, tmp_path: Path) -> None:
    for key in UNSAFE_KEYS:
        with pytest.raises(InvalidKey):
            storage.put(key, b"x", "text/plain")
        for method in (storage.open, storage.exists, storage.delete, storage.size):
            with pytest.raises(InvalidKey):
                method(key)
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["files"])  # nothing written beside the root


def test_new_keys_are_random_and_valid() -> None:
    keys = {new_key("evidence/photos", ".jpg") for _ in range(1000)}
    assert len(keys) == 1000
    assert all(k.startswith("evidence/photos/") and k.endswith(".jpg") for k in keys)


def test_s3_objects_live_under_the_prefix_with_their_content_type(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    client = _raw_client(s3_endpoint)
    client.create_bucket(Bucket=bucket)  # its own bucket, so the listing below sees only this test's object
    storage = storage_from_url(f"s3://{bucket}/union/files?endpoint_url={s3_endpoint}&access_key=test"
                               "&secret_key=test&region=us-east-1", tmp_path)
    storage.put("evidence/ab/abc.pdf", b"%PDF-1.7", "application/pdf")
    head = client.head_object(Bucket=bucket, Key="union/files/evidence/ab/abc.pdf")
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == 8
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == ["union/files/evidence/ab/abc.pdf"]
    assert not (tmp_path / "files").exists()


def test_local_writes_are_atomic_and_leave_no_temp_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    storage.put("evidence/aa/one.jpg", io.BytesIO(b"a" * 100_000), "image/jpeg")
    storage.put("evidence/aa/one.jpg", b"b" * 10, "image/jpeg")
    assert sorted(p.name for p in (tmp_path / "files/evidence/aa").iterdir()) == ["one.jpg"]
    assert (tmp_path / "files/evidence/aa/one.jpg").read_bytes() == b"b" * 10


def test_local_refuses_symlinks_out_of_the_root(tmp_path: Path) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret/passwd").write_text("root")
    (tmp_path / "files").mkdir()
    (tmp_path / "files/link").symlink_to(tmp_path / "secret")
    storage = LocalStorage(tmp_path / "files")
    with pytest.raises(InvalidKey):
        storage.read("link/passwd")


def test_app_default_is_local_under_the_instance_folder_and_cached() -> None:
    app = create_app({"TESTING": True})
    storage = get_storage(app)
    assert isinstance(storage, LocalStorage)
    assert storage.root == (Path(app.instance_path) / "files").resolve()
    with app.app_context():
        assert get_storage() is storage


def test_environment_selects_s3_with_path_style(monkeypatch: pytest.MonkeyPatch) -> None:
    if not S3_AVAILABLE:
        pytest.skip("boto3 not installed")
    monkeypatch.setenv("EVENTSVC_STORAGE_URL", "s3://union-files/prod?endpoint_url=http://10.0.0.5:9000&region=cn-sz")
    storage: Any = get_storage(create_app({"TESTING": True}))
    assert (storage.bucket, storage.prefix, storage.endpoint_url) == ("union-files", "prod", "http://10.0.0.5:9000")
    assert storage.client.meta.config.s3["addressing_style"] == "path"
    assert storage.client.meta.region_name == "cn-sz"


@pytest.mark.parametrize(("url", "root"), [("", "instance/files"), ("file://", "instance/files"),
                                          ("file://uploads", "instance/uploads"), ("file:///srv/ev", "/srv/ev")])
def test_file_urls_choose_the_local_root(url: str, root: str, tmp_path: Path) -> None:
    storage = storage_from_url(url, tmp_path / "instance")
    assert isinstance(storage, LocalStorage) and storage.root == (tmp_path / root).resolve()


@pytest.mark.parametrize("url", ["ftp://host/x", "s3://", "s3://bucket?endpont_url=http://typo"])
def test_bad_storage_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        storage_from_url(url, tmp_path)


def test_send_stored_streams_with_a_chinese_download_name(storage: Storage) -> None:
    app = create_app({"TESTING": True})
    key = new_key("evidence", ".pdf")
    storage.put(key, b"%PDF-1.7 fake", "application/pdf")

    @app.get("/t/<path:key>")
    def download(key: str):  # type: ignore[no-untyped-def]
        return send_stored(key, content_type="application/pdf", download_name="活动总结.pdf", as_attachment=True,
                           storage=storage)

    client = app.test_client()
    response = client.get(f"/t/{key}")
    assert response.status_code == 200 and response.data == b"%PDF-1.7 fake"
    assert response.headers["Content-Length"] == "13" and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E6%B4%BB%E5%8A%A8%E6%80%BB%E7%BB%93.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert client.get(f"/t/{new_key()}").status_code == 404
