"""Every staff endpoint, three ways: anonymous, another street's organizer, and a read-only viewer.

The endpoint list comes from the app's URL map, so a new staff route is covered the day it is added;
a new public route must be named in PUBLIC_ENDPOINTS on purpose.
"""
from __future__ import annotations

from datetime import date

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
    "checkin_verify.verify_phone", "checkin_verify.send_code", "checkin_verify.check_code",
    "stations_public.station_visit", "stations_public.visit_done", "series.verify",
    "notices.stop_reminders",  # the signed stop-reminders link in an SMS
}
# Endpoints about the user's own account, which every role may use.
OWN_ACCOUNT = {"orgs.logout", "orgs.edit_password"}
# Every id a staff URL may carry: each names an object of street B (or the district) in `world`.
ID_ARGS = {"program_id", "event_id", "registration_id", "check_in_id", "figure_id", "org_id", "user_id",
           "alias_id", "participant_id", "attachment_id", "station_id", "series_id", "target_id"}


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
    """Street B's own program (with a figure waiting for review), an event of street B with a check-in, a
    registration and an attachment; a user and a unit alias of street B; and a street-A administrator."""
    from eventsvc.imports.plan_aliases import add_alias
    from eventsvc.programs.models import ATTENDANCES, CUSTOM, KIND_REPORTED, SESSIONS
    from eventsvc.programs.operations import TargetSpec
    from eventsvc.programs.reported_operations import submit_figure

    program_b = create_program(org=tree["b"], name="坂田街道自办项目", targets=[
        TargetSpec(SESSIONS, 10), TargetSpec(ATTENDANCES, 100),
        TargetSpec(CUSTOM, 10, label="新增建会企业", unit="家", kind=KIND_REPORTED)])
    event_b = create_event(program_b, tree["b"])
    check_in_b = create_check_in(event_b)
    registration = Registration(event_id=event_b.id, participant_id=check_in_b.participant_id, token=random_token())
    db.session.add(registration)
    viewer_b = create_user("viewer", tree["b"], "viewer_b")
    figure = submit_figure(program_b, tree["b"], by=tree["org_b"], label="新增建会企业",
                           period=date(2026, 1, 1), value=3)
    alias = add_alias("坂田总工会", tree["b"], by=None)
    db.session.commit()
    return {
        "program_id": program_b.id, "event_id": event_b.id, "check_in_id": check_in_b.id,
        "registration_id": registration.id, "year": 2026, "code": event_b.code, "token": registration.token,
        "figure_id": figure.id, "org_id": tree["b"].id, "user_id": tree["org_b"].id, "alias_id": alias.id,
        "participant_id": check_in_b.participant_id,
        "viewer_b": viewer_b, "admin_a": create_user("admin", tree["a"], "admin_a"),
        **_evidence(event_b.id),
        **_station_and_series(tree["b"], program_b, event_b),
    }


def _station_and_series(org, program, event) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A station and a series (with the event as its session) of street B, and one of its program's targets."""
    from eventsvc.events.series_operations import create_series, set_sessions
    from eventsvc.stations.operations import create_station

    station = create_station(org, by=None, name="坂田暖蜂驿站")
    series = create_series(program, org, by=None, title="坂田夜校", certificates_enabled=True)
    set_sessions(series, [event], by=None)
    db.session.commit()
    return {"station_id": station.id, "series_id": series.id, "target_id": program.targets[0].id}


def _evidence(event_id: int) -> dict[str, int]:
    """An attachment of street B's event, once event evidence (issue 11) is in the tree."""
    try:
        from eventsvc.events.evidence_models import EventAttachment
    except ImportError:  # no attachment routes either
        return {}
    attachment = EventAttachment(event_id=event_id, kind="photo", storage_key="matrix/photo.jpg",
                                 content_type="image/jpeg", original_name="现场.jpg", size=1)
    db.session.add(attachment)
    db.session.commit()
    return {"attachment_id": attachment.id}


def _url(rule: str, args: list[str], world: dict) -> str:  # type: ignore[type-arg]
    """Fill the rule's arguments from `world`; an argument it has no value for fails the test, so a new
    route with a new kind of id cannot go unprobed (add a street-B object for it to `world`)."""
    url = rule
    for arg in args:
        assert arg in world, f"no value for <{arg}> in {rule}: add one to the world fixture"
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
    resp = _call(client, method, url)
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
    else:
        assert resp.status_code in (401, 403), (resp.status_code, resp.get_data(as_text=True)[:200])


@pytest.mark.parametrize("who", ["org_a", "admin_a"])
@pytest.mark.parametrize(("rule", "method", "args"), [r for r in RULES if ID_ARGS & set(r.values[2])])
def test_other_street_gets_404_or_403(client, login, tree, world, rule, method, args, who):  # type: ignore[no-untyped-def]
    """Street A's organizer, and street A's administrator (delegated administration, issue 9), reach
    nothing of street B's; a POST changes nothing."""
    url = _url(rule, args, world)
    login(world[who] if who in world else tree[who])
    before = _snapshot()
    resp = _call(client, method, url)
    assert resp.status_code in (403, 404), (resp.status_code, resp.get_data(as_text=True)[:300])
    assert _snapshot() == before


@pytest.mark.parametrize(("rule", "method", "args"), [r for r in RULES if r.values[1] == "POST"])
def test_viewer_cannot_change_anything(client, login, tree, world, rule, method, args):  # type: ignore[no-untyped-def]
    url = _url(rule, args, world)
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
    """Every row of every table: whatever a refused request might have written shows up."""
    from sqlalchemy import select

    db.session.expire_all()
    return tuple(tuple(sorted(map(repr, db.session.execute(select(table)).all())))
                 for table in db.metadata.sorted_tables)


# --- Who may do what (issue 8 §6): roles × scopes × actions ----------------------------------------
# The intended table, also in README ("Permissions"). "own" = the user's own unit (for streets, its subtree).
# Department organizers read everything and manage only their own unit's programs/events and the
# programs they lead; an event stays its owning unit's to change even under a department's program.
# Rows: (who, action on street B's objects, allowed)
DEPT_TABLE = [
    ("dept_org", "read event page", True),
    ("dept_org", "cancel street event", False),
    ("dept_org", "edit street event", False),
    ("dept_org", "walk-in at street event", False),
    ("dept_org", "undo street check-in", False),
    ("dept_org", "cancel street registration", False),
    ("dept_org", "edit street program", False),
    ("dept_org", "edit other department's program", False),
    ("dept_org", "edit led program", True),
    ("dept_org", "edit street event under led program", False),
    ("dept_org", "full phones of street event", False),
    ("org_b", "full phones of street event", True),
    ("admin", "cancel street event", True),
    ("admin", "full phones of street event", True),
    ("org_b", "edit street event under led program", True),
]


@pytest.fixture
def depts(world, tree, create_org, create_user, create_program, create_event):  # type: ignore[no-untyped-def]
    """Two departments, one organizer in 宣教服务部; a district program led by each; a street-B event under one."""
    from eventsvc.orgs.models import DEPARTMENT

    xuanjiao = create_org("宣教服务部", DEPARTMENT, tree["root"])
    quanyi = create_org("权益保障部", DEPARTMENT, tree["root"])
    led = create_program(org=tree["root"], name="劳模工匠宣讲", lead_departments=[xuanjiao])
    other = create_program(org=tree["root"], name="普法宣传", lead_departments=[quanyi])
    event_under_led = create_event(led, tree["b"])
    return {"dept_org": create_user("organizer", xuanjiao, "xj_org"), "led": led.id, "other": other.id,
            "event_under_led": event_under_led.id}


def _program_form(program_id: int) -> dict[str, str]:
    from eventsvc.programs.models import Program

    program = db.session.get(Program, program_id)
    assert program is not None
    return {"year": str(program.year), "name": program.name + "（改）", "category": "",
            "lead_department_ids": [str(o.id) for o in program.lead_departments]}  # type: ignore[dict-item]


def _attempt(client, action: str, world: dict, depts: dict):  # type: ignore[no-untyped-def,type-arg]
    """Do the action as the logged-in user; return (status, changed?)."""
    from eventsvc.checkin.models import CheckIn, Registration
    from eventsvc.events.models import Event
    from eventsvc.programs.models import Program

    def state() -> tuple[object, ...]:
        db.session.expire_all()
        return (
            tuple(db.session.execute(select(Event.id, Event.status, Event.title).order_by(Event.id)).all()),
            tuple(db.session.execute(select(Program.id, Program.name).order_by(Program.id)).all()),
            db.session.scalar(select(func.count(CheckIn.id))),
            tuple(db.session.execute(select(Registration.id, Registration.status)).all()),
        )

    from sqlalchemy import func, select

    event_form = {"title": "改过的标题", "level": "街道级", "kind": "其他"}
    requests = {
        "read event page": ("GET", f"/events/{world['event_id']}", None),
        "cancel street event": ("POST", f"/events/{world['event_id']}/cancel", {"reason": "测试"}),
        "edit street event": ("POST", f"/events/{world['event_id']}/edit", event_form),
        "walk-in at street event": ("POST", f"/events/{world['event_id']}/walk-in",
                                    {"name": "路人", "phone": "13700137000", "group": "外卖员"}),
        "undo street check-in": ("POST", f"/api/check-ins/{world['check_in_id']}/undo", {}),
        "cancel street registration": ("POST", f"/registrations/{world['registration_id']}/cancel", {}),
        "edit street program": ("POST", f"/programs/{world['program_id']}/edit", _program_form(world["program_id"])),
        "edit other department's program": ("POST", f"/programs/{depts['other']}/edit", _program_form(depts["other"])),
        "edit led program": ("POST", f"/programs/{depts['led']}/edit", _program_form(depts["led"])),
        "edit street event under led program": ("POST", f"/events/{depts['event_under_led']}/cancel", {"reason": "x"}),
        "full phones of street event": ("GET", f"/events/{world['event_id']}/checkins.xlsx?phones=full", None),
    }
    method, url, data = requests[action]
    before = state()
    if method == "GET":
        resp = client.get(url)
    elif url.startswith("/api/"):
        resp = client.post(url, json=data)
    else:
        resp = client.post(url, data=data)
    return resp, state() != before


@pytest.mark.parametrize(("who", "action", "allowed"), DEPT_TABLE, ids=[f"{w}: {a}" for w, a, _ in DEPT_TABLE])
def test_department_permission_table(client, login, tree, world, depts, who, action, allowed):  # type: ignore[no-untyped-def]
    user = depts[who] if who in depts else tree[who]
    login(user)
    resp, changed = _attempt(client, action, world, depts)
    if action.startswith("read") or action.startswith("full phones"):
        assert (resp.status_code == 200) is allowed, resp.status_code
        return
    if allowed:
        assert resp.status_code in (200, 302, 303) and changed, (resp.status_code, resp.get_data(as_text=True)[:300])
    else:
        assert resp.status_code == 403 and not changed, (resp.status_code, resp.get_data(as_text=True)[:300])


def test_full_phone_export_is_audited(client, login, tree, world):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from eventsvc.audit.models import AuditEntry

    login(tree["org_b"])
    assert client.get(f"/events/{world['event_id']}/checkins.xlsx").status_code == 200  # masked: not audited
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.full_phones")) is None
    assert client.get(f"/events/{world['event_id']}/roster.pdf?phones=full").status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.full_phones"))
    assert entry is not None and entry.actor_id == tree["org_b"].id and "签到表" in entry.summary
    assert entry.object_id == world["event_id"]
