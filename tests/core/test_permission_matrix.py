"""Every staff endpoint, three ways: anonymous, another street's organizer, and a read-only viewer.

The endpoint list comes from the app's URL map, so a new staff route is covered the day it is added;
a new public route must be named in PUBLIC_ENDPOINTS on purpose.
"""
from __future__ import annotations

import pytest

from eventsvc import create_app
from eventsvc.checkin.models import Registration
from eventsvc.core.tokens import random_token
from eventsvc.extensions import db

PUBLIC_ENDPOINTS = {
    "static", "orgs.login",
    "checkin_public.self_check_in", "checkin_public.show_check_in_result", "checkin_public.self_check_out",
    "checkin_public.register", "checkin_public.view_ticket", "checkin_public.ticket_png",
    "checkin_public.cancel_registration_public",
}
# Endpoints about the user's own account, which every role may use.
OWN_ACCOUNT = {"orgs.logout", "orgs.edit_password"}
ID_ARGS = {"program_id", "event_id", "registration_id", "check_in_id"}


def _rules():  # type: ignore[no-untyped-def]
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith("static"):
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            rules.append(pytest.param(rule.rule, method, sorted(rule.arguments), id=f"{method} {rule.rule}"))
    return rules


RULES = _rules()


@pytest.fixture
def world(db, tree, create_program, create_event, create_check_in, create_user):  # type: ignore[no-untyped-def]
    """Street B's own program, an event of street B, a check-in and a registration there."""
    program_b = create_program(org=tree["b"], name="坂田街道自办项目")
    event_b = create_event(program_b, tree["b"])
    check_in_b = create_check_in(event_b)
    registration = Registration(event_id=event_b.id, participant_id=check_in_b.participant_id, token=random_token())
    db.session.add(registration)
    db.session.commit()
    return {
        "program_id": program_b.id, "event_id": event_b.id, "check_in_id": check_in_b.id,
        "registration_id": registration.id, "year": 2026, "code": event_b.code, "token": registration.token,
        "viewer_b": create_user("viewer", tree["b"], "viewer_b"),
    }


def _url(rule: str, args: list[str], world: dict) -> str | None:  # type: ignore[type-arg]
    url = rule
    for arg in args:
        if arg not in world:
            return None
        for pattern in (f"<int:{arg}>", f"<{arg}>", f"<string:{arg}>"):
            url = url.replace(pattern, str(world[arg]))
    return url


def _call(client, method: str, url: str):  # type: ignore[no-untyped-def]
    if method == "GET":
        return client.get(url)
    return client.post(url, data={}, headers={"X-Requested-With": "test"})


@pytest.mark.parametrize(("rule", "method", "args"), RULES)
def test_anonymous_is_sent_to_login(client, world, rule, method, args):  # type: ignore[no-untyped-def]
    url = _url(rule, args, world)
    if url is None:
        pytest.skip(f"no value for {args}")
    resp = _call(client, method, url)
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
    else:
        assert resp.status_code in (401, 403), (resp.status_code, resp.get_data(as_text=True)[:200])


@pytest.mark.parametrize(("rule", "method", "args"), [r for r in RULES if ID_ARGS & set(r.values[2])])
def test_other_street_gets_404_or_403(client, login, tree, world, rule, method, args):  # type: ignore[no-untyped-def]
    url = _url(rule, args, world)
    if url is None:
        pytest.skip(f"no value for {args}")
    login(tree["org_a"])
    resp = _call(client, method, url)
    assert resp.status_code in (403, 404), (resp.status_code, resp.get_data(as_text=True)[:300])


@pytest.mark.parametrize(("rule", "method", "args"), [r for r in RULES if r.values[1] == "POST"])
def test_viewer_cannot_change_anything(client, login, tree, world, rule, method, args):  # type: ignore[no-untyped-def]
    url = _url(rule, args, world)
    if url is None:
        pytest.skip(f"no value for {args}")
    endpoint = client.application.url_map.bind("localhost").match(url, method="POST")[0]
    if endpoint in OWN_ACCOUNT:
        pytest.skip("own account")
    login(world["viewer_b"])
    before = _snapshot()
    resp = _call(client, method, url)
    assert resp.status_code in (403, 404, 405) or (resp.status_code == 400 and endpoint.endswith("_json")), (
        resp.status_code, resp.get_data(as_text=True)[:300])
    assert _snapshot() == before


def _snapshot() -> tuple[object, ...]:
    """Counts of what staff can create, plus states they can change."""
    from sqlalchemy import func, select

    from eventsvc.models import (
        CheckIn,
        CheckInUndo,
        Event,
        Program,
        Registration,
        ScanRecord,
    )

    db.session.expire_all()
    counts = tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                   (CheckIn, CheckInUndo, Event, Program, Registration, ScanRecord))
    states = tuple(db.session.execute(select(Event.id, Event.status, Event.title).order_by(Event.id)).all())
    regs = tuple(db.session.execute(select(Registration.id, Registration.status).order_by(Registration.id)).all())
    return counts + states + regs
