"""What every import has in common: row verdicts, and the registry of import kinds.

A kind knows how to read its file, judge each row against the database as it is now, and write
the rows it judged new through its domain's operations. The flow around it (stored preview,
owner check, expiry, all-or-nothing confirm) lives in `operations.py` and is the same for all kinds.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from eventsvc.orgs.models import User

NEW, ALREADY, DUPLICATE, ERROR = "new", "already", "duplicate", "error"
STATUSES = (NEW, ALREADY, DUPLICATE, ERROR)
# "Already there" and "repeated in the file" look the same to staff: both are skipped as 重复.
STATUS_LABELS = {NEW: "将导入", ALREADY: "重复，跳过", DUPLICATE: "重复，跳过", ERROR: "有误，跳过"}

T = TypeVar("T")


@dataclass
class Verdict:
    """One line of the file with what confirming would do with it; `reason` says why it is skipped."""

    line: int
    status: str = ERROR
    reason: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def count_statuses(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """Return how many rows have each status (every status present, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for verdict in verdicts:
        counts[verdict.status] += 1
    return counts


class ImportKind(ABC, Generic[T]):
    """One kind of import into a target object of type T (an event for paper sign-in sheets)."""

    name: ClassVar[str]  # stored in ImportPreview.kind
    label: ClassVar[str]  # Chinese, for pages and messages

    @abstractmethod
    def check_allowed(self, target: T, by: User) -> None:
        """Raise OperationError unless `by` may import into the target now."""

    @abstractmethod
    def parse(self, data: bytes) -> list[dict[str, Any]]:
        """Read the uploaded bytes into JSON-ready rows (each with its "line"); raise ImportFileError."""

    @abstractmethod
    def classify(self, target: T, rows: Sequence[dict[str, Any]]) -> list[Verdict]:
        """Judge every row against the database as it is now; write nothing."""

    @abstractmethod
    def apply(self, target: T, verdicts: Sequence[Verdict], *, by: User) -> int:
        """Write the NEW rows through the domain's operations; return how many were added.

        Raise OperationError (naming the line) to refuse the whole import: the caller rolls back.
        """


_KINDS: dict[str, ImportKind[Any]] = {}


def register(kind: ImportKind[T]) -> ImportKind[T]:
    """Make a kind known under its name (each kind module registers itself on import)."""
    if kind.name in _KINDS and type(_KINDS[kind.name]) is not type(kind):
        raise ValueError(f"import kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ImportKind[Any]:
    """Return the registered kind called `name` (KeyError if unknown)."""
    return _KINDS[name]
