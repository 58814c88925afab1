"""Who may download which report: staff in scope yes, another street 404, anonymous to the login page."""
from __future__ import annotations

import pytest

EVENT_URLS = [
    "/events/{event_id}/roster.pdf",
    "/events/{event_id}/blank-roster.pdf?rows=20",
    "/events/{event_id}/poster.pdf",
    "/events/{event_id}/checkins.xlsx",
    "/events/{event_id}/import-template.xlsx",
]
PROGRAM_URLS = ["/programs/{program_id}/ledger.pdf", "/programs/{program_id}/ledger.xlsx"]


@pytest.fixture
def street_objects(tree, create_program, create_event, create_check_in):  # type: ignore[no-untyped-def]
    """An event and a program of street A (the program owned by the street itself)."""
    program = create_program(org=tree["a"], name="平湖街道自办项目")
    event = create_event(program, tree["a_child"], title="白坭坑社区活动")
    create_check_in(event)
    return {"event_id": event.id, "program_id": program.id}


@pytest.mark.parametrize("user", ["admin", "district_viewer", "org_a", "checker_a", "viewer_a"])
def test_staff_in_scope_can_download(client, login, tree, street_objects, user):
    login(tree[user])
    for url in EVENT_URLS + PROGRAM_URLS:
        resp = client.get(url.format(**street_objects))
        assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
        assert resp.data[:4] in (b"%PDF", b"PK\x03\x04"), url


def test_another_street_gets_404(client, login, tree, street_objects):
    login(tree["org_b"])
    for url in EVENT_URLS + PROGRAM_URLS + ["/events/{event_id}/import"]:
        assert client.get(url.format(**street_objects)).status_code == 404, url
    assert client.post("/events/{event_id}/import/confirm".format(**street_objects),
                       data={"token": "x" * 32}).status_code == 404


def test_anonymous_is_sent_to_login(client, tree, street_objects):
    for url in EVENT_URLS + PROGRAM_URLS + ["/events/{event_id}/import", "/reports/year/2026.pdf", "/admin/settings"]:
        resp = client.get(url.format(**street_objects))
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
        api = client.get(url.format(**street_objects), headers={"Accept": "application/json"})
        assert api.status_code == 401, url


def test_anonymous_post_to_import_is_refused(client, tree, street_objects):
    for url in ("/events/{event_id}/import", "/events/{event_id}/import/confirm"):
        resp = client.post(url.format(**street_objects), data={"token": "x" * 32})
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_missing_objects_are_404(client, login, tree):
    login(tree["admin"])
    for url in ("/events/999/roster.pdf", "/events/999/import", "/programs/999/ledger.pdf",
                "/programs/999/ledger.xlsx"):
        assert client.get(url).status_code == 404


def test_year_overview_for_any_staff(client, login, tree, street_objects):
    login(tree["viewer_a"])
    resp = client.get("/reports/year/2026.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert client.get("/reports/year/1800.pdf").status_code == 404


def test_link_partials_render_for_teammates_pages(app, tree, street_objects, login, client):
    from flask import render_template_string
    from flask_login import login_user

    from eventsvc.events.models import Event
    from eventsvc.extensions import db
    from eventsvc.programs.models import Program

    event = db.session.get(Event, street_objects["event_id"])
    program = db.session.get(Program, street_objects["program_id"])
    with app.test_request_context():
        login_user(tree["org_a"])
        html = render_template_string('{% include "reports/_event_links.html" %}', event=event)
        assert f"/events/{event.id}/roster.pdf" in html and f"/events/{event.id}/import" in html
        assert 'name="rows"' in html and f"/events/{event.id}/poster.pdf" in html
        html = render_template_string('{% include "reports/_program_links.html" %}', program=program)
        assert f"/programs/{program.id}/ledger.pdf" in html and f"/programs/{program.id}/ledger.xlsx" in html
        assert "/reports/year/2026.pdf" in render_template_string('{% include "reports/_year_links.html" %}', year=2026)
        login_user(tree["viewer_a"])
        html = render_template_string('{% include "reports/_event_links.html" %}', event=event)
        assert "/import" not in html  # viewers cannot import
