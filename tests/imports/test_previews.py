"""Import previews live in the database, belong to their creator, expire, and confirm all rows or none."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from eventsvc.checkin.models import Participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.timeutil import utcnow
from eventsvc.extensions import db
from eventsvc.imports import roster
from eventsvc.imports.models import ImportPreview
from tests.imports.sheets import check_in_count, confirm, filled_template, token_of, upload

FIVE_ROWS = [[f"职工{n}", f"1380000{n:04d}", "", "", None] for n in range(5)]


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) or 0 for t in db.metadata.sorted_tables}


def _previews() -> list[ImportPreview]:
    db.session.expire_all()
    return list(db.session.scalars(select(ImportPreview).order_by(ImportPreview.id)))


def _imported_people() -> int:
    return db.session.scalar(select(func.count(Participant.id)).where(Participant.phone.like("1380000%"))) or 0


def _preview_token(client, event, rows: list[list[Any]] = FIVE_ROWS) -> str:  # type: ignore[no-untyped-def]
    resp = upload(client, event, filled_template(client, event, rows))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return token_of(resp.get_data(as_text=True))


def test_preview_is_one_database_row_and_nothing_else_is_written(client, login, tree, street_event):
    event = street_event(people=1)
    login(tree["org_a"])
    sheet = filled_template(client, event, FIVE_ROWS)
    before = _row_counts()
    token = token_of(upload(client, event, sheet).get_data(as_text=True))
    after = _row_counts()
    assert after.pop("import_preview") == before.pop("import_preview") + 1
    assert after == before  # no participant, check-in or anything else yet

    (record,) = _previews()
    assert (record.token, record.kind, record.object_id) == (token, "checkins", event.id)
    assert record.created_by_id == tree["org_a"].id and record.filename == "签到表.xlsx"
    assert [r["phone"] for r in record.payload["rows"]] == [row[1] for row in FIVE_ROWS]
    assert timedelta(hours=23) < record.expires_at - utcnow() <= timedelta(hours=24)


def test_a_row_refused_at_confirm_leaves_nothing_written(client, login, tree, street_event, monkeypatch):
    event = street_event(people=0)
    login(tree["org_a"])
    token = _preview_token(client, event)
    real_check_in = roster.check_in
    calls = {"n": 0}

    def refuse_the_fourth(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OperationError("本场活动已取消，不能签到。", code="cancelled")
        return real_check_in(*args, **kwargs)

    monkeypatch.setattr(roster, "check_in", refuse_the_fourth)
    page = confirm(client, event, token).get_data(as_text=True)
    assert "第 5 行：本场活动已取消，不能签到。没有导入任何记录。" in page
    db.session.remove()
    assert check_in_count(event) == 0 and _imported_people() == 0
    assert len(_previews()) == 1  # kept for a retry

    monkeypatch.setattr(roster, "check_in", real_check_in)
    assert "已导入 5 条签到记录" in confirm(client, event, token).get_data(as_text=True)
    assert check_in_count(event) == 5 and _previews() == []


def test_a_database_failure_at_confirm_leaves_nothing_written(client, login, tree, street_event, monkeypatch):
    event = street_event(people=0)
    login(tree["org_a"])
    token = _preview_token(client, event)
    real_check_in = roster.check_in
    calls = {"n": 0}

    def failing_check_in(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OperationalError("INSERT INTO check_in", {}, Exception("disk I/O error"))
        return real_check_in(*args, **kwargs)

    monkeypatch.setattr(roster, "check_in", failing_check_in)
    assert "导入失败，没有写入任何记录" in confirm(client, event, token).get_data(as_text=True)
    db.session.remove()
    assert check_in_count(event) == 0 and _imported_people() == 0

    monkeypatch.setattr(roster, "check_in", real_check_in)  # the preview survives: retry works
    confirm(client, event, token)
    assert check_in_count(event) == 5


@pytest.mark.parametrize("intruder", ["same_street_organizer", "admin"])
def test_only_its_creator_can_confirm_a_preview(client, login, tree, street_event, create_user, intruder):
    event = street_event(people=0)
    login(tree["org_a"])
    token = _preview_token(client, event)
    other = create_user("organizer", tree["a"]) if intruder == "same_street_organizer" else tree[intruder]
    login(other)
    assert "导入预览已失效" in confirm(client, event, token).get_data(as_text=True)
    assert check_in_count(event) == 0 and len(_previews()) == 1

    login(tree["org_a"])
    assert "已导入 5 条签到记录" in confirm(client, event, token).get_data(as_text=True)


def test_a_preview_only_confirms_into_its_own_event(client, login, tree, street_event):
    event, other_event = street_event(people=0), street_event(people=0, title="坂田快递驿站服务日")
    login(tree["org_a"])
    token = _preview_token(client, event)
    assert "导入预览已失效" in confirm(client, other_event, token).get_data(as_text=True)
    assert check_in_count(other_event) == 0 and check_in_count(event) == 0


def test_an_expired_preview_is_refused_and_purged(client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["org_a"])
    token = _preview_token(client, event)
    (record,) = _previews()
    record.expires_at = utcnow() - timedelta(minutes=1)  # a day has passed
    db.session.commit()
    assert "导入预览已失效" in confirm(client, event, token).get_data(as_text=True)
    assert check_in_count(event) == 0 and _imported_people() == 0
    assert _previews() == []


def test_a_new_preview_purges_expired_ones_of_everyone(client, login, tree, street_event, create_user):
    event = street_event(people=0)
    login(create_user("organizer", tree["a"]))
    _preview_token(client, event)
    (stale,) = _previews()
    stale.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    login(tree["org_a"])
    token = _preview_token(client, event)
    assert [p.token for p in _previews()] == [token]


def test_purge_command_deletes_only_expired_previews(runner, client, login, tree, street_event):
    event = street_event(people=0)
    login(tree["org_a"])
    _preview_token(client, event)
    keep = _preview_token(client, event)
    first = _previews()[0]
    first.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = runner.invoke(args=["imports", "purge"])
    assert result.exit_code == 0, result.output
    assert "已删除 1 个过期的导入预览" in result.output
    assert [p.token for p in _previews()] == [keep]
