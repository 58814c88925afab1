"""Blob storage behind one small interface: local files by default, an S3-compatible store when configured."""
from eventsvc.core.storage.base import FileMissing, InvalidKey, Storage, StorageError, check_key, new_key
from eventsvc.core.storage.factory import get_storage, storage_from_url
from eventsvc.core.storage.local import LocalStorage
from eventsvc.core.storage.serve import send_stored

__all__ = [
    "FileMissing", "InvalidKey", "LocalStorage", "Storage", "StorageError", "check_key", "get_storage", "new_key",
    "send_stored", "storage_from_url",
]
