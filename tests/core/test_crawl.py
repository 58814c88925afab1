"""Smoke test: the demo seed, crawled as every demo login and from the posters' public pages.

Every same-site GET link reachable from the start page is fetched (bounded per kind of URL, so a list with
400 rows costs a few fetches, not 400); none may answer 5xx or raise, and a street's staff must never see
the title of an event outside their street.
"""
from __future__ import annotations

import json
import time
import traceback
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter

from eventsvc.checkin.models import Participant
from eventsvc.events.models import DRAFT, Event
from eventsvc.extensions import db as _db
from eventsvc.orgs.models import Organization, User
from eventsvc.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_data
from eventsvc.stations.models import Station
from tests.conftest import Rows, _empty_tables, _restore_rows, _snapshot_rows

MAX_PAGES = 400  # per user, as the brief of this test says
PER_SHAPE = 4  # URLs fetched per (endpoint, query keys): page 2 of a list proves what page 3 would
PER_DOWNLOAD_SHAPE = 1  # PDFs and spreadsheets are slow to build; one of each kind is enough here
SKIP_PREFIXES = ("/logout", "/static/")
TEXT_TYPES = ("text/", "application/json")


class _Links(HTMLParser):
    """Collect href/src/action-of-GET-forms targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("a", "link") and a.get("href"):
            self.found.append(a["href"] or "")
        elif tag in ("img", "iframe") and a.get("src"):
            self.found.append(a["src"] or "")
        elif tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.found.append(a["action"] or "")
        # URLs handed to the page's scripts (polling, search): data-*-url="/api/..."
        self.found.extend(v for k, v in attrs if k.startswith("data-") and k.endswith("url") and v and v[0] == "/")


@dataclass
class Crawl:
    """What a crawl fetched and what went wrong."""

    fetched: list[tuple[str, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)  # watched text -> first URL that showed it


def _same_site(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
        return None
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    path = parts.path or "/"
    if path.startswith(SKIP_PREFIXES):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _shape(adapter: MapAdapter, url: str) -> tuple[str, str] | None:
    """(endpoint, query keys) of a URL; None for a POST-only URL (a script's action, not a page)."""
    parts = urlsplit(url)
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except MethodNotAllowed:
        return None
    except HTTPException:
        endpoint = parts.path
    keys = ",".join(sorted({kv.split("=", 1)[0] for kv in parts.query.split("&") if kv}))
    return str(endpoint), keys


def _visible_text(resp: Any) -> str:
    text = str(resp.get_data(as_text=True))
    if resp.mimetype == "application/json":  # jsonify escapes Chinese as \uXXXX
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def crawl(app: Flask, client: FlaskClient, starts: Iterable[str], watch: Iterable[str] = (),
          limit: int = MAX_PAGES) -> Crawl:
    """Breadth-first over same-site GET links; record 5xx/exceptions and where each watched text showed."""
    adapter = app.url_map.bind("localhost")
    result, seen, per_shape = Crawl(), set(), Counter[tuple[str, str]]()
    download_shapes: set[tuple[str, str]] = set()
    starts = list(starts)
    queue = deque(starts)
    watched = [t for t in watch if t]
    while queue and len(result.fetched) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = _shape(adapter, url)
        if shape is None:
            continue
        cap = PER_DOWNLOAD_SHAPE if shape in download_shapes else PER_SHAPE
        if per_shape[shape] >= cap and url not in starts:
            continue
        per_shape[shape] += 1
        try:
            resp = client.get(url)
        except Exception:  # TESTING propagates exceptions: that is the 500 a user would get
            result.failures.append(f"{url} raised\n{traceback.format_exc(limit=-6)}")
            continue
        result.fetched.append((url, resp.status_code))
        if resp.status_code >= 500:
            result.failures.append(f"{url} answered {resp.status_code}")
        if resp.status_code in (301, 302, 303, 307, 308) and resp.location:
            target = _same_site(url, resp.location)
            if target:
                queue.append(target)
            continue
        if not (resp.mimetype or "").startswith(TEXT_TYPES):
            download_shapes.add(shape)
            continue
        text = _visible_text(resp)
        for t in watched:
            if t not in result.shown and t in text:
                result.shown[t] = url
        if resp.mimetype == "text/html":
            parser = _Links()
            parser.feed(text)
            queue.extend(u for u in (_same_site(url, h) for h in parser.found) if u and u not in seen)
    return result


@pytest.fixture(scope="module")
def _demo_rows(_session_app: Flask, _schema: None) -> Rows:
    """Seed the demo once per module (plus a station with a visit, for /s/<code>) and keep its rows."""
    with _session_app.app_context():
        seed_demo_data()
        _add_what_the_seed_lacks()
        _db.session.commit()
        rows = _snapshot_rows()
        _empty_tables()
    return rows


def _add_what_the_seed_lacks() -> None:
    """A 平湖 station with a visit, a 平湖 series with certificates, an upcoming event taking registrations."""
    from eventsvc.checkin.operations.registrations import register
    from eventsvc.events.operations import update_event
    from eventsvc.events.series_operations import create_series, set_sessions
    from eventsvc.programs.models import Program
    from eventsvc.stations.operations import create_station, record_visit, set_station_program

    pinghu = _db.session.scalar(select(Organization).where(Organization.name == "平湖街道总工会"))
    program = _db.session.scalar(select(Program).where(Program.name == "新就业形态劳动者服务月"))
    person = _db.session.scalar(select(Participant).order_by(Participant.id).limit(1))
    assert pinghu is not None and program is not None and person is not None
    station = create_station(pinghu, by=None, name="平湖暖蜂驿站", address="平湖街道平新北路", services="饮水\n充电")
    set_station_program(station, program.year, program, by=None)
    record_visit(station, person, by=None, services=["饮水"])
    series = create_series(program, pinghu, by=None, title="平湖骑手技能培训班", certificates_enabled=True)
    sessions = _db.session.scalars(select(Event).where(
        Event.program_id == program.id, Event.organization_id == pinghu.id, Event.status != DRAFT)).all()
    set_sessions(series, sessions, by=None)
    upcoming = _db.session.scalar(select(Event).where(Event.title == "坂田街道外卖骑手安全技能培训"))
    assert upcoming is not None
    update_event(upcoming, by=None, registration_mode="on")
    register(upcoming, person, by=None)


@pytest.fixture
def demo(app: Flask, _demo_rows: Rows) -> None:
    _restore_rows(_demo_rows)


def _titles(user: User) -> tuple[set[str], set[str]]:
    """(titles of events within the user's reach, titles of events outside it that none within carries)."""
    events = _db.session.scalars(select(Event)).all()
    mine = {e.title for e in events if user.reaches(e.organization)}
    return mine, {e.title for e in events if not user.reaches(e.organization)} - mine


@pytest.mark.parametrize("username", [name for name, _ in DEMO_LOGINS])
def test_demo_login_crawl_finds_no_server_error(app: Flask, client: FlaskClient, demo: None, username: str) -> None:
    user = _db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    street_user = user.organization.kind == "street"
    mine, others = _titles(user)
    started = time.monotonic()
    result = crawl(app, client, ["/"], mine | others)
    elapsed = time.monotonic() - started
    statuses = Counter(code for _, code in result.fetched)
    print(f"{username}: {len(result.fetched)} pages in {elapsed:.1f}s {dict(statuses)}")
    assert len(result.fetched) > 20, result.fetched  # the crawl got past the start page
    assert statuses[200] > 10
    assert not result.failures, "\n".join(result.failures[:20])
    # A link the user is shown leads to a page the user may open.
    assert statuses[403] == 0, [url for url, code in result.fetched if code == 403]
    assert mine & set(result.shown), "the crawl reached pages listing the user's events"
    if street_user:
        assert others, "the demo has other streets' events to hide"
        leaks = [f"{url} shows “{t}”" for t, url in result.shown.items() if t in others]
        assert not leaks, "\n".join(leaks[:20])


def test_poster_pages_answer_without_server_error(app: Flask, client: FlaskClient, demo: None) -> None:
    """A worker's phone, logged in as nobody, opens every event's /c/<code> and the station's /s/<code>."""
    codes = _db.session.scalars(select(Event.code).where(Event.status != DRAFT)).all()
    station = _db.session.scalar(select(Station.code))
    starts = [f"/c/{code}" for code in codes] + [f"/s/{station}"]
    result = crawl(app, client, starts, limit=len(starts) + 60)
    statuses = Counter(code for _, code in result.fetched)
    print(f"public: {len(result.fetched)} pages {dict(statuses)}")
    assert statuses[200] >= 3  # the live event, the upcoming ones (registration) and the station
    assert not result.failures, "\n".join(result.failures[:20])


def test_crawl_reports_a_server_error_behind_a_link(fresh_app: Flask) -> None:
    """The crawler itself: it follows links and data-*-url attributes and records what raised or answered 5xx."""
    fresh_app.add_url_rule("/t/start", "t_start", lambda: (
        '<a href="/t/raises">a</a><a href="/logout">out</a><a href="https://example.org/t/raises">x</a>'
        '<div data-poll-url="/t/five"></div>', 200, {"Content-Type": "text/html"}))
    fresh_app.add_url_rule("/t/raises", "t_raises", lambda: str(1 / 0))
    fresh_app.add_url_rule("/t/five", "t_five", lambda: ("秘密活动", 503))
    result = crawl(fresh_app, fresh_app.test_client(), ["/t/start"], watch=["秘密活动"])
    # (then the links of the error page itself)
    assert result.fetched[:3] == [("/t/start", 200), ("/t/raises", 500), ("/t/five", 503)]
    assert result.failures == ["/t/raises answered 500", "/t/five answered 503"]
    assert result.shown == {"秘密活动": "/t/five"}
