"""`flask audit export` prints JSON Lines; `flask audit purge` applies AUDIT_RETENTION_DAYS and refuses at 0."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.audit.operations import WorkerActor, record
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db

KEYS = {"at", "actor", "action", "object_type", "object_id", "organization", "summary"}


def test_export_prints_one_json_object_per_line(runner, tree) -> None:  # type: ignore[no-untyped-def]
    record(tree["org_a"], "event.publish", tree["a"], summary="发布“夏送清凉”")
    record(WorkerActor("d3v"), "registration.cancel", tree["a_child"], summary="取消报名")
    record(None, "program.create", tree["b"], summary="创建项目")
    db.session.commit()
    result = runner.invoke(args=["audit", "export"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    ours = [e for e in lines if e["action"] in ("event.publish", "registration.cancel", "program.create")]
    assert all(KEYS <= set(e) for e in lines)
    assert [(e["actor"], e["action"], e["organization"]) for e in ours] == [
        ("org_a", "event.publish", "平湖街道总工会"),
        ("worker:d3v", "registration.cancel", "平湖街道白坭坑社区工联会"),
        ("system", "program.create", "坂田街道总工会"),
    ]
    assert ours[0]["object_type"] == "organization" and ours[0]["object_id"] == tree["a"].id
    assert ours[0]["summary"] == "发布“夏送清凉”" and ours[0]["at"].endswith("Z")


def test_export_filters_by_action_prefix_and_day(runner, tree) -> None:  # type: ignore[no-untyped-def]
    db.session.add(AuditEntry(at=utcnow() - timedelta(days=10), action="event.cancel", summary="旧的"))
    record(None, "event.publish", tree["a"])
    record(None, "program.update", tree["a"])
    db.session.commit()
    out = runner.invoke(args=["audit", "export", "--action", "event."]).output
    assert {json.loads(line)["action"] for line in out.splitlines()} == {"event.cancel", "event.publish"}
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d")
    out = runner.invoke(args=["audit", "export", "--action", "event.", "--since", since]).output
    assert [json.loads(line)["action"] for line in out.splitlines()] == ["event.publish"]
    bad = runner.invoke(args=["audit", "export", "--since", "01/02/2026"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_purge_refuses_without_retention_then_deletes_only_old_entries(runner, app, tree, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db.session.add(AuditEntry(at=utcnow() - timedelta(days=400), action="event.cancel", summary="很旧"))
    record(None, "event.publish", tree["a"], summary="新的")
    db.session.commit()
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    refused = runner.invoke(args=["audit", "purge"])
    assert refused.exit_code == 1 and "永久保留" in refused.output
    assert db.session.scalar(select(func.count(AuditEntry.id))) == total
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 365)
    done = runner.invoke(args=["audit", "purge"])
    assert done.exit_code == 0 and "已删除 1 条" in done.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == total - 1
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.summary == "很旧")) is None
