"""Errors that operations raise with a message fit to show the user."""
from __future__ import annotations


class OperationError(Exception):
    """A rule refused the change; `message` is Chinese text for the user, `code` for machines."""

    def __init__(self, message: str, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
