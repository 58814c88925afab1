"""Files on the local disk, under the instance folder by default."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, cast

from eventsvc.core.storage.base import FileMissing, InvalidKey, Storage, check_key


class LocalStorage(Storage):
    """One file per key below root; writes go to a temporary file that is renamed into place."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # Resolving follows symlinks: refuse anything that ends up outside root.
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"invalid storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes | BinaryIO, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    tmp.write(data)
                else:
                    shutil.copyfileobj(data, tmp, 1024 * 1024)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o640)  # mkstemp makes 0600; the web server's group may need to read
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return cast(BinaryIO, self._path(key).open("rb"))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FileMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise FileMissing(key)
        return path.stat().st_size
