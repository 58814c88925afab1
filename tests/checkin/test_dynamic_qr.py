"""Dynamic QR against proxy check-in: fresh codes pass, old, forged or foreign codes do not."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.tokens import (
    DynamicCodeRefused,
    make_dynamic_code,
    verify_dynamic_code,
)
from eventsvc.extensions import db

EXPIRED_MSG = "二维码已过期，请重新扫描会场屏幕上的二维码。"
DETAILS = {"name": "代签测试", "phone": "13411112222", "workplace": "", "group": "外卖员", "consent": "y"}


def old_code(monkeypatch, event_code: str, seconds: int) -> str:  # type: ignore[no-untyped-def]
    """Return a genuine code as it was shown `seconds` ago."""
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - seconds)
        return make_dynamic_code(event_code)


def refused_code(event_code: str, token: str | None, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DynamicCodeRefused) as exc:
        verify_dynamic_code(event_code, token, **kw)
    return exc.value.code


# -- token level -----------------------------------------------------------------------------


def test_fresh_code_is_accepted_and_old_one_refused_with_the_message(app, monkeypatch):
    verify_dynamic_code("abc234defg", make_dynamic_code("abc234defg"))
    verify_dynamic_code("abc234defg", old_code(monkeypatch, "abc234defg", 50))  # within 60 s
    stale = old_code(monkeypatch, "abc234defg", 90)
    with pytest.raises(DynamicCodeRefused) as exc:
        verify_dynamic_code("abc234defg", stale)
    assert exc.value.code == "dynamic_expired" and exc.value.message == EXPIRED_MSG


def test_validity_follows_the_configuration(app, monkeypatch):
    app.config["DYNAMIC_QR_VALID_SECONDS"] = 20
    assert refused_code("abc234defg", old_code(monkeypatch, "abc234defg", 30)) == "dynamic_expired"
    verify_dynamic_code("abc234defg", old_code(monkeypatch, "abc234defg", 30), max_age=45)


def test_codes_cannot_be_forged_altered_or_moved_to_another_event(app):
    good = make_dynamic_code("abc234defg")
    value, stamp, sig = good.rsplit(".", 2)
    assert refused_code("abc234defg", None) == "dynamic_missing"
    assert refused_code("abc234defg", "abc234defg") == "dynamic_invalid"
    # Alter the signature's first character: the last one may only carry padding bits.
    altered = ("B" if sig[0] != "B" else "C") + sig[1:]
    assert refused_code("abc234defg", f"{value}.{stamp}.{altered}") == "dynamic_invalid"
    assert refused_code("zzz234defg", good) == "dynamic_invalid"  # genuine, but for another event
    assert refused_code("zzz234defg", f"zzz234defg.{stamp}.{sig}") == "dynamic_invalid"  # payload swapped
    # A later timestamp with the old signature (to extend a photo's life) does not verify either.
    later = TimestampSigner("x").get_timestamp() + 1
    from itsdangerous.encoding import base64_encode, int_to_bytes

    forged = f"{value}.{base64_encode(int_to_bytes(later)).decode()}.{sig}"
    assert refused_code("abc234defg", forged) == "dynamic_invalid"
    # Signed with another key (someone else's installation or a guessed secret).
    foreign = TimestampSigner("not-our-secret", salt="eventsvc.dynamic-qr").sign(b"abc234defg").decode()
    assert refused_code("abc234defg", foreign) == "dynamic_invalid"


# -- through the public URL ------------------------------------------------------------------


@pytest.fixture
def dynamic_event(app, create_event):  # type: ignore[no-untyped-def]
    if "checkin_public.self_check_in" not in app.view_functions:
        pytest.skip("public check-in view not present")
    return create_event(starts_in=timedelta(minutes=-10), qr_mode="dynamic")


def checkins() -> int:
    return db.session.scalar(select(func.count(CheckIn.id))) or 0


def test_public_page_accepts_a_fresh_code_and_checks_in(client, dynamic_event):
    token = make_dynamic_code(dynamic_event.code)
    page = client.get(f"/c/{dynamic_event.code}?t={token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="phone"' in html and "二维码已过期" not in html
    resp = client.post(f"/c/{dynamic_event.code}", data={**DETAILS, "t": token})
    assert resp.status_code in (302, 303) and checkins() == 1


def test_public_page_refuses_an_old_code_with_the_message(client, dynamic_event, monkeypatch):
    stale = old_code(monkeypatch, dynamic_event.code, 120)
    page = client.get(f"/c/{dynamic_event.code}?t={stale}")
    html = page.get_data(as_text=True)
    assert EXPIRED_MSG in html and 'name="phone"' not in html
    # A forwarded photo submitted straight away (no fresh page in this browser) stores nothing.
    client.post(f"/c/{dynamic_event.code}", data={**DETAILS, "t": stale})
    assert checkins() == 0


def test_public_page_refuses_missing_forged_and_foreign_codes(client, dynamic_event, create_event):
    other = create_event(starts_in=timedelta(minutes=-10), qr_mode="dynamic")
    good = make_dynamic_code(dynamic_event.code)
    cases = {
        "": "请扫描会场屏幕上的二维码",
        good[:-2] + ("xx" if not good.endswith("xx") else "yy"): "二维码无效",
        make_dynamic_code(other.code): "这不是本场活动的二维码",
    }
    for token, words in cases.items():
        html = client.get(f"/c/{dynamic_event.code}", query_string={"t": token} if token else {}).get_data(as_text=True)
        assert words in html and 'name="phone"' not in html, token
        client.post(f"/c/{dynamic_event.code}", data={**DETAILS, "t": token})
    assert checkins() == 0


def test_static_events_ignore_the_code(client, create_event, app):
    if "checkin_public.self_check_in" not in app.view_functions:
        pytest.skip("public check-in view not present")
    event = create_event(starts_in=timedelta(minutes=-10))
    html = client.get(f"/c/{event.code}?t=whatever").get_data(as_text=True)
    assert 'name="phone"' in html
