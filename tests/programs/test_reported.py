"""/programs/<id>/reports (issue 10 §3): units enter monthly figures; a unit above approves or rejects them."""
from __future__ import annotations

from datetime import date

from eventsvc.audit.models import AuditEntry
from eventsvc.programs.models import CUSTOM, KIND_RATE, KIND_REPORTED
from eventsvc.programs.operations import TargetSpec
from eventsvc.programs.reported_models import APPROVED, PENDING, REJECTED, ReportedFigure


def _program(create_program, tree):  # type: ignore[no-untyped-def]
    return create_program(org=tree["root"], name="新增建会", targets=[
        TargetSpec(CUSTOM, 1000, label="新增建会企业", unit="家", kind=KIND_REPORTED),
        TargetSpec(CUSTOM, 85, label="集体合同签订率", kind=KIND_RATE),
    ])


def test_street_reports_district_approves_and_the_figure_counts_only_then(db, tree, login, create_program):
    program = _program(create_program, tree)
    client = login(tree["org_a"])
    resp = client.post(f"/programs/{program.id}/reports", data={
        "label": "新增建会企业", "organization_id": tree["a"].id, "period": "2026-01", "value": "37",
        "note": "1月台账"})
    assert resp.status_code == 302
    figure = db.session.query(ReportedFigure).one()
    assert (figure.status, figure.value, figure.note) == (PENDING, 37, "1月台账")
    page = client.get(f"/programs/{program.id}").get_data(as_text=True)
    assert '<span class="done">0</span> / 1000 家' in page and "待审核</span> 37 家（1 条）" in page
    # A street never approves its own figure.
    assert client.post(f"/programs/{program.id}/reports/{figure.id}/approve").status_code == 403

    admin = login(tree["admin"])
    assert "审核通过" in admin.get(f"/programs/{program.id}/reports").get_data(as_text=True)
    assert admin.post(f"/programs/{program.id}/reports/{figure.id}/approve").status_code == 302
    db.session.refresh(figure)
    assert figure.status == APPROVED and figure.reviewed_by_id == tree["admin"].id
    page = admin.get(f"/programs/{program.id}").get_data(as_text=True)
    assert '<span class="done">37</span> / 1000 家' in page and "已审核</span> 37 家" in page
    dashboard = admin.get("/?year=2026").get_data(as_text=True)
    assert "已审核</span> 37 家" in dashboard and "待审核</span> 0 家（0 条）" in dashboard
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert "report.submit" in actions and "report.approve" in actions


def test_rejected_figure_goes_back_with_its_reason(db, tree, login, create_program):
    program = _program(create_program, tree)
    client = login(tree["org_a"])
    client.post(f"/programs/{program.id}/reports", data={
        "label": "集体合同签订率", "organization_id": tree["a"].id, "period": "2026-02",
        "numerator": "80", "denominator": "100"})
    figure = db.session.query(ReportedFigure).one()
    admin = login(tree["admin"])
    assert admin.post(f"/programs/{program.id}/reports/{figure.id}/reject", data={"reason": ""}).status_code == 400
    assert admin.post(f"/programs/{program.id}/reports/{figure.id}/reject",
                      data={"reason": "分母与建会台账不符"}).status_code == 302
    db.session.refresh(figure)
    assert figure.status == REJECTED
    html = login(tree["org_a"]).get(f"/programs/{program.id}/reports").get_data(as_text=True)
    assert "已退回" in html and "退回原因：分母与建会台账不符" in html
    assert "report.reject" in [e.action for e in db.session.query(AuditEntry)]


def test_units_report_only_within_their_scope_and_bad_input_is_refused(db, tree, login, create_program):
    program = _program(create_program, tree)
    client = login(tree["org_a"])
    base = {"label": "新增建会企业", "period": "2026-01", "value": "5"}
    assert client.post(f"/programs/{program.id}/reports", data={**base, "organization_id": tree["b"].id}
                       ).status_code == 400
    for bad in ({"value": "abc"}, {"period": "2026-13"}, {"period": "2025-12"}, {"label": "不存在"},
                {"organization_id": "x"}):
        resp = client.post(f"/programs/{program.id}/reports", data={**base, "organization_id": tree["a"].id, **bad})
        assert resp.status_code == 400, bad
    assert db.session.query(ReportedFigure).count() == 0
    # Street B's figures are invisible to street A, and a figure of B cannot be reviewed through A's scope.
    login(tree["admin"]).post(f"/programs/{program.id}/reports", data={**base, "organization_id": tree["b"].id})
    other = db.session.query(ReportedFigure).one()
    client = login(tree["org_a"])
    assert f'<td data-label="单位">{tree["b"].label}' not in client.get(f"/programs/{program.id}/reports").get_data(
        as_text=True)
    assert client.post(f"/programs/{program.id}/reports/{other.id}/approve").status_code == 404
    assert login(tree["viewer_a"]).post(f"/programs/{program.id}/reports", data=base).status_code == 403


def test_rate_shows_weighted_rate_with_both_numbers(db, tree, login, create_program):
    from eventsvc.programs.reported_operations import submit_figure

    program = _program(create_program, tree)
    submit_figure(program, tree["a"], by=None, label="集体合同签订率", period=date(2026, 1, 1), numerator=80,
                  denominator=100)
    submit_figure(program, tree["b"], by=None, label="集体合同签订率", period=date(2026, 1, 1), numerator=9,
                  denominator=10)
    db.session.commit()
    html = login(tree["admin"]).get(f"/programs/{program.id}").get_data(as_text=True)
    assert '<span class="done">80.9</span> / 85 %' in html
    assert "加权比率 80.9% = 89 / 110" in html and "95.2%" in html
