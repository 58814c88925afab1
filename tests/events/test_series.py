"""Series: completion from attendance at the threshold, certificates verified by QR, a series as one 项."""
from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.events.operations import cancel_event
from eventsvc.events.series_attendance import certificate_token, series_attendance
from eventsvc.events.series_operations import create_series, set_series_as_one, set_sessions
from eventsvc.extensions import db
from eventsvc.programs.models import SESSIONS
from eventsvc.programs.operations import TargetSpec
from eventsvc.progress.queries import totals_by_program


def _course(tree, create_program, create_event, sessions=5, threshold=80, **kw):  # type: ignore[no-untyped-def]
    program = create_program(org=tree["a"], year=2026, name="龙工夜校", targets=kw.pop("targets", None))
    events = [create_event(program=program, title=f"第{i}课") for i in range(1, sessions + 1)]
    series = create_series(program, tree["a"], by=None, title="电工技能提升班", threshold_percent=threshold,
                           hours=12, certificates_enabled=True, **kw)
    set_sessions(series, events, by=None)
    db.session.commit()
    return program, events, series


def test_completion_uses_the_threshold(app, tree, create_program, create_event, create_participant, create_check_in):
    program, events, series = _course(tree, create_program, create_event)
    full, four, three = (create_participant(name=n) for n in ("全勤", "四次", "三次"))
    for e in events:
        create_check_in(e, full)
    for e in events[:4]:
        create_check_in(e, four)
    for e in events[:3]:
        create_check_in(e, three)
    att = series_attendance(series)
    by_name = {p.name: p for p in att.people}
    assert (by_name["全勤"].completed, by_name["四次"].completed, by_name["三次"].completed) == (True, True, False)
    assert by_name["四次"].percent == 80.0
    # A cancelled session no longer counts toward the required share: 3 of 4 is 75 %, still short of 80 %.
    cancel_event(events[4], by=None)
    db.session.commit()
    assert not next(p for p in series_attendance(series).people if p.name == "三次").completed
    series.threshold_percent = 75
    assert next(p for p in series_attendance(series).people if p.name == "三次").completed


def test_series_pages_and_downloads(client, tree, login, create_program, create_event, create_participant,
                                    create_check_in):
    program, events, series = _course(tree, create_program, create_event)
    person = create_participant(name="张三")
    for e in events:
        create_check_in(e, person)
    c = login(tree["org_a"])
    page = c.get(f"/series/{series.id}").get_data(as_text=True)
    assert "张三" in page and "已结业" in page
    for url in (f"/series/{series.id}/attendance.pdf", f"/series/{series.id}/completion.pdf",
                f"/series/{series.id}/attendance.xlsx", f"/series/{series.id}/certificates/{person.id}.pdf"):
        got = c.get(url)
        assert got.status_code == 200 and len(got.data) > 500, url
    assert c.get(f"/series/{series.id}/certificates/999999.pdf").status_code == 404
    assert login(tree["org_b"]).get(f"/series/{series.id}").status_code == 404
    resp = login(tree["org_a"]).post(f"/programs/{program.id}/series/new", data={
        "organization_id": tree["a"].id, "title": "", "kind": "course", "threshold_percent": "80", "hours": "0"})
    assert resp.status_code == 400
    for typed in ("NaN", "sNaN", "Infinity"):  # Decimal reads them; a bound check on a NaN raised (a 500)
        resp = c.post(f"/programs/{program.id}/series/new", data={
            "organization_id": tree["a"].id, "title": "疗休养", "kind": "course", "threshold_percent": "80",
            "hours": typed})
        assert resp.status_code == 400, typed
    resp = c.post(f"/programs/{program.id}/series/new", data={
        "organization_id": tree["a"].id, "title": "疗休养第一批", "kind": "retreat", "threshold_percent": "100",
        "hours": "0"})
    assert resp.status_code == 302
    assert {"series.create", "series.sessions"} <= {a for (a,) in db.session.execute(select(AuditEntry.action))}


def test_certificate_qr_verifies_and_a_forged_one_is_refused(client, tree, login, create_program, create_event,
                                                             create_participant, create_check_in):
    _, events, series = _course(tree, create_program, create_event)
    person = create_participant(name="李四")
    for e in events:
        create_check_in(e, person)
    pdf = login(tree["org_a"]).get(f"/series/{series.id}/certificates/{person.id}.pdf").data
    image = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert codes, "no QR found on the certificate"
    url = codes[0].text
    path = url.split("://", 1)[1].split("/", 1)[1]
    client.post("/logout")
    genuine = client.get("/" + path)
    assert genuine.status_code == 200
    text = genuine.get_data(as_text=True)
    assert "证书有效" in text and "李四" in text and "电工技能提升班" in text
    token = path.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.get(f"/v/{forged}")
    assert refused.status_code == 404 and "证书无效" in refused.get_data(as_text=True)
    other = create_participant(name="王五")  # genuine signature, but this person never completed
    assert client.get(f"/v/{certificate_token(series, other.id)}").status_code == 404


def test_a_target_may_count_a_series_as_one_item(app, tree, create_program, create_event):
    program, events, series = _course(tree, create_program, create_event, sessions=4,
                                      targets=[TargetSpec(SESSIONS, 47)])
    create_event(program=program, title="单场活动")
    db.session.commit()
    target = program.targets[0]
    assert totals_by_program([program.id])[program.id].value_for(target) == 5  # 4 sessions + 1
    set_series_as_one(target, True, by=None)
    db.session.commit()
    assert totals_by_program([program.id])[program.id].value_for(target) == 2  # the series as 1 项 + 1
    drafts_only = create_series(program, tree["a"], by=None, title="未举办的系列")
    set_sessions(drafts_only, [create_event(program=program, publish=False)], by=None)
    db.session.commit()
    assert totals_by_program([program.id])[program.id].value_for(target) == 2  # nothing held: nothing counted
