"""The station's permanent QR page: a worker registers a visit (one per person per station per day).

Same shape as the event check-in page (checkin/public): the device cookie remembers the worker, so a
returning one taps once; a new one fills the shared PersonForm and consents; both may tick services.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.operations import upsert_participant
from eventsvc.checkin.public.device import current_device, remembered_device_id, request_source, save_device
from eventsvc.checkin.public.helpers import consent_label, no_store, page, person_form_context, privacy_notice
from eventsvc.checkin.queries import find_participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.ratelimits import limit_public_checkin
from eventsvc.extensions import db
from eventsvc.stations.models import Station, StationVisit
from eventsvc.stations.operations import local_day, record_visit, visit_today
from eventsvc.stations.queries import count_on, station_by_code

bp = Blueprint("stations_public", __name__)
bp.after_request(save_device)

CONSENT_MISSING = "请阅读并同意个人信息使用说明（勾选上方方框）"
_DONE_KEY = "evs_sdone"  # session: the visit the /done page shows after the redirect


def _not_found() -> Response:
    return page("stations/public_not_found.html", status=404, station=None)


def _remembered_visit(station: Station) -> StationVisit | None:
    person = current_device().person
    participant = find_participant(person.get("phone", "")) if person else None
    return visit_today(station, participant, local_day()) if participant is not None else None


@bp.route("/s/<code>", methods=["GET", "POST"])
@limit_public_checkin(device_id=remembered_device_id)
def station_visit(code: str) -> Response:
    """Show today's services and the one-tap or full form; record the visit on POST."""
    station = station_by_code(code)
    if station is None:
        return _not_found()
    if not station.is_active:
        return page("stations/public_result.html", station=station, visit=None, created=False,
                    message="该服务阵地已停用，暂不能登记。")
    device = current_device()
    person = device.person
    wants_form = bool(request.args.get("edit") or request.args.get("new"))
    if request.method == "GET":
        existing = _remembered_visit(station) if not wants_form else None
        if existing is not None:
            return _result(station, existing, created=False)
        quick = person is not None and not wants_form
        form = PersonForm.from_mapping(person) if person is not None and not request.args.get("new") else PersonForm()
        return _form(station, form, quick=quick)
    quick = request.form.get("quick") == "1"
    if quick and person is None:
        return _form(station, PersonForm(formdata=None), quick=False, message="请填写您的信息后登记。")
    form = PersonForm.from_mapping(person) if quick else PersonForm()
    consent_error = "" if quick or request.form.get("consent") else CONSENT_MISSING
    if not form.validate() or consent_error:
        return _form(station, form, quick=False, consent_error=consent_error)
    details = form.details()
    services = request.form.getlist("services")[:50]
    try:
        participant = upsert_participant(**details, by=None, organization=station.organization)
        result = record_visit(station, participant, by=None, services=services, given=details,
                              source=request_source())
    except OperationError as exc:
        db.session.rollback()
        if exc.field in form.FIELDS:
            form[exc.field].errors = [exc.message]
            return _form(station, form, quick=False)
        return page("stations/public_result.html", station=station, visit=None, created=False, message=exc.message)
    db.session.commit()
    session[_DONE_KEY] = {"s": station.code, "i": result.visit.id, "n": result.created}
    device.remember(details)
    return no_store(redirect(url_for("stations_public.visit_done", code=station.code), code=303))


@bp.get("/s/<code>/done")
def visit_done(code: str) -> Response:
    """Show the answer of the last submit (POST-redirect-GET: a refresh never resubmits)."""
    station = station_by_code(code)
    if station is None:
        return _not_found()
    done = session.get(_DONE_KEY)
    visit: StationVisit | None = None
    created = False
    if isinstance(done, dict) and done.get("s") == station.code and isinstance(done.get("i"), int):
        visit = db.session.get(StationVisit, done["i"])
        created = bool(done.get("n"))
    if visit is None or visit.station_id != station.id:
        visit, created = _remembered_visit(station), False
    if visit is None:
        return redirect(url_for("stations_public.station_visit", code=station.code))
    return _result(station, visit, created)


def _form(station: Station, form: PersonForm, *, quick: bool, message: str = "", consent_error: str = "") -> Response:
    return page("stations/public_form.html", station=station, person=current_device().person, quick=quick,
                message=message, notice=privacy_notice(), consent=consent_label(), consent_error=consent_error,
                chosen=request.form.getlist("services"), **person_form_context(form))


def _result(station: Station, visit: StationVisit, created: bool) -> Response:
    person = current_device().person
    shown = person.get("name", "") if person else ""
    return page("stations/public_result.html", station=station, visit=visit, created=created, shown_name=shown,
                today_count=count_on(station, visit.visit_date), message="")
