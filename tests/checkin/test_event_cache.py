"""Events by code on the workers' pages come from a per-process cache that notices every change."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventsvc.checkin.event_cache import cached_event_by_code, forget_cached_events
from eventsvc.checkin.models import CheckIn
from eventsvc.events.operations import cancel_event, update_event
from tests.statements import seen_statements

PERSON = {"name": "张三", "phone": "13812345678", "workplace": "美团配送龙岗站", "group": "外卖员", "consent": "y"}


@pytest.fixture
def statements(db) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Collect the SQL statements run while the test body runs."""
    with seen_statements(db.engine) as seen:
        yield seen


def test_a_cached_event_costs_one_stamp_read(db, create_event, statements):  # type: ignore[no-untyped-def]
    forget_cached_events()
    event = create_event(title="法律宣讲")
    event_id, code = event.id, event.code
    db.session.expunge_all()
    assert cached_event_by_code(code).title == "法律宣讲"  # a miss: stamp, then the row
    db.session.remove()
    statements.clear()
    hit = cached_event_by_code(code)
    assert hit is not None and hit.id == event_id and hit.title == "法律宣讲" and hit in db.session
    event_reads = [s for s in statements if "FROM event" in s]
    assert len(event_reads) == 1 and event_reads[0].startswith("SELECT e.id, e.updated_at, o.updated_at")  # not the row
    assert hit.organization.name and not [s for s in statements if "FROM organization" in s]  # came along
    assert cached_event_by_code("nosuchcode") is None


def test_pages_see_a_change_at_once(db, client, create_event):  # type: ignore[no-untyped-def]
    forget_cached_events()
    event = create_event(title="旧标题")
    assert "旧标题" in client.get(f"/c/{event.code}").get_data(as_text=True)
    update_event(event, by=None, title="新标题")
    db.session.commit()
    assert "新标题" in client.get(f"/c/{event.code}").get_data(as_text=True)
    cancel_event(event, by=None, reason="台风")
    code = event.code
    db.session.commit()
    db.session.expunge_all()  # the page must learn the cancel from the database, not this session
    resp = client.post(f"/c/{code}", data=PERSON, follow_redirects=True)
    assert "已取消" in resp.get_data(as_text=True)
    assert db.session.query(CheckIn).count() == 0


def test_a_check_in_through_a_cached_event_is_stored(db, client, create_event):  # type: ignore[no-untyped-def]
    forget_cached_events()
    event = create_event()
    event_id, code = event.id, event.code
    client.get(f"/c/{code}")  # fills the cache
    db.session.expunge_all()
    resp = client.post(f"/c/{code}", data=PERSON, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "签到成功" in html and '<strong class="ordinal">1</strong>' in html
    stored = db.session.query(CheckIn).one()
    assert stored.event_id == event_id


def test_a_renamed_organizer_shows_at_once(db, client, create_event):  # type: ignore[no-untyped-def]
    from eventsvc.orgs.operations import update_organization

    forget_cached_events()
    event = create_event()
    code = event.code
    assert event.organization.name in client.get(f"/c/{code}").get_data(as_text=True)  # cached with its organizer
    update_organization(event.organization, by=None, name="改名后的主办单位")
    db.session.commit()
    db.session.expunge_all()
    assert "改名后的主办单位" in client.get(f"/c/{code}").get_data(as_text=True)


def test_the_scanner_event_by_id_is_cached_and_sees_a_change_at_once(db, tree, login, create_event, statements):  # type: ignore[no-untyped-def]
    from eventsvc.checkin.event_cache import cached_event
    from eventsvc.events.models import Event

    forget_cached_events()
    event = create_event(org=tree["a"], title="旧标题")
    event_id = event.id
    client = login(tree["checker_a"])
    assert "旧标题" in client.get(f"/events/{event_id}/scanner").get_data(as_text=True)  # fills the cache
    db.session.remove()
    statements.clear()
    hit = cached_event(event_id)
    assert hit is not None and hit.title == "旧标题" and hit in db.session and hit.organization.name
    assert [s for s in statements if "FROM event" in s] == [statements[0]]  # the stamp only
    assert cached_event(10**9) is None
    cancel_event(db.session.get(Event, event_id), by=None, reason="台风")
    db.session.commit()
    db.session.expunge_all()
    scan = {"scans": [{"client_scan_id": "a" * 16, "person": {"name": "张三", "phone": "13812345678"}}]}
    answer = client.post(f"/api/events/{event_id}/sync", json=scan).get_json()
    assert answer["results"][0]["outcome"] == "refused" and answer["results"][0]["code"] == "cancelled"


def test_a_repeat_check_in_and_its_answer_page_are_one_read_each(db, app, create_event, statements):  # type: ignore[no-untyped-def]
    """The event's stamp, the person and their check-in come in one read; a repeat writes nothing."""
    forget_cached_events()
    event = create_event()
    code = event.code
    phone = app.test_client()
    assert phone.post(f"/c/{code}", data=PERSON).status_code == 303  # the first check-in (and a warm cache)
    for typed in ("13812345678", "138 1234 5678", "+86 138-1234-5678"):  # the form normalizes; so does the read
        statements.clear()
        resp = phone.post(f"/c/{code}", data={**PERSON, "phone": typed})
        assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/c/{code}/done")
        assert len(statements) == 1 and statements[0].startswith("SELECT e.id, e.updated_at, o.updated_at, p.id")
    statements.clear()
    done = phone.get(f"/c/{code}/done")
    assert done.status_code == 200 and "您已于" in done.get_data(as_text=True)
    assert len(statements) == 1
    statements.clear()
    quick = phone.post(f"/c/{code}", data={"quick": "1"})  # the one-tap form: the phone the cookie remembers
    assert quick.status_code == 303 and quick.headers["Location"].endswith(f"/c/{code}/done")
    assert len(statements) == 1
    statements.clear()
    other = phone.post(f"/c/{code}", data={**PERSON, "phone": "139 0013 9000"})  # someone new from this phone
    assert other.status_code == 303 and "/done?n=2." in other.headers["Location"]
    assert statements[0].startswith("SELECT e.id, e.updated_at, o.updated_at, p.id")
    # Neither the person nor the device's count (held for review past the limit) is read a second time.
    assert [s.split()[0] for s in statements].count("SELECT") == 1
    assert db.session.query(CheckIn).count() == 2
