"""The staff scanner page and its JSON API.

The API lives under /api/ so every error (401 not logged in, 403 viewer, 404 out of scope, 400
CSRF) is answered as JSON by the app's handlers; the scanner never has to parse an HTML page.
Every scan, single or queued offline, goes through `sync`: the page keeps one queue and one path.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_login import current_user

from eventsvc.checkin.event_cache import cached_event
from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.operations import (
    GROUPS,
    MAX_BATCH,
    Scan,
    ScanRaced,
    may_edit_participant,
    process_scan,
    undo_check_in,
)
from eventsvc.checkin.queries import event_counts, event_stats, search_people, stats_key
from eventsvc.checkin.scanner.answers import bad_scan_answer, scan_answer
from eventsvc.checkin.scanner.scan import BadScan, parse_scan
from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import json_body
from eventsvc.core.permissions import CHECKIN_ROLES, can_check_in_at, require, roles_required, staff_required
from eventsvc.core.ratelimits import scanner_limit
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.db import one_sqlite_writer
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.orgs.models import User

bp = Blueprint("checkin_scanner", __name__)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _event(event_id: int) -> Event:
    return get_in_scope_or_404(Event, event_id, _user(), load=cached_event)  # asked with every scan


def _staffed_event(event_id: int) -> Event:
    """Load an event for scanning: 404 out of read scope, 403 unless the user acts for its unit (§6)."""
    event = _event(event_id)
    require(can_check_in_at(_user(), event.organization), 403)
    return event


def _body() -> dict[str, Any]:
    data = json_body()  # size, depth and value limits; a bad body is a JSON 400
    return data if isinstance(data, dict) else {}


def _error(message: str, code: str, status: int) -> tuple[Response, int]:
    return jsonify(ok=False, error=message, code=code), status


@bp.route("/events/<int:event_id>/scanner")
@roles_required(*CHECKIN_ROLES)
def scanner(event_id: int) -> str:
    """Show the phone-first scanner: camera, manual search, walk-ins, offline queue."""
    event = _staffed_event(event_id)
    return render_template(
        "checkin/scanner.html", event=event, stats=event_stats(event),
        undo_minutes=current_app.config.get("UNDO_WINDOW_MINUTES", 5), groups=GROUPS,
        form=PersonForm(formdata=None),
    )


@bp.route("/api/events/<int:event_id>/sync", methods=["POST"])
@scanner_limit
@roles_required(*CHECKIN_ROLES)
def sync_scans_json(event_id: int) -> Any:
    """Apply the queue {scans: [...]} in order; resending the same batch changes nothing.

    A malformed body is a 400; a malformed scan inside a good body is answered as refused
    (`bad_scan`, not stored), so one bad entry never blocks the rest of a device's queue.
    """
    event = _staffed_event(event_id)
    scans = _body().get("scans")
    if not isinstance(scans, list):
        return _error("缺少扫码记录（scans 列表）。", "bad_scan", 400)
    if len(scans) > MAX_BATCH:
        return _error(f"一次最多同步 {MAX_BATCH} 条扫码记录。", "bad_scan", 400)
    key = stats_key(event)  # plain values: the commit expires the event, and SQLite's write lock ends with it
    with one_sqlite_writer(db.session):
        for attempt in (1, 2):
            try:
                answers, counts = _apply(event, scans)
            except ScanRaced as exc:  # a resent scan met its original: start again, which replays it
                db.session.rollback()
                if attempt == 2:
                    return _error(exc.message, exc.code, 409)
                continue
            except OperationError as exc:
                db.session.rollback()
                return _error(exc.message, exc.code, 403 if exc.code == "forbidden" else 400)
            break
        # The counts as this batch leaves them: returned by its last check-in's statement (PostgreSQL), else
        # read before the commit, one primary-key read in the same transaction (on PostgreSQL a new transaction
        # after the commit would cost two more round trips).
        if counts is None:
            counts = event_counts(key)
        db.session.commit()
    return jsonify(ok=True, results=answers, stats=event_stats(key, counts))


def _apply(event: Event, scans: list[Any]) -> tuple[list[dict[str, Any]], tuple[int, ...] | None]:
    """Apply each scan in order and return the answers, and the event's figures if the last scan's statement
    returned them (nothing was written after it); a malformed scan is answered, not stored."""
    answers: list[dict[str, Any]] = []
    counts: tuple[int, ...] | None = None
    for raw in scans:
        try:
            scan: Scan = parse_scan(raw)
        except BadScan as exc:
            answers.append(bad_scan_answer(exc.message, exc.client_scan_id))
            counts = None
            continue
        # One scan is the request's whole write: on PostgreSQL its statement commits itself.
        result = process_scan(event, scan, by=_user(), alone=len(scans) == 1)
        answers.append(scan_answer(event, result, viewer=_user()))
        counts = result.counts
    return answers, counts


@bp.route("/api/events/<int:event_id>/search")
@roles_required(*CHECKIN_ROLES)
def search_people_json(event_id: int) -> Response:
    """Find this event's registered or checked-in people by phone's last four digits or name."""
    event = _staffed_event(event_id)
    q = request.args.get("q", "")[:40]
    viewer = _user()
    return jsonify(ok=True, q=q, people=search_people(
        event, q, may_see_stored=lambda person: may_edit_participant(viewer, person)))


@bp.route("/api/check-ins/<int:check_in_id>/undo", methods=["POST"])
@scanner_limit
@roles_required(*CHECKIN_ROLES)
def undo_check_in_json(check_in_id: int) -> Any:
    """Undo a mistaken check-in (its checker within minutes, an organizer any time)."""
    record = get_in_scope_or_404(CheckIn, check_in_id, _user(),
                                 visible=lambda c: _user().reaches(c.event.organization))
    require(can_check_in_at(_user(), record.event.organization), 403)
    event, name = record.event, record.shown_name  # as given here: the stored name may be another street's
    try:
        undo_check_in(record, by=_user(), reason=str(_body().get("reason") or "扫码页撤销"))
    except OperationError as exc:
        return _error(exc.message, exc.code, 403 if exc.code == "forbidden" else 409)
    db.session.commit()
    return jsonify(ok=True, message=f"已撤销 {name} 的签到", name=name, stats=event_stats(event))


@bp.route("/api/events/<int:event_id>/scanner-stats")
@staff_required
def scanner_stats_json(event_id: int) -> Response:
    """Return the live figures the scanner and the big screen poll."""
    return jsonify(ok=True, stats=event_stats(_event(event_id)))
