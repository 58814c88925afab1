"""Creating and editing programs with targets through the pages."""
from __future__ import annotations

from sqlalchemy import func, select

from eventsvc.programs.models import ATTENDANCES, CUSTOM, SESSIONS, Program
from eventsvc.programs.operations import TargetSpec


def _target_fields(rows: list[dict]) -> dict[str, str]:
    data: dict[str, str] = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"targets-{i}-{key}"] = str(value)
    return data


def _program_data(tree, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "year": "2026", "name": "夏送清凉", "category": "关爱服务", "plan_item": "12",
        "description": "为户外劳动者送清凉。\n覆盖全区。", "starts_on": "2026-06-01", "ends_on": "2026-09-30",
        "organization_id": str(tree["root"].id),
    }
    data.update(overrides)
    return data


def _stored_targets(program: Program) -> set[tuple]:
    return {(t.metric, t.value, t.label, t.unit, t.level, t.organization_id) for t in program.targets}


def test_create_form_shows_blank_target_rows_and_defaults(tree, login, departments):
    client = login(tree["org_a"])
    html = client.get("/programs/new").get_data(as_text=True)
    assert "新建活动项目" in html
    assert 'name="targets-2-value"' in html and 'name="targets-3-value"' not in html  # three blank rows
    assert "添加一行" in html and "program-form.js" in html
    assert f'<option selected value="{tree["a"].id}">' in html  # the user's own organization by default
    assert "办公室" in html and "权益保障部" in html
    # A street user may only choose organizations within the street.
    assert "坂田街道总工会" not in html


def test_create_program_with_targets_shares_and_levels(db, tree, login, departments):
    office, rights = departments
    client = login(tree["admin"])
    data = _program_data(tree, lead_department_ids=[str(office.id), str(rights.id)],
                         participating_org_ids=[str(tree["a"].id), str(tree["b"].id)])
    data.update(_target_fields([
        {"metric": SESSIONS, "value": "600"},
        {"metric": ATTENDANCES, "value": "90000"},
        {"metric": CUSTOM, "value": "20000", "label": "清凉礼包", "unit": "份"},
        {"metric": SESSIONS, "value": "10", "organization_id": tree["a"].id},
        {"metric": SESSIONS, "value": "1", "level": "市级"},
        {"metric": SESSIONS, "value": ""},  # blank rows are ignored
        {"metric": CUSTOM, "value": " "},
    ]))
    resp = client.post("/programs/new", data=data)
    assert resp.status_code == 302
    program = db.session.scalar(select(Program).where(Program.name == "夏送清凉"))
    assert resp.headers["Location"].endswith(f"/programs/{program.id}")
    assert (program.year, program.category, program.plan_item) == (2026, "关爱服务", "12")
    assert str(program.starts_on) == "2026-06-01" and str(program.ends_on) == "2026-09-30"
    assert program.organization_id == tree["root"].id
    assert {o.id for o in program.lead_departments} == {office.id, rights.id}
    assert {o.id for o in program.participating_orgs} == {tree["a"].id, tree["b"].id}
    assert _stored_targets(program) == {
        (SESSIONS, 600, "", "", "", None),
        (ATTENDANCES, 90000, "", "", "", None),
        (CUSTOM, 20000, "清凉礼包", "份", "", None),
        (SESSIONS, 10, "", "", "", tree["a"].id),
        (SESSIONS, 1, "", "", "市级", None),
    }
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已创建项目“夏送清凉”" in page


def test_invalid_input_rerenders_with_messages_and_keeps_everything(db, tree, login, departments):
    office, _ = departments
    client = login(tree["admin"])
    data = _program_data(tree, name="", description="保留这段说明", lead_department_ids=[str(office.id)])
    data.update(_target_fields([
        {"metric": SESSIONS, "value": "abc"},
        {"metric": CUSTOM, "value": "500", "label": "矿泉水", "unit": ""},
        {"metric": ATTENDANCES, "value": "30", "level": "区级"},
        {"metric": ATTENDANCES, "value": "100"},
    ]))
    resp = client.post("/programs/new", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "请填写项目名称" in html
    assert "目标数值请填写正整数" in html
    assert "自定义目标需要填写名称和单位" in html
    assert "只有场次目标可以按级别设置" in html
    # What was typed comes back.
    assert "保留这段说明" in html and 'value="abc"' in html and 'value="矿泉水"' in html and 'value="100"' in html
    assert f'checked id="lead_department_ids-0" name="lead_department_ids" type="checkbox" value="{office.id}"' in html
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_operation_refusals_show_beside_fields_and_store_nothing(db, tree, login):
    client = login(tree["admin"])
    data = _program_data(tree, starts_on="2026-09-01", ends_on="2026-06-01")
    data.update(_target_fields([{"metric": SESSIONS, "value": "5"}]))
    html = client.post("/programs/new", data=data).get_data(as_text=True)
    assert "结束日期不能早于开始日期" in html

    data = _program_data(tree)
    data.update(_target_fields([{"metric": SESSIONS, "value": "5"}, {"metric": SESSIONS, "value": "6"}]))
    resp = client.post("/programs/new", data=data)
    assert resp.status_code == 400
    assert "同一目标重复填写了两次" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_share_must_be_within_scope_and_owner_must_be_choosable(db, tree, login):
    client = login(tree["org_a"])
    data = _program_data(tree, organization_id=str(tree["a"].id))
    data.update(_target_fields([{"metric": SESSIONS, "value": "5", "organization_id": tree["b"].id}]))
    html = client.post("/programs/new", data=data).get_data(as_text=True)
    assert "分解组织无效或不在您的管理范围内" in html

    data = _program_data(tree, organization_id=str(tree["b"].id))
    resp = client.post("/programs/new", data=data)
    assert resp.status_code == 400 and "不是有效的选择" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_edit_shows_current_values_and_replaces_targets(db, tree, login, create_program, departments):
    office, rights = departments
    program = create_program(org=tree["a"], name="平湖普法宣传", targets=[
        TargetSpec(SESSIONS, 12), TargetSpec(CUSTOM, 300, label="法律咨询", unit="次"),
    ], lead_departments=[office])
    client = login(tree["org_a"])
    html = client.get(f"/programs/{program.id}/edit").get_data(as_text=True)
    assert 'value="平湖普法宣传"' in html and 'value="12"' in html and 'value="法律咨询"' in html
    assert 'name="targets-4-value"' in html and 'name="targets-5-value"' not in html  # 2 existing + 3 blank
    assert "创建后不可更改" in html

    data = _program_data(tree, name="平湖普法宣传月", organization_id="", lead_department_ids=[str(rights.id)])
    data.update(_target_fields([
        {"metric": SESSIONS, "value": "15"},
        {"metric": ATTENDANCES, "value": "800", "organization_id": tree["a_child"].id},
        {"metric": CUSTOM, "value": ""},
    ]))
    resp = client.post(f"/programs/{program.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.expire_all()
    program = db.session.get(Program, program.id)
    assert program.name == "平湖普法宣传月"
    assert program.organization_id == tree["a"].id  # the owner does not change on edit
    assert [o.id for o in program.lead_departments] == [rights.id]
    assert _stored_targets(program) == {(SESSIONS, 15, "", "", "", None),
                                        (ATTENDANCES, 800, "", "", "", tree["a_child"].id)}


def test_invalid_edit_keeps_stored_program(db, tree, login, create_program):
    program = create_program(org=tree["a"], name="原名称", targets=[TargetSpec(SESSIONS, 12)])
    client = login(tree["org_a"])
    data = _program_data(tree, name="新名称")
    data.update(_target_fields([{"metric": SESSIONS, "value": "-3"}]))
    resp = client.post(f"/programs/{program.id}/edit", data=data)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "目标数值请填写正整数" in html and 'value="新名称"' in html and 'value="-3"' in html
    db.session.expire_all()
    program = db.session.get(Program, program.id)
    assert program.name == "原名称" and _stored_targets(program) == {(SESSIONS, 12, "", "", "", None)}
