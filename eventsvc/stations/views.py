"""Staff pages for stations: the list, create/edit, the station page, visits logged by staff, bulk
services, and the downloads (visits xlsx, monthly report PDF, poster and sticker PDFs)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.operations import GROUPS
from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import int_arg
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    CHECKIN_ROLES,
    MANAGE_ROLES,
    can_check_in_at,
    can_manage_org,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.queries import managed_org_choices, org_choices
from eventsvc.programs.models import Program
from eventsvc.programs.queries import programs_visible_to
from eventsvc.stations import operations as ops
from eventsvc.stations.forms import StationForm, SupplyForm
from eventsvc.stations.models import STATION_KINDS, Station
from eventsvc.stations.operations import local_day
from eventsvc.stations.queries import (
    count_on,
    month_figures,
    month_rows,
    monthly_counts,
    recent_supplies,
    stations_in_scope,
    visits_today,
)

bp = Blueprint("stations", __name__)
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _month_arg(today: date) -> tuple[int, int]:
    """Read ?month=YYYY-MM (bounded); default the current month."""
    raw = request.args.get("month", "")
    try:
        year, month = (int(p) for p in raw.split("-", 1))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


@bp.route("/stations")
@staff_required
def list_stations() -> ResponseReturnValue:
    """List stations in the user's scope, searchable by name and filterable by unit and kind."""
    user = _user()
    orgs = org_choices(user)
    q = request.args.get("q", "").strip()[:60]
    kind = request.args.get("kind", "")
    org_id = int_arg("org_id")
    stmt = stations_in_scope(user).options(contains_eager(Station.organization))
    if q:
        stmt = stmt.where(Station.name.contains(q, autoescape=True) | Station.address.contains(q, autoescape=True))
    if kind in STATION_KINDS:
        stmt = stmt.where(Station.kind == kind)
    if org_id and org_id in {oid for oid, _ in orgs}:
        org = db.session.get(Organization, org_id)
        if org is not None:
            stmt = stmt.where(Organization.path.startswith(org.path))
    page, per_page = page_args()
    pagination = db.paginate(stmt.order_by(Station.name, Station.id), page=page, per_page=per_page, error_out=False)
    today = local_day()
    counts = {s.id: count_on(s, today) for s in pagination.items}  # one small indexed count per row of a page
    return render_template("stations/list.html", pagination=pagination, counts=counts, orgs=orgs, kinds=STATION_KINDS,
                           filters={"q": q, "kind": kind, "org_id": org_id})


def _programs_for(form: StationForm, year: int, station: Station | None) -> None:
    programs = [p for p in db.session.scalars(programs_visible_to(_user(), year)).all()]
    current = station.program_for(year) if station is not None else None
    if current is not None and current not in programs:
        programs.insert(0, current)
    form.program_id.choices = [(0, "（不计入项目）")] + [(p.id, p.name) for p in programs]
    form.organization_id.choices = managed_org_choices(_user())


def _save_program(station: Station, form: StationForm, year: int) -> None:
    program = db.session.get(Program, form.program_id.data) if form.program_id.data else None
    ops.set_station_program(station, year, program, by=_user())


def _values(form: StationForm) -> dict[str, object]:
    return {k: getattr(form, k).data for k in ("name", "kind", "address", "opening_hours", "services", "is_active")}


@bp.route("/stations/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create_station() -> ResponseReturnValue:
    """Create a station of a unit the user manages."""
    year = local_day().year
    form = StationForm()
    _programs_for(form, year, None)
    if request.method == "GET":
        form.organization_id.data = _user().organization_id
    if form.validate_on_submit():
        org = db.session.get(Organization, form.organization_id.data)
        require(org is not None and can_manage_org(_user(), org), 403)
        assert org is not None
        try:
            station = ops.create_station(org, by=_user(), **_values(form))
            _save_program(station, form, year)
        except OperationError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name", form.name).errors = [exc.message]
        else:
            db.session.commit()
            flash("服务阵地已创建，可下载二维码海报张贴。", "success")
            return redirect(url_for("stations.view_station", station_id=station.id))
    return render_template("stations/form.html", form=form, station=None, year=year), 400 if form.errors else 200


@bp.route("/stations/<int:station_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_station(station_id: int) -> ResponseReturnValue:
    """Edit a station's details, services and this year's program."""
    station = get_in_scope_or_404(Station, station_id, _user())
    require(can_manage_org(_user(), station.organization), 403)
    year = local_day().year
    form = StationForm(obj=station)
    _programs_for(form, year, station)
    form.organization_id.choices = [(station.organization_id, station.organization.name)]
    if request.method == "GET":
        current = station.program_for(year)
        form.program_id.data = current.id if current is not None else 0
    if form.validate_on_submit():
        try:
            ops.update_station(station, by=_user(), **_values(form))
            _save_program(station, form, year)
        except OperationError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name", form.name).errors = [exc.message]
        else:
            db.session.commit()
            flash("已保存。", "success")
            return redirect(url_for("stations.view_station", station_id=station.id))
    return render_template("stations/form.html", form=form, station=station, year=year), 400 if form.errors else 200


@bp.route("/stations/<int:station_id>")
@staff_required
def view_station(station_id: int) -> ResponseReturnValue:
    """Show today's visits, the month's calendar of daily counts, busiest hours and services used."""
    station = get_in_scope_or_404(Station, station_id, _user())
    today = local_day()
    year, month = _month_arg(today)
    return _page(station, PersonForm(formdata=None), SupplyForm(formdata=None), year, month)


def _page(station: Station, person_form: PersonForm, supply_form: SupplyForm, year: int, month: int,
          status: int = 200) -> ResponseReturnValue:
    today = local_day()
    prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    return render_template(
        "stations/page.html", station=station, today=today, visits=visits_today(station, today),
        figures=month_figures(station, year, month), months=monthly_counts(station, year),
        supplies=recent_supplies(station), form=person_form, groups=GROUPS, supply_form=supply_form,
        can_log=can_check_in_at(_user(), station.organization),
        can_manage=can_manage_org(_user(), station.organization),
        prev_month=f"{prev_m[0]}-{prev_m[1]:02d}", next_month=f"{next_m[0]}-{next_m[1]:02d}",
        program=station.program_for(year), public_url=url_for("stations_public.station_visit", code=station.code,
                                                              _external=True),
    ), status


def _loggable(station_id: int) -> Station:
    station = get_in_scope_or_404(Station, station_id, _user())
    require(can_check_in_at(_user(), station.organization), 403)
    return station


@bp.post("/stations/<int:station_id>/visits")
@roles_required(*CHECKIN_ROLES)
def log_visit(station_id: int) -> ResponseReturnValue:
    """Record a visit for someone without a phone at hand."""
    station = _loggable(station_id)
    form = PersonForm()
    today = local_day()
    if not form.validate():
        return _page(station, form, SupplyForm(formdata=None), today.year, today.month, 400)
    try:
        result = ops.log_visit_for(station, form.details(), by=_user(), services=request.form.getlist("services"))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("stations.view_station", station_id=station.id))
    db.session.commit()
    flash("已登记。" if result.created else "此人今天已登记，未重复计数。", "success" if result.created else "warning")
    return redirect(url_for("stations.view_station", station_id=station.id))


@bp.post("/stations/<int:station_id>/supplies")
@roles_required(*CHECKIN_ROLES)
def record_supply(station_id: int) -> ResponseReturnValue:
    """Record services given in bulk today (今日发放饮用水 120 瓶)."""
    station = _loggable(station_id)
    form = SupplyForm()
    today = local_day()
    if not form.validate():
        return _page(station, PersonForm(formdata=None), form, today.year, today.month, 400)
    try:
        ops.record_supply(station, by=_user(), label=form.label.data or "", quantity=int(form.quantity.data or 0),
                          unit=form.unit.data or "", note=form.note.data or "")
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("stations.view_station", station_id=station.id))
    db.session.commit()
    flash("已记录。", "success")
    return redirect(url_for("stations.view_station", station_id=station.id))


@bp.get("/stations/<int:station_id>/visits.xlsx")
@staff_required
def visits_xlsx(station_id: int) -> ResponseReturnValue:
    """Download the month's visits (one sheet) with the year's monthly totals."""
    from eventsvc.core.permissions import may_export_full_phones
    from eventsvc.stations.xlsx import build_visits_xlsx

    station = get_in_scope_or_404(Station, station_id, _user())
    year, month = _month_arg(local_day())
    data = build_visits_xlsx(station, year, month, month_rows(station, year, month), monthly_counts(station, year),
                             mask=not may_export_full_phones(_user(), station.organization))
    return _download(data, XLSX, f"{station.name}-{year}年{month}月到访.xlsx")


@bp.get("/stations/<int:station_id>/report.pdf")
@staff_required
def report_pdf(station_id: int) -> ResponseReturnValue:
    """Download the monthly station report: figures, the daily chart, services, bulk services, the month's photos."""
    from eventsvc.stations.evidence import month_photos
    from eventsvc.stations.pdf import build_station_report_pdf

    station = get_in_scope_or_404(Station, station_id, _user())
    year, month = _month_arg(local_day())
    data = build_station_report_pdf(station, month_figures(station, year, month), station.program_for(year),
                                    month_photos(station, year, month))
    return _download(data, PDF, f"{station.name}-{year}年{month}月服务报告.pdf")


@bp.get("/stations/<int:station_id>/poster.pdf")
@staff_required
def poster_pdf(station_id: int) -> ResponseReturnValue:
    """Download the permanent QR as an A5 poster or an A6 sticker (?size=a5|a6&shape=poster|sticker)."""
    from eventsvc.stations.pdf import build_station_poster_pdf

    station = get_in_scope_or_404(Station, station_id, _user())
    size = request.args.get("size", "a5")
    shape = request.args.get("shape", "poster")
    require(size in ("a5", "a6") and shape in ("poster", "sticker"), 400)
    url = url_for("stations_public.station_visit", code=station.code, _external=True)
    label = "海报" if shape == "poster" else "贴纸"
    return _download(build_station_poster_pdf(station, url, size=size, sticker=shape == "sticker"), PDF,
                     f"{station.name}-{size.upper()}{label}.pdf")


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
