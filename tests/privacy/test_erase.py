"""A person's data exported and erased on request by an administrator (PIPL, issue 8 §8)."""
from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlalchemy import func, select

from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.extensions import db
from eventsvc.privacy.operations import ANONYMOUS_NAME

PHONE = "13800138001"


def _setup(tree, create_event, create_participant, create_check_in):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"], title="夏送清凉进工地")
    person = create_participant("王师傅", PHONE, "中建三局", "建筑工人")
    create_check_in(event, person)
    return person.id


def test_admin_finds_exports_and_erases_a_person(client, login, tree, create_event, create_participant,
                                                 create_check_in):  # type: ignore[no-untyped-def]
    person_id = _setup(tree, create_event, create_participant, create_check_in)
    login(tree["admin"])
    page = client.post("/admin/privacy", data={"phone": PHONE}).get_data(as_text=True)
    assert "王师傅" in page and "中建三局" in page and "签到记录" in page

    resp = client.post(f"/admin/privacy/{person_id}/export", data={"format": "json"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("private")
    data = json.loads(resp.data)
    assert data["participant"]["phone"] == PHONE
    assert [c["event"] for c in data["check_ins"]] == ["夏送清凉进工地"]
    xlsx = client.post(f"/admin/privacy/{person_id}/export", data={"format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.data))
    assert ["姓名", "王师傅"] in [list(r) for r in book["个人信息"].iter_rows(values_only=True)]

    refused = client.post(f"/admin/privacy/{person_id}/erase", data={"reason": "本人电话申请"})
    assert refused.status_code == 400
    assert db.session.get(Participant, person_id).name == "王师傅"
    resp = client.post(f"/admin/privacy/{person_id}/erase", data={"confirm": "yes", "reason": "本人电话申请"},
                       follow_redirects=True)
    assert "已删除职工" in resp.get_data(as_text=True)

    db.session.expire_all()
    person = db.session.get(Participant, person_id)
    assert (person.name, person.workplace) == (ANONYMOUS_NAME, "")
    assert PHONE not in person.phone and person.anonymized_at is not None
    check_in = db.session.scalar(select(CheckIn))
    assert check_in.participant_id == person_id and check_in.name_given == "" and check_in.device_hash == ""
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1  # the attendance still counts
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("privacy.export") == 2 and "privacy.erase" in actions
    erase_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
    assert erase_entry.actor_id == tree["admin"].id and PHONE not in (erase_entry.summary or "")
    # The number is no longer found: nothing left to show.
    assert "没有找到" in client.post("/admin/privacy", data={"phone": PHONE}).get_data(as_text=True)


def test_only_district_admins_reach_the_page(client, login, tree, create_event, create_participant,
                                             create_check_in):  # type: ignore[no-untyped-def]
    person_id = _setup(tree, create_event, create_participant, create_check_in)
    for user in (tree["org_a"], tree["district_viewer"]):
        login(user)
        assert client.post("/admin/privacy", data={"phone": PHONE}).status_code == 403
        assert client.post(f"/admin/privacy/{person_id}/export", data={"format": "json"}).status_code == 403
        assert client.post(f"/admin/privacy/{person_id}/erase", data={"confirm": "yes"}).status_code == 403
    assert db.session.get(Participant, person_id).name == "王师傅"


def test_cli_export_and_erase(runner, tmp_path, tree, create_event, create_participant,
                              create_check_in):  # type: ignore[no-untyped-def]
    person_id = _setup(tree, create_event, create_participant, create_check_in)
    out = tmp_path / "person.json"
    result = runner.invoke(args=["privacy", "export", PHONE, "--by", "admin", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["participant"]["name"] == "王师傅"
    refused = runner.invoke(args=["privacy", "erase", PHONE, "--by", "org_a", "--yes"])
    assert refused.exit_code != 0 and "管理员" in refused.output
    result = runner.invoke(args=["privacy", "erase", PHONE, "--by", "admin", "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Participant, person_id).name == ANONYMOUS_NAME
