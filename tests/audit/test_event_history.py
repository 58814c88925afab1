"""Issue 9: an event's history page (linked from the event page) lists what happened to the event itself
and to its check-ins and registrations; entries carry the event they belong to (audit_entry.event_id)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from eventsvc import create_app
from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.operations import check_in, register, undo_check_in, upsert_participant
from eventsvc.events.operations import cancel_event
from eventsvc.extensions import db
from tests.audit.test_undo_migration import _insert


def _actions(html: str) -> list[str]:
    return re.findall(r"<code>([a-z_]+\.[a-z_]+)</code>", html)


def test_event_history_lists_its_check_ins_registrations_and_undos(login, tree, create_program, create_event):
    program = create_program(org=tree["a"])
    event = create_event(program, tree["a"], title="平湖普法讲座", registration_mode="on")
    other = create_event(program, tree["a"], title="另一场")
    org_a = tree["org_a"]
    walk_in = check_in(event, upsert_participant("张三", "13700001111", by=org_a), by=org_a, method="manual")
    check_in(other, upsert_participant("李四", "13700002222", by=org_a), by=org_a, method="manual")
    register(event, {"name": "王五", "phone": "13700003333"}, by=org_a)
    db.session.commit()
    undo_check_in(walk_in.check_in, by=org_a, reason="点错了")
    cancel_event(event, by=org_a, reason="场地临时停用")
    db.session.commit()

    rows = db.session.execute(select(AuditEntry.action, AuditEntry.event_id)
                              .where(AuditEntry.action.in_(("checkin.create", "checkin.undo", "registration.create",
                                                             "event.cancel")))).all()
    assert sorted(rows) == sorted([("checkin.create", event.id), ("checkin.create", other.id),
                                   ("checkin.undo", event.id), ("registration.create", event.id),
                                   ("event.cancel", event.id)])

    client = login(tree["viewer_a"])  # anyone who may see the event may read its history
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"object_type=event&amp;object_id={event.id}" in page
    resp = client.get("/admin/audit", query_string={"object_type": "event", "object_id": event.id})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    actions = _actions(html)
    for expected in ("event.create", "event.publish", "checkin.create", "registration.create", "checkin.undo",
                     "event.cancel"):
        assert expected in actions, (expected, actions)
    assert actions.count("checkin.create") == 1  # the other event's check-in is not in this history
    assert "点错了" in html and "场地临时停用" in html
    assert "13700001111" not in html  # summaries stay masked


def test_event_history_of_another_street_is_404(login, tree, create_program, create_event):
    event = create_event(create_program(org=tree["b"]), tree["b"])
    resp = login(tree["org_a"]).get("/admin/audit", query_string={"object_type": "event", "object_id": event.id})
    assert resp.status_code == 404


def test_migration_fills_event_id_of_existing_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'history.sqlite3'}"})
    with app.app_context():
        upgrade(revision="a1c0c0a1c017")
        meta = sa.MetaData()
        meta.reflect(db.engine)
        with db.engine.begin() as conn:
            _insert(conn, meta, "organization", id=1, name="平湖街道总工会", parent_id=None)
            _insert(conn, meta, "program", id=1, organization_id=1, year=2026)
            _insert(conn, meta, "event", id=3, program_id=1, organization_id=1, code="abcd1234")
            _insert(conn, meta, "participant", id=1)
            _insert(conn, meta, "registration", id=5, event_id=3, participant_id=1, token="t5", status="registered")
            for entry_id, object_type, object_id, changes in (
                    (1, "event", 3, None), (2, "registration", 5, {"status": "registered"}),
                    (3, "check_in", None, {"event_id": 3, "participant_id": 1}),  # an undo: the row is gone
                    (4, "organization", 1, None)):
                _insert(conn, meta, "audit_entry", id=entry_id, actor_kind="system", action="x.y",
                        object_type=object_type, object_id=object_id, changes=changes)
        upgrade(revision="a1c0c0a1c018")
        with db.engine.connect() as conn:
            found = dict(conn.execute(sa.text("SELECT id, event_id FROM audit_entry")).all())
        assert found == {1: 3, 2: 3, 3: 3, 4: None}
        db.engine.dispose()
