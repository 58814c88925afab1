"""The staff scanner page, its JSON API and the venue's big screen.

The API lives under /api/ so every error (401 not logged in, 403 viewer, 404 out of scope, 400
CSRF) is answered as JSON by the app's handlers; the scanner never has to parse an HTML page.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template, request
from flask_login import current_user

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.operations import (
    GROUPS,
    MODE_IN,
    process_scan,
    sync_scans,
    undo_check_in,
)
from eventsvc.checkin.queries import event_stats, search_people
from eventsvc.checkin.views import bp
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import (
    CHECKIN_ROLES,
    require,
    roles_required,
    staff_required,
)
from eventsvc.events.models import Event
from eventsvc.events.queries import get_event_for
from eventsvc.extensions import db
from eventsvc.orgs.models import User


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _event_or_404(event_id: int) -> Event:
    event = get_event_for(_user(), event_id)
    require(event is not None)
    assert event is not None
    return event


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _refusal(exc: OperationError, status: int = 400):  # type: ignore[no-untyped-def]
    return jsonify(ok=False, error=exc.message, code=exc.code), status


@bp.route("/events/<int:event_id>/scanner")
@roles_required(*CHECKIN_ROLES)
def scanner(event_id: int):  # type: ignore[no-untyped-def]
    """Show the phone-first scanner: camera, manual search, walk-ins, offline queue."""
    event = _event_or_404(event_id)
    return render_template(
        "checkin/scanner.html", event=event, stats=event_stats(event),
        undo_minutes=current_app.config.get("UNDO_WINDOW_MINUTES", 5), groups=GROUPS,
    )


def _answer_scan(event: Event, scan: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Decide one scan, commit, and answer with the result and fresh counts."""
    try:
        result = process_scan(event, scan, by=_user())
    except OperationError as exc:
        return _refusal(exc, 403 if exc.code == "forbidden" else 400)
    db.session.commit()
    return jsonify(result=result, stats=event_stats(event), ok=True)


@bp.route("/api/events/<int:event_id>/scan", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def scan_json(event_id: int):  # type: ignore[no-untyped-def]
    """Decide one scan {client_scan_id, code | participant_id | person, mode, scanned_at}."""
    event = _event_or_404(event_id)
    body = _body()
    body.setdefault("mode", MODE_IN)
    return _answer_scan(event, body)


@bp.route("/api/events/<int:event_id>/sync", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def sync_scans_json(event_id: int):  # type: ignore[no-untyped-def]
    """Apply the offline queue {scans: [...]}; resending the same batch changes nothing."""
    event = _event_or_404(event_id)
    scans = _body().get("scans")
    if not isinstance(scans, list):
        return jsonify(ok=False, error="缺少扫码记录。", code="bad_request"), 400
    try:
        results = sync_scans(event, scans, by=_user())
    except OperationError as exc:
        return _refusal(exc, 403 if exc.code == "forbidden" else 400)
    db.session.commit()
    return jsonify(ok=True, results=results, stats=event_stats(event))


@bp.route("/api/events/<int:event_id>/search")
@roles_required(*CHECKIN_ROLES)
def search_people_json(event_id: int):  # type: ignore[no-untyped-def]
    """Find this event's registered or checked-in people by phone's last four digits or name."""
    event = _event_or_404(event_id)
    q = request.args.get("q", "")[:40]
    return jsonify(ok=True, q=q, people=search_people(event, q))


@bp.route("/api/events/<int:event_id>/walk-in", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def walk_in_json(event_id: int):  # type: ignore[no-untyped-def]
    """Add a walk-in {client_scan_id, name, phone, workplace, group, mode?} and check them in."""
    event = _event_or_404(event_id)
    body = _body()
    scan = {
        "client_scan_id": body.get("client_scan_id"),
        "scanned_at": body.get("scanned_at"),
        "mode": MODE_IN,
        "person": {k: body.get(k) or "" for k in ("name", "phone", "workplace", "group")},
    }
    return _answer_scan(event, scan)


@bp.route("/api/check-ins/<int:check_in_id>/undo", methods=["POST"])
@roles_required(*CHECKIN_ROLES)
def undo_check_in_json(check_in_id: int):  # type: ignore[no-untyped-def]
    """Undo a mistaken check-in (its checker within minutes, an organizer any time)."""
    record = db.session.get(CheckIn, check_in_id)
    require(record is not None and _user().reaches(record.event.organization))
    assert record is not None
    event, name = record.event, record.participant.name
    try:
        undo_check_in(record, by=_user(), reason=str(_body().get("reason") or "扫码页撤销"))
    except OperationError as exc:
        return _refusal(exc, 403 if exc.code == "forbidden" else 409)
    db.session.commit()
    return jsonify(ok=True, message=f"已撤销 {name} 的签到", stats=event_stats(event))


@bp.route("/api/events/<int:event_id>/scanner-stats")
@staff_required
def scanner_stats_json(event_id: int):  # type: ignore[no-untyped-def]
    """Return the live figures the scanner and the big screen poll."""
    event = _event_or_404(event_id)
    return jsonify(ok=True, stats=event_stats(event))


@bp.route("/events/<int:event_id>/screen")
@staff_required
def big_screen(event_id: int):  # type: ignore[no-untyped-def]
    """Show the live 签到人次 on the venue screen, large enough to read from the back."""
    event = _event_or_404(event_id)
    return render_template("checkin/bigscreen.html", event=event, stats=event_stats(event))
