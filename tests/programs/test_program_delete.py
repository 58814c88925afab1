"""Deleting a program: a confirmation step, and refusal once events exist."""
from __future__ import annotations

from eventsvc.programs.models import Program


def test_delete_asks_for_confirmation_first(db, tree, login, create_program):
    program = create_program(org=tree["a"], name="待删除项目")
    client = login(tree["org_a"])
    page = client.get(f"/programs/{program.id}/delete").get_data(as_text=True)
    assert "确定要删除" in page and "待删除项目" in page and 'name="confirm"' in page

    resp = client.post(f"/programs/{program.id}/delete", data={})
    assert resp.status_code == 400
    assert "请勾选“我确认删除”后再提交" in resp.get_data(as_text=True)
    assert db.session.get(Program, program.id) is not None


def test_confirmed_delete_removes_program(db, tree, login, create_program):
    program = create_program(org=tree["a"], name="待删除项目")
    program_id = program.id
    client = login(tree["org_a"])
    resp = client.post(f"/programs/{program_id}/delete", data={"confirm": "yes"})
    assert resp.status_code == 302 and "/programs" in resp.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Program, program_id) is None
    assert "已删除项目“待删除项目”" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_delete_is_refused_when_events_exist(db, tree, login, create_program, create_event):
    program = create_program(org=tree["a"], name="已有活动的项目")
    create_event(program, tree["a"])
    client = login(tree["org_a"])
    assert "该项目下已有 1 场活动，不能删除" in client.get(f"/programs/{program.id}/delete").get_data(as_text=True)
    resp = client.post(f"/programs/{program.id}/delete", data={"confirm": "yes"})
    assert resp.status_code == 409
    assert "该项目下已有活动，不能删除" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Program, program.id) is not None


def test_changes_need_the_csrf_token(db, app, tree, login, create_program):
    import re

    from sqlalchemy import func, select

    program = create_program(org=tree["a"], name="受保护的项目")
    client = login(tree["org_a"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/programs/{program.id}/delete", data={"confirm": "yes"}).status_code == 400
        assert client.post("/programs/new", data={"year": "2026", "name": "伪造的项目",
                                                  "organization_id": str(tree["a"].id)}).status_code == 400
        assert db.session.scalar(select(func.count(Program.id))) == 1

        page = client.get(f"/programs/{program.id}/delete").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = client.post(f"/programs/{program.id}/delete", data={"confirm": "yes", "csrf_token": token})
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
