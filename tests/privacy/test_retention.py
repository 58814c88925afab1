"""Retention purge (PIPL, issue 8 §8): inactive people are anonymized, every count stays the same."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.core.phones import InvalidPhone, normalize_phone
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.privacy.operations import ANONYMOUS_NAME, placeholder_phone
from eventsvc.progress.queries import totals_by_program, totals_by_subtree

YEAR = timedelta(days=365)


@pytest.fixture
def history(tree, create_program, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    """Four years ago: 王 and 李 at two events of street A; last month: 张 there (active, kept)."""
    program = create_program(org=tree["root"], name="劳模工匠宣讲")
    old_a = create_event(program, tree["a"], starts_in=-4 * YEAR)
    old_b = create_event(program, tree["a_child"], starts_in=-4 * YEAR + timedelta(days=3))
    recent = create_event(program, tree["b"], starts_in=-timedelta(days=30))
    wang = create_participant("王师傅", "13800138001", "美团配送", "外卖员")
    li = create_participant("李师傅", "13800138002", "顺丰速运", "快递员")
    zhang = create_participant("张师傅", "13800138003", "滴滴出行", "网约车司机")
    for event, person in ((old_a, wang), (old_b, wang), (old_a, li), (old_a, zhang), (recent, zhang)):
        check_in = create_check_in(event, person)
        check_in.checked_in_at = event.starts_at + timedelta(minutes=5)
    long_ago = utcnow() - 4 * YEAR
    db.session.execute(update(Participant).where(Participant.id.in_([wang.id, li.id, zhang.id]))
                       .values(created_at=long_ago, updated_at=long_ago))
    db.session.commit()
    return {"program": program, "wang": wang.id, "li": li.id, "zhang": zhang.id}


def _figures(history: dict[str, Any], tree: dict[str, Any]) -> tuple[Any, ...]:
    db.session.expire_all()
    program_id = history["program"].id
    by_program = totals_by_program([program_id])[program_id]
    by_org = totals_by_subtree([tree["root"].id, tree["a"].id, tree["b"].id], program_ids=[program_id])
    return (
        (by_program.sessions, by_program.attendances, by_program.participants),
        {k: (v.sessions, v.attendances, v.participants) for k, v in by_org.items()},
        db.session.scalar(select(func.count(CheckIn.id))),
        db.session.scalar(select(func.count(Participant.id))),
    )


def _people() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Participant.id, Participant.name, Participant.phone, Participant.workplace).order_by(Participant.id))]


def test_purge_anonymizes_the_inactive_and_keeps_every_count(runner, tree, history, login, client):  # type: ignore[no-untyped-def]
    before = _figures(history, tree)
    assert before[0] == (3, 5, 3)
    login(tree["admin"])
    api = f"/api/programs/{history['program'].id}/progress"
    page_totals = client.get(api).get_json()["totals"]

    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "已匿名化 2 名" in result.output

    assert _figures(history, tree) == before
    assert client.get(api).get_json()["totals"] == page_totals
    people = {row[0]: row[1:] for row in _people()}
    for key in ("wang", "li"):
        name, phone, workplace = people[history[key]]
        assert (name, workplace) == (ANONYMOUS_NAME, "")
        assert phone == placeholder_phone(history[key])
        with pytest.raises(InvalidPhone):
            normalize_phone(phone)
    assert people[history["zhang"]] == ("张师傅", "13800138003", "滴滴出行")  # active last month: kept
    assert len({row[2] for row in _people()}) == 3  # placeholders stay unique
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.purge"))
    assert entry is not None and entry.actor_id is None
    # A second run finds nobody new.
    again = runner.invoke(args=["privacy", "purge"])
    assert "已匿名化 0 名" in again.output


def test_dry_run_shows_what_it_would_do_and_changes_nothing(runner, tree, history):  # type: ignore[no-untyped-def]
    before_people, before_figures = _people(), _figures(history, tree)
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "将匿名化 2 名" in result.output and "未做修改" in result.output
    assert _people() == before_people
    assert _figures(history, tree) == before_figures
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "privacy.purge")) == 0


def test_retention_period_comes_from_config(app, runner, tree, history):  # type: ignore[no-untyped-def]
    app.config["PRIVACY_RETENTION_DAYS"] = 5 * 365  # four years ago is still within five
    result = runner.invoke(args=["privacy", "purge"])
    assert "已匿名化 0 名" in result.output
    assert ("王师傅", "13800138001") in [row[1:3] for row in _people()]
    assert runner.invoke(args=["privacy", "purge", "--days", "0"]).exit_code != 0
