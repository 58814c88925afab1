"""The public self check-in page: form, answers, remembered worker, refusals."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.checkin.models import SELF_SCAN, CheckIn, Participant
from eventsvc.checkin.operations import CheckInRefused
from eventsvc.checkin.public import views as public_views
from eventsvc.checkin.tokens import dump_person
from eventsvc.core.timeutil import fmt_local
from eventsvc.events.operations import cancel_event

ZHANG = {"name": "张三", "phone": "13812345678", "workplace": "美团配送龙岗站", "group": "外卖员",
         "consent": "y"}


def page_text(resp) -> str:  # type: ignore[no-untyped-def]
    """Return what a reader sees: the HTML without tags, whitespace collapsed."""
    html = resp.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(model.id))) or 0


def submit(client, event, data=None, follow=True):  # type: ignore[no-untyped-def]
    return client.post(f"/c/{event.code}", data=data if data is not None else ZHANG, follow_redirects=follow)


def test_form_shows_event_and_fields(client, create_event):
    event = create_event(title="新就业形态劳动者法律宣讲", venue_name="平湖暖蜂驿站", venue_address="平湖街道守珍街1号")
    resp = client.get(f"/c/{event.code}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    text = page_text(resp)
    for expected in ("新就业形态劳动者法律宣讲", "平湖暖蜂驿站", "平湖街道守珍街1号", event.organization.name,
                     fmt_local(event.starts_at, "%Y年%m月%d日 %H:%M"), "姓名", "手机号", "单位", "人群类别",
                     "外卖员", "家政服务员", "仅用于本次活动签到统计和工会服务"):
        assert expected in text
    assert re.search(r'<button type="submit"[^>]*>签到</button>', html)  # the one button posts the check-in
    assert f'action="/c/{event.code}"' in html
    assert 'type="tel"' in html and 'inputmode="numeric"' in html
    assert 'class="public"' in html
    assert "进度总览" not in html  # staff nav hidden
    assert resp.headers["Cache-Control"] == "no-store"


def test_first_check_in_stores_participant_and_self_check_in(client, db, create_event):
    event = create_event()
    resp = submit(client, event, follow=False)
    assert resp.status_code == 303
    assert f"/c/{event.code}/done?n=1." in resp.headers["Location"]  # the ordinal, signed for this check-in
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("evs_person="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and f"Max-Age={365 * 86400}" in cookie
    assert not [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]  # one cookie only

    done = client.get(resp.headers["Location"])
    text = page_text(done)
    assert done.status_code == 200
    assert "签到成功" in text and "您是本场第 1 位签到者" in text
    record = db.session.scalar(select(CheckIn))
    assert record.method == SELF_SCAN and record.by_user_id is None and record.event_id == event.id
    assert fmt_local(record.checked_in_at) in text
    person = db.session.scalar(select(Participant))
    assert (person.name, person.phone, person.workplace, person.group) == (
        "张三", "13812345678", "美团配送龙岗站", "外卖员")
    assert "138****5678" in text and "13812345678" not in text


def test_second_person_is_number_two(app, client, create_event):
    event = create_event()
    submit(client, event)
    other = app.test_client()
    text = page_text(submit(other, event, {"name": "李四", "phone": "13900139000", "workplace": "", "group": "",
                                           "consent": "y"}))
    assert "您是本场第 2 位签到者" in text


def test_refresh_of_done_page_stores_nothing_new(client, db, create_event):
    event = create_event()
    answer = submit(client, event, follow=False).headers["Location"]
    for _ in range(3):
        resp = client.get(answer)
        assert resp.status_code == 200 and "签到成功" in page_text(resp) and "第 1 位" in page_text(resp)
    assert count(db, CheckIn) == 1
    # Without the mark (or with one forged or made for another check-in) the page says 已签到 only.
    for url in (f"/c/{event.code}/done", answer.replace("n=1.", "n=2."), f"/c/{event.code}/done?n=1.0"):
        text = page_text(client.get(url))
        assert "您已于" in text and "签到成功" not in text


def test_done_page_without_a_check_in_goes_back_to_the_form(client, create_event):
    event = create_event()
    resp = client.get(f"/c/{event.code}/done")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/c/{event.code}")


def test_repeat_says_already_checked_in_and_stores_nothing(app, db, create_event):
    event = create_event()
    submit(app.test_client(), event)
    first = db.session.scalar(select(CheckIn))
    resp = submit(app.test_client(), event)  # a new phone, same person
    text = page_text(resp)
    assert resp.status_code == 200
    assert f"您已于 {fmt_local(first.checked_in_at, '%H:%M')} 签到" in text
    assert "签到成功" not in text and 'class="result warn"' in resp.get_data(as_text=True)
    assert count(db, CheckIn) == 1 and count(db, Participant) == 1


def test_repeat_from_the_same_phone_sets_no_cookie_and_still_says_already(client, db, create_event):
    event = create_event()
    assert "签到成功" in page_text(submit(client, event))
    resp = submit(client, event, follow=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{event.code}/done")
    assert resp.headers.getlist("Set-Cookie") == []  # no session, and the device cookie is not rewritten
    text = page_text(client.get(resp.headers["Location"]))
    assert "您已于" in text and "签到成功" not in text
    assert count(db, CheckIn) == 1


def test_repeat_after_closing_still_says_already(client, db, create_event, create_participant, create_check_in):
    event = create_event(starts_in=timedelta(hours=-5), hours=2)
    person = create_participant("张三", "13812345678")
    record = create_check_in(event, person)
    text = page_text(submit(client, event))
    assert f"您已于 {fmt_local(record.checked_in_at, '%H:%M')} 签到" in text
    assert count(db, CheckIn) == 1


def test_remembered_worker_checks_in_with_one_tap(client, db, create_event):
    first, second = create_event(), create_event()
    submit(client, first)
    resp = client.get(f"/c/{second.code}")
    html = resp.get_data(as_text=True)
    assert "张三 · 138****5678" in page_text(resp)
    assert 'name="phone"' not in html and 'name="quick"' in html
    assert "修改信息" in html and "不是本人" in html
    # Hidden fields are not trusted: a posted phone is ignored, the cookie's phone is used.
    text = page_text(client.post(f"/c/{second.code}", data={"quick": "1", "phone": "13900139000", "name": "王五"},
                                 follow_redirects=True))
    assert "签到成功" in text
    phone = db.session.scalar(select(Participant.phone).join(CheckIn).where(CheckIn.event_id == second.id))
    assert phone == "13812345678"
    assert count(db, Participant) == 1


def test_remembered_worker_sees_already_on_opening_the_page(client, db, create_event):
    event = create_event()
    submit(client, event)
    record = db.session.scalar(select(CheckIn))
    text = page_text(client.get(f"/c/{event.code}"))
    assert f"您已于 {fmt_local(record.checked_in_at, '%H:%M')} 签到" in text
    assert "张三 · 138****5678" in text and "签到成功" not in text


def test_edit_link_shows_full_form_prefilled(client, create_event):
    event = create_event()
    client.set_cookie("evs_person", _signed_cookie(client.application, ZHANG))
    html = client.get(f"/c/{event.code}?edit=1").get_data(as_text=True)
    assert 'name="phone"' in html and 'value="13812345678"' in html and 'value="张三"' in html
    blank = client.get(f"/c/{event.code}?new=1").get_data(as_text=True)
    assert 'name="phone"' in blank and 'value="张三"' not in blank


def _signed_cookie(app, details, secret=None):  # type: ignore[no-untyped-def]
    original = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = secret or original
    try:
        with app.test_request_context():
            return dump_person(details)
    finally:
        app.config["SECRET_KEY"] = original


@pytest.mark.parametrize("forged", ["garbage", "forged-by-other-secret"])
def test_forged_cookie_is_ignored(client, db, create_event, forged):
    event = create_event()
    value = _signed_cookie(client.application, ZHANG, secret="someone-else") if forged != "garbage" else "x.y.z"
    client.set_cookie("evs_person", value)
    html = client.get(f"/c/{event.code}").get_data(as_text=True)
    assert 'name="phone"' in html and "138****5678" not in html
    resp = client.post(f"/c/{event.code}", data={"quick": "1"}, follow_redirects=True)
    assert resp.status_code == 200 and "请填写您的信息后签到" in page_text(resp)
    assert count(db, CheckIn) == 0 and count(db, Participant) == 0


def test_cookie_is_refreshed_after_check_in(client, create_event):
    event = create_event()
    submit(client, event, {**ZHANG, "workplace": "顺丰速运"})
    other = create_event()
    text = page_text(client.get(f"/c/{other.code}"))
    assert "顺丰速运" in text


@pytest.mark.parametrize("case, expected", [
    ("not_open", "签到尚未开始"),
    ("closed", "签到已结束"),
    ("cancelled", "本场活动已取消"),
    ("draft", "本场活动尚未发布"),
])
def test_refusals_show_message_and_store_nothing(client, db, create_event, case, expected):
    kwargs = {"not_open": {"starts_in": timedelta(hours=3)}, "closed": {"starts_in": timedelta(hours=-5), "hours": 2},
              "draft": {"publish": False}}.get(case, {})
    event = create_event(title="夏送清凉慰问活动", **kwargs)
    if case == "cancelled":
        cancel_event(event, by=None, reason="台风")
        db.session.commit()
    for resp in (client.get(f"/c/{event.code}"), submit(client, event)):
        text = page_text(resp)
        assert resp.status_code == 200
        assert expected in text and "夏送清凉慰问活动" in text
        if case != "draft":
            assert fmt_local(event.starts_at, "%m月%d日 %H:%M") in text  # the message carries the event time
    assert count(db, CheckIn) == 0 and count(db, Participant) == 0


def test_registration_required_message_is_shown(client, db, create_event, monkeypatch):
    event = create_event()

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise CheckInRefused("本场活动需提前报名，凭报名电子票签到。", code="registration_required")

    monkeypatch.setattr(public_views, "check_in_typed", refuse)
    resp = submit(client, event)
    assert resp.status_code == 200 and "本场活动需提前报名" in page_text(resp)
    assert count(db, CheckIn) == 0


@pytest.mark.parametrize("path", ["/c/nosuchcode", "/c/nosuchcode/done", "/c/" + "x" * 40])
def test_unknown_code_is_a_friendly_404(client, app, path):
    for resp in (client.get(path), client.post(path, data=ZHANG)):
        assert resp.status_code in (404, 405)
        if resp.status_code == 404:
            assert "未找到该活动，请确认二维码是否正确" in page_text(resp)


@pytest.mark.parametrize("data, field_messages", [
    ({**ZHANG, "phone": "12345"}, ["请输入正确的 11 位手机号码"]),
    ({**ZHANG, "name": "  "}, ["请填写姓名"]),
    ({**ZHANG, "name": "", "phone": "0755-1234567"}, ["请填写姓名", "请输入正确的 11 位手机号码"]),
])
def test_invalid_input_rerenders_form_with_values_kept(client, db, create_event, data, field_messages):
    event = create_event()
    resp = submit(client, event, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for message in field_messages:
        assert f'<small class="error" role="alert">{message}</small>' in html
    assert 'value="美团配送龙岗站"' in html and 'value="外卖员" checked' in html
    if data["phone"] == "12345":
        assert 'value="12345"' in html and 'value="张三"' in html
    assert count(db, CheckIn) == 0 and count(db, Participant) == 0


def test_phone_is_normalized(client, db, create_event):
    event = create_event()
    text = page_text(submit(client, event, {**ZHANG, "phone": "+86 138-0013-8000"}))
    assert "签到成功" in text
    assert db.session.scalar(select(Participant.phone)) == "13800138000"


def test_uppercase_code_finds_the_event(client, create_event):
    event = create_event()
    assert client.get(f"/c/{event.code.upper()}").status_code == 200


def test_pages_render_with_registration_and_checkout_partials(client, create_event):
    """The pages include the registration and check-out partials; both render for events that use them."""
    event = create_event(registration_mode="on", checkout_enabled=True)
    assert client.get(f"/c/{event.code}").status_code == 200
    done = submit(client, event)
    assert done.status_code == 200 and "签到成功" in page_text(done)
    assert client.get(f"/c/{event.code}").status_code == 200


def test_the_device_cookie_is_decrypted_once_per_request(app, client, create_event, monkeypatch):  # type: ignore[no-untyped-def]
    from eventsvc.checkin.public import device as device_module

    event = create_event()
    submit(client, event)  # the phone now has a device cookie
    cookie = client.get_cookie("evs_person")
    assert cookie is not None
    calls: list[object] = []
    real = device_module.load_device
    monkeypatch.setattr(device_module, "load_device", lambda value: calls.append(value) or real(value))
    with app.test_request_context(f"/c/{event.code}", method="POST", headers={"Cookie": f"evs_person={cookie.value}"}):
        device_id = device_module.remembered_device_id()  # the rate limit's key
        assert device_id is not None and device_module.current_device().id == device_id
    assert len(calls) == 1
