"""Helpers for import tests: fill the template, upload, read the token, confirm, count."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn
from eventsvc.extensions import db


def filled_template(client, event, rows: list[list[Any]]) -> bytes:  # type: ignore[no-untyped-def]
    """Fill the downloaded template with rows, as staff would."""
    book = load_workbook(io.BytesIO(client.get(f"/events/{event.id}/import-template.xlsx").data))
    ws = book["签到名单"]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def upload(client, event, data: bytes, filename: str = "签到表.xlsx"):  # type: ignore[no-untyped-def]
    return client.post(f"/events/{event.id}/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def token_of(html: str) -> str:
    """Return the preview token the page's confirm form carries."""
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def confirm(client, event, token: str):  # type: ignore[no-untyped-def]
    return client.post(f"/events/{event.id}/import/confirm", data={"token": token}, follow_redirects=True)


def check_in_count(event) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)) or 0
