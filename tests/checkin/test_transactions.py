"""A failed request leaves nothing behind: savepoints stay inside the request's transaction."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.checkin.operations import check_in, upsert_participant


def test_rollback_after_upsert_and_check_in_removes_everything(db, create_event, create_participant):
    event = create_event()
    create_participant()  # a committed row before: reads happen outside any transaction
    db.session.scalar(select(func.count(Participant.id)))
    person = upsert_participant("赵六", "13700137000", by=None)
    check_in(event, person, by=None, method="self")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Participant.id))) == 1
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0
