"""Large downloads without a list of rows in memory: rows fetched in batches, files spooled then sent.

A view builds the file into a spooled temporary file (in memory up to SPOOL_MAX_BYTES, then on disk) and
sends it with send_file, which streams it out in blocks and closes it when the response ends:

    return send_spooled(lambda out: write_ledger_xlsx(out, ledger, iter_program_check_ins(program, user)),
                        XLSX, filename, attachment=True)
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from flask import Response, send_file
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn
from eventsvc.core.timeutil import fmt_local
from eventsvc.extensions import db
from eventsvc.orgs.models import User
from eventsvc.programs.models import Program
from eventsvc.reports.queries import (
    event_header,
    program_check_ins_select,
    roster_select,
    to_program_check_in,
    to_roster_row,
)
from eventsvc.reports.records import ProgramCheckIn, RosterRow

BATCH = 2000  # rows per fetch: enough to amortize round trips, few enough to keep memory flat
SPOOL_MAX_BYTES = 8 * 1024 * 1024  # larger files go to a temporary file on disk


def iter_roster_rows(event_id: int, *, batch: int = BATCH) -> Iterator[RosterRow]:
    """Yield an event's roster lines in check-in order, fetched `batch` at a time."""
    result = db.session.execute(roster_select(event_id).execution_options(yield_per=batch))
    for line in result:
        yield to_roster_row(line)


def iter_program_check_ins(program: Program, user: User, *, batch: int = BATCH) -> Iterator[ProgramCheckIn]:
    """Yield a program's check-ins within the user's scope, as program_check_ins orders them."""
    stmt = program_check_ins_select(program, user).execution_options(yield_per=batch)
    for line in db.session.execute(stmt):
        yield to_program_check_in(line)


def roster_same_day(event_id: int, *, checkout: bool) -> bool:
    """Whether an event's check-in (and check-out) times fall on one China day: min and max decide it."""
    stmt = select(func.min(CheckIn.checked_in_at), func.max(CheckIn.checked_in_at),
                  func.min(CheckIn.checked_out_at), func.max(CheckIn.checked_out_at)).where(
        CheckIn.event_id == event_id)
    first_in, last_in, first_out, last_out = db.session.execute(stmt).one()
    moments = [m for m in (first_in, last_in) + ((first_out, last_out) if checkout else ()) if m is not None]
    return len({fmt_local(m, "%Y%m%d") for m in moments}) <= 1


def roster_pdf(event: Any, *, mask: bool = True) -> bytes:
    """Build an event's roster PDF from streamed rows (the view's one call)."""
    from eventsvc.reports.pdf_roster import build_roster_pdf  # reportlab: only for workers that build a roster

    header = event_header(event)
    return build_roster_pdf(header, iter_roster_rows(event.id), mask=mask,
                            same_day=roster_same_day(event.id, checkout=header.checkout_enabled))


def send_spooled(write: Callable[[IO[bytes]], None], mimetype: str, filename: str, *,
                 attachment: bool) -> Response:
    """Run `write` into a spooled temporary file and send it; personal data, so nothing caches it."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115  (send_file closes it)
    try:
        write(spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = send_file(spool, mimetype=mimetype, download_name=filename, as_attachment=attachment, max_age=0,
                         conditional=False)
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response
