"""The audit log core: record() fills actor/object/unit, masks personal data, and the ORM refuses changes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, update

from eventsvc.audit.models import AuditEntry, AuditLogIsAppendOnly
from eventsvc.audit.operations import WorkerActor, changes_since, record, snapshot
from eventsvc.audit.queries import entries_in_scope, filter_entries
from eventsvc.orgs.models import DISTRICT, STREET


def test_record_names_actor_object_and_unit(db, create_org, create_user) -> None:  # type: ignore[no-untyped-def]
    root = create_org(kind=DISTRICT)
    street = create_org("平湖街道总工会", STREET, root)
    admin = create_user("admin", root, username="boss")
    entry = record(admin, "org.rename", street, summary="改名")
    db.session.commit()
    stored = db.session.get(AuditEntry, entry.id)
    assert (stored.actor_kind, stored.actor_id, stored.actor_name) == ("user", admin.id, "boss")
    assert (stored.object_type, stored.object_id, stored.organization_id) == ("organization", street.id, street.id)
    assert stored.actor_label == "boss"


def test_system_and_worker_actors(db, create_org) -> None:  # type: ignore[no-untyped-def]
    root = create_org(kind=DISTRICT)
    a = record(None, "seed.load", root)
    b = record(WorkerActor("ab12"), "registration.cancel", root)
    db.session.commit()
    assert (a.actor_kind, a.actor_label) == ("system", "系统")
    assert (b.actor_kind, b.device_hash, b.actor_label) == ("worker", "ab12", "职工自助")


def test_phone_numbers_and_passwords_are_masked_in_changes(db, create_org, create_user) -> None:  # type: ignore[no-untyped-def]
    root = create_org(kind=DISTRICT)
    user = create_user("organizer", root)
    person = SimpleNamespace(display_name="旧名字", phone="13900000000", password_hash="old")
    before = snapshot(person, ["display_name", "phone", "password_hash"])
    person.display_name, person.phone, person.password_hash = "新名字", "13812345678", "changed"
    diff = changes_since(before, person)
    entry = record(user, "user.update", user, changes=diff)
    db.session.commit()
    assert entry.changes["display_name"][1] == "新名字"
    assert entry.changes["phone"][1] == "138****5678"
    assert "13812345678" not in str(entry.changes)
    assert entry.changes.get("password_hash", ["***", "***"]) == ["***", "***"]


def test_orm_refuses_update_and_delete(db, create_org) -> None:  # type: ignore[no-untyped-def]
    root = create_org(kind=DISTRICT)
    entry = record(None, "seed.load", root, summary="原文")
    db.session.commit()
    entry.summary = "篡改"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditEntry).values(summary="x"))
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(AuditEntry))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.summary).where(AuditEntry.id == entry.id)) == "原文"


def test_scope_limits_a_street_to_its_subtree(db, create_org, create_user) -> None:  # type: ignore[no-untyped-def]
    root = create_org(kind=DISTRICT)
    pinghu = create_org("平湖街道总工会", STREET, root)
    bantian = create_org("坂田街道总工会", STREET, root)
    community = create_org("山厦社区工联会", "federation", pinghu)
    record(None, "x.one", pinghu)
    record(None, "x.two", bantian)
    record(None, "x.three", community)
    record(None, "x.root")
    db.session.commit()
    street_user = create_user("admin", pinghu)
    district_user = create_user("admin", root)
    # Only the "x." entries: creating units and users through their operations audits them too.
    seen = {e.action for e in db.session.scalars(filter_entries(entries_in_scope(street_user), action="x."))}
    assert seen == {"x.one", "x.three"}
    assert len(db.session.scalars(filter_entries(entries_in_scope(district_user), action="x.")).all()) == 4
    only = db.session.scalars(filter_entries(entries_in_scope(district_user), action="x.t")).all()
    assert {e.action for e in only} == {"x.two", "x.three"}
