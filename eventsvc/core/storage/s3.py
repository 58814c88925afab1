"""Objects in an S3-compatible store (a government cloud's object storage, MinIO, AWS) through boto3."""
from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

from eventsvc.core.storage.base import FileMissing, Storage, StorageError, check_key

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class _BodyReader(io.RawIOBase):
    """Expose botocore's StreamingBody as a standard readable binary stream."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Storage(Storage):
    """One object per key under bucket/prefix; a client is thread-safe, so one serves the whole process."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None,
                 addressing_style: str | None = None) -> None:
        import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no stubs
        from botocore.config import Config as BotoConfig  # type: ignore[import-untyped, unused-ignore]

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        # Private clouds and MinIO-like servers usually lack wildcard DNS for bucket subdomains: default to path style.
        style = addressing_style or ("path" if endpoint_url else "auto")
        config = BotoConfig(
            s3={"addressing_style": style},
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            # boto3 >= 1.36 adds CRC checksums by default, which several S3-compatible stores reject.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                         region_name=region)
        self.client = session.client("s3", endpoint_url=endpoint_url, config=config)
        self.endpoint_url = endpoint_url

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint_url={self.endpoint_url!r})"

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, key: str, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped, unused-ignore]

        try:
            return getattr(self.client, method)(Bucket=self.bucket, Key=self._object_key(key), **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                raise FileMissing(key) from None
            raise StorageError(f"{method} {key!r} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"{method} {key!r} failed: {exc}") from exc

    def put(self, key: str, data: bytes | BinaryIO, content_type: str = "application/octet-stream") -> None:
        if isinstance(data, (bytes, bytearray, memoryview)):
            self._call(key, "put_object", Body=bytes(data), ContentType=content_type)
            return
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped, unused-ignore]

        # upload_fileobj switches to a multipart upload for large streams; S3 makes the object visible only when whole.
        try:
            self.client.upload_fileobj(data, self.bucket, self._object_key(key),
                                       ExtraArgs={"ContentType": content_type})
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"upload {key!r} failed: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        body = self._call(key, "get_object")["Body"]
        return cast(BinaryIO, io.BufferedReader(_BodyReader(body), buffer_size=256 * 1024))

    def delete(self, key: str) -> None:
        try:
            self._call(key, "delete_object")
        except FileMissing:
            pass

    def exists(self, key: str) -> bool:
        try:
            self._call(key, "head_object")
        except FileMissing:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._call(key, "head_object")["ContentLength"])
