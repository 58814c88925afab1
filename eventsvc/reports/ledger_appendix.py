"""The ledger's optional appendix: each held event's 活动简报 page, in the ledger's order (issue 11)."""
from __future__ import annotations

from reportlab.platypus import Flowable, PageBreak
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.reports.brief_queries import load_event_brief
from eventsvc.reports.fonts import FontInfo, pdf_font
from eventsvc.reports.pdf_brief import brief_story
from eventsvc.reports.pdf_layout import Styles
from eventsvc.reports.records import LedgerData


def ledger_appendix(ledger: LedgerData, *, font: FontInfo | None = None) -> list[Flowable]:
    """Return the flowables of every held event's brief, each starting on a new page.

    The events are those the ledger already selected within the user's scope, so no other check is needed.
    """
    ids = [e.event_id for e in ledger.events if e.event_id]
    if not ids:
        return []
    styles = Styles(font or pdf_font())
    events = {e.id: e for e in db.session.scalars(
        select(Event).where(Event.id.in_(ids))
        .options(joinedload(Event.organization), joinedload(Event.co_organization), joinedload(Event.program),
                 selectinload(Event.quantities))
    ).unique()}
    story: list[Flowable] = []
    for event_id in ids:
        story.append(PageBreak())
        story += brief_story(load_event_brief(events[event_id]), styles)
    return story
