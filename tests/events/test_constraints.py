"""The database refuses status, method, role and kind values the code does not know."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from eventsvc.checkin.models import Registration
from eventsvc.core.tokens import random_token


@pytest.fixture
def rows(db, tree, create_event, create_check_in):  # type: ignore[no-untyped-def]
    """One row of every table with an enumerated column, by table name."""
    event = create_event(org=tree["a"])
    check_in = create_check_in(event)
    registration = Registration(event_id=event.id, participant_id=check_in.participant_id, token=random_token())
    db.session.add(registration)
    db.session.commit()
    return {"event": event.id, "check_in": check_in.id, "registration": registration.id,
            "organization": tree["a"].id, "user": tree["org_a"].id}


@pytest.mark.parametrize(("table", "column", "good"), [
    ("event", "status", "cancelled"),
    ("event", "registration_mode", "on"),
    ("event", "qr_mode", "dynamic"),
    ("check_in", "method", "manual"),
    ("registration", "status", "waitlisted"),
    ("organization", "kind", "federation"),
    ("user", "role", "viewer"),
])
def test_database_refuses_an_unknown_value(db, rows, table, column, good):
    update = text(f'UPDATE "{table}" SET {column} = :value WHERE id = :id')
    db.session.execute(update, {"value": good, "id": rows[table]})  # a known value passes
    with pytest.raises(IntegrityError):
        db.session.execute(update, {"value": "bogus", "id": rows[table]})
    db.session.rollback()
    stored = db.session.scalar(text(f'SELECT {column} FROM "{table}" WHERE id = :id'), {"id": rows[table]})
    assert stored != "bogus"
