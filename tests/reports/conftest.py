"""Helpers for report tests: PDF text, an event with check-ins."""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from eventsvc.extensions import db
from eventsvc.reports.fonts import reset_font_cache


@pytest.fixture
def fresh_fonts():  # type: ignore[no-untyped-def]
    """Forget the once-per-process font choice before and after a test that changes the search."""
    reset_font_cache()
    yield
    reset_font_cache()


def pdf_pages(data: bytes) -> list[str]:
    """Return the extracted text of every page."""
    assert data.startswith(b"%PDF"), data[:20]
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    """Return the text of the whole document, whitespace removed (CJK extraction spaces glyphs oddly)."""
    return "".join("".join(pdf_pages(data)).split())


@pytest.fixture
def street_event(tree, create_program, create_event, create_participant, create_check_in) -> Callable[..., Any]:
    """street_event(people=3): an event of street A under a district program, with check-ins."""

    def make(people: int = 3, **fields: Any) -> Any:
        program = create_program(org=tree["root"], name="新就业形态劳动者服务月")
        fields.setdefault("title", "平湖暖蜂驿站集中服务日")
        event = create_event(program, tree["a"], **fields)
        for n in range(people):
            person = create_participant(f"职工{n + 1:03d}", f"1381234{n:04d}", "美团平湖站", "外卖员")
            create_check_in(event, person)
        db.session.commit()
        return event

    return make
