"""The empty check-in form is rendered once per state of the event and process; each phone gets its own token."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, template_rendered

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.public.helpers import forget_blank_forms
from eventsvc.events.operations import update_event
from eventsvc.orgs.operations import update_organization

PERSON = {"name": "张三", "phone": "13812345678", "workplace": "美团配送龙岗站", "group": "外卖员", "consent": "y"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def renders(app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered while the test runs."""
    seen: list[str] = []

    def note(_app: Flask, template: Any, context: dict[str, Any], **_extra: Any) -> None:
        seen.append(template.name)

    forget_blank_forms()
    template_rendered.connect(note, app)
    yield seen
    template_rendered.disconnect(note, app)


def _token(html: str) -> str:
    found = _TOKEN.findall(html)
    assert len(found) == 1
    return found[0]


def test_new_phones_share_one_render_and_keep_their_own_tokens(app, db, create_event, renders):  # type: ignore[no-untyped-def]
    event = create_event(title="法律宣讲进工地")
    phones = [app.test_client() for _ in range(3)]
    pages = [phone.get(f"/c/{event.code}").get_data(as_text=True) for phone in phones]
    assert renders.count("checkin/public_form.html") == 1  # the other two phones got the kept copy
    tokens = [_token(html) for html in pages]
    assert len(set(tokens)) == 3 and "form-token-" not in "".join(pages)
    assert pages[1] == pages[0].replace(tokens[0], tokens[1])  # nothing else differs
    assert "法律宣讲进工地" in pages[0]
    # Each phone's token is its own: it checks in with it, and not with another phone's.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert phones[0].post(f"/c/{event.code}", data={**PERSON, "csrf_token": tokens[1]}).status_code == 400
        for i, (phone, token) in enumerate(zip(phones, tokens, strict=True)):
            resp = phone.post(f"/c/{event.code}", data={**PERSON, "phone": f"1381234567{i}", "csrf_token": token})
            assert resp.status_code == 303
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.query(CheckIn).count() == 3


def test_a_change_to_the_event_its_organizer_or_the_notice_shows_at_once(app, db, create_event, renders):  # type: ignore[no-untyped-def]
    event = create_event(title="旧标题")
    code = event.code
    assert "旧标题" in app.test_client().get(f"/c/{code}").get_data(as_text=True)
    update_event(event, by=None, title="新标题")
    db.session.commit()
    assert "新标题" in app.test_client().get(f"/c/{code}").get_data(as_text=True)
    update_organization(event.organization, by=None, name="平湖街道总工会（新）")
    db.session.commit()
    assert "平湖街道总工会（新）" in app.test_client().get(f"/c/{code}").get_data(as_text=True)
    app.config["PRIVACY_NOTICE"] = "本次签到信息仅用于统计，保存一年。"
    try:
        assert "保存一年" in app.test_client().get(f"/c/{code}").get_data(as_text=True)
    finally:
        app.config.pop("PRIVACY_NOTICE")
    assert renders.count("checkin/public_form.html") == 4


def test_flashes_arguments_and_remembered_phones_get_their_own_page(app, client, create_event, renders):  # type: ignore[no-untyped-def]
    event = create_event()
    client.get(f"/c/{event.code}")
    with client.session_transaction() as sess:  # a message waiting for the next page travels in the session
        sess["_flashes"] = [("warning", "请重新填写手机号")]
    assert "请重新填写手机号" in client.get(f"/c/{event.code}").get_data(as_text=True)
    assert "请重新填写手机号" not in app.test_client().get(f"/c/{event.code}").get_data(as_text=True)
    other = app.test_client()
    assert other.get(f"/c/{event.code}?new=1").status_code == 200
    assert renders.count("checkin/public_form.html") == 3  # kept once, the flash page, the ?new=1 page
    assert other.post(f"/c/{event.code}", data={**PERSON, "csrf_token": _token(
        other.get(f"/c/{event.code}").get_data(as_text=True))}).status_code == 303
    quick = other.get(f"/c/{event.code}?edit=1").get_data(as_text=True)
    assert 'value="张三"' in quick  # the remembered details, not the empty copy
