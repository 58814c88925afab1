"""Series pages: list, create/edit, sessions and completion, downloads, certificates, public verification."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from eventsvc.core.exceptions import OperationError
from eventsvc.core.inputs import FiniteDecimalField
from eventsvc.core.pagination import page_args
from eventsvc.core.permissions import (
    MANAGE_ROLES,
    can_manage_org,
    manages_program,
    may_export_full_phones,
    require,
    roles_required,
    staff_required,
)
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.events import series_operations as ops
from eventsvc.events.models import CANCELLED, Event
from eventsvc.events.series_attendance import (
    SeriesAttendance,
    certificate_token,
    series_attendance,
    verify_certificate,
)
from eventsvc.events.series_models import SERIES_KIND_LABELS, Series
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization, User
from eventsvc.orgs.queries import managed_org_choices
from eventsvc.programs.models import SESSIONS, Target
from eventsvc.programs.queries import get_program_for

bp = Blueprint("series", __name__)
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SeriesForm(FlaskForm):
    organization_id = SelectField("主办单位", coerce=int, validators=[InputRequired("请选择主办单位")])
    title = StringField("系列名称", validators=[DataRequired("请填写系列名称"), Length(max=120, message="最多 120 字")])
    kind = SelectField("类型", choices=[SelectChoice(k, v) for k, v in SERIES_KIND_LABELS.items()])
    threshold_percent = IntegerField("结业标准（出勤率 %）", default=80, validators=[
        InputRequired("请填写结业标准"), NumberRange(min=1, max=100, message="应为 1 到 100 之间的百分数")])
    hours = FiniteDecimalField("学时", places=2, default=0, validators=[
        InputRequired("请填写学时（没有填 0）"), NumberRange(min=0, max=10000, message="学时应在 0 到 10000 之间")])
    certificates_enabled = BooleanField("提供结业证书")


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _series(series_id: int) -> Series:
    return get_in_scope_or_404(Series, series_id, _user())


def _values(form: SeriesForm) -> dict[str, object]:
    hours = float(form.hours.data or 0)
    return {"title": form.title.data or "", "kind": form.kind.data, "threshold_percent": form.threshold_percent.data,
            "hours": int(hours) if hours == int(hours) else round(hours, 2),
            "certificates_enabled": bool(form.certificates_enabled.data)}


@bp.route("/series")
@staff_required
def list_series() -> ResponseReturnValue:
    """List the series in the user's scope, searchable by name."""
    user = _user()
    q = request.args.get("q", "").strip()[:60]
    stmt = select(Series).join(Series.organization)
    if user.scope_path:
        stmt = stmt.where(Organization.path.startswith(user.scope_path))
    if q:
        stmt = stmt.where(Series.title.contains(q, autoescape=True))
    page, per_page = page_args()
    pagination = db.paginate(stmt.order_by(Series.id.desc()), page=page, per_page=per_page, error_out=False)
    return render_template("events/series_list.html", pagination=pagination, q=q)


@bp.route("/programs/<int:program_id>/series/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create_series(program_id: int) -> ResponseReturnValue:
    """Create a series under a program."""
    program = get_program_for(_user(), program_id)
    require(program is not None)
    assert program is not None
    form = SeriesForm()
    form.organization_id.choices = managed_org_choices(_user())
    if form.validate_on_submit():
        org = db.session.get(Organization, form.organization_id.data)
        require(org is not None and can_manage_org(_user(), org), 403)
        assert org is not None
        try:
            series = ops.create_series(program, org, by=_user(), **_values(form))
        except OperationError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title", form.title).errors = [exc.message]
        else:
            db.session.commit()
            flash("系列已创建，请选择其中的场次。", "success")
            return redirect(url_for("series.view_series", series_id=series.id))
    return render_template("events/series_form.html", form=form, program=program, series=None), \
        400 if form.errors else 200


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_series(series_id: int) -> ResponseReturnValue:
    series = _series(series_id)
    require(can_manage_org(_user(), series.organization), 403)
    form = SeriesForm(obj=series)
    form.organization_id.choices = [(series.organization_id, series.organization.name)]
    if form.validate_on_submit():
        try:
            ops.update_series(series, by=_user(), **_values(form))
        except OperationError as exc:
            db.session.rollback()
            getattr(form, exc.field or "title", form.title).errors = [exc.message]
        else:
            db.session.commit()
            flash("已保存。", "success")
            return redirect(url_for("series.view_series", series_id=series.id))
    return render_template("events/series_form.html", form=form, program=series.program, series=series), \
        400 if form.errors else 200


@bp.route("/series/<int:series_id>")
@staff_required
def view_series(series_id: int) -> ResponseReturnValue:
    """Show the sessions, each person's attendance and completion, and the program's 场次 targets."""
    series = _series(series_id)
    can_manage = can_manage_org(_user(), series.organization)
    candidates: list[Event] = []
    if can_manage:
        candidates = list(db.session.scalars(
            select(Event).where(Event.program_id == series.program_id, Event.organization_id == series.organization_id,
                                Event.status != CANCELLED).order_by(Event.starts_at).limit(200)))
    targets = [t for t in series.program.targets if t.metric == SESSIONS]
    return render_template("events/series_view.html", series=series, att=series_attendance(series),
                           candidates=candidates, can_manage=can_manage, targets=targets,
                           manages_program=manages_program(_user(), series.program))


@bp.post("/series/<int:series_id>/sessions")
@roles_required(*MANAGE_ROLES)
def set_sessions(series_id: int) -> ResponseReturnValue:
    series = _series(series_id)
    require(can_manage_org(_user(), series.organization), 403)
    ids = [int(v) for v in request.form.getlist("event_ids") if v.isdecimal() and len(v) < 10][:500]
    events = list(db.session.scalars(select(Event).where(Event.id.in_(ids or [0]))))
    try:
        ops.set_sessions(series, events, by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("场次已更新。", "success")
    return redirect(url_for("series.view_series", series_id=series.id))


@bp.post("/series/<int:series_id>/targets/<int:target_id>")
@roles_required(*MANAGE_ROLES)
def set_target_counting(series_id: int, target_id: int) -> ResponseReturnValue:
    """Make a 场次 target of the series' program count each series as one 项 (or its sessions)."""
    series = _series(series_id)
    target = db.session.get(Target, target_id)
    require(target is not None and target.program_id == series.program_id)
    assert target is not None
    require(manages_program(_user(), series.program), 403)
    try:
        ops.set_series_as_one(target, request.form.get("series_as_one") == "1", by=_user())
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("目标计数方式已更新。", "success")
    return redirect(url_for("series.view_series", series_id=series.id))


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _sheets(series_id: int) -> tuple[Series, SeriesAttendance, bool]:
    series = _series(series_id)
    return series, series_attendance(series), not may_export_full_phones(_user(), series.organization)


@bp.get("/series/<int:series_id>/attendance.pdf")
@staff_required
def attendance_pdf(series_id: int) -> ResponseReturnValue:
    """Download the per-person attendance sheet (one column per session)."""
    from eventsvc.events.series_exports import build_attendance_pdf  # reportlab: loaded on first use

    series, att, mask = _sheets(series_id)
    return _download(build_attendance_pdf(att, mask=mask), PDF, f"{series.title}-考勤表.pdf")


@bp.get("/series/<int:series_id>/completion.pdf")
@staff_required
def completion_pdf(series_id: int) -> ResponseReturnValue:
    """Download the completion list."""
    from eventsvc.events.series_exports import build_completion_pdf

    series, att, mask = _sheets(series_id)
    return _download(build_completion_pdf(att, mask=mask), PDF, f"{series.title}-结业名单.pdf")


@bp.get("/series/<int:series_id>/attendance.xlsx")
@staff_required
def attendance_xlsx(series_id: int) -> ResponseReturnValue:
    """Download both sheets (attendance and completion) as one workbook."""
    from eventsvc.events.series_exports import build_series_xlsx  # openpyxl: loaded on first use

    series, att, mask = _sheets(series_id)
    return _download(build_series_xlsx(att, mask=mask), XLSX, f"{series.title}-考勤与结业.xlsx")


@bp.get("/series/<int:series_id>/certificates/<int:participant_id>.pdf")
@staff_required
def certificate(series_id: int, participant_id: int) -> ResponseReturnValue:
    """Download one person's completion certificate (only for people who completed)."""
    from eventsvc.events.series_exports import build_certificate_pdf

    series = _series(series_id)
    require(series.certificates_enabled)
    person = next((p for p in series_attendance(series).completed if p.participant_id == participant_id), None)
    require(person is not None)
    assert person is not None
    url = url_for("series.verify", token=certificate_token(series, participant_id), _external=True)
    return _download(build_certificate_pdf(series, person, url), PDF, f"{series.title}-结业证书-{person.name}.pdf")


@bp.get("/v/<token>")
def verify(token: str) -> ResponseReturnValue:
    """Public page a certificate's QR opens: genuine certificates show what they certify; forged ones are refused."""
    found = verify_certificate(token)
    if found is None:
        response = Response(render_template("events/series_verify.html", series=None, person=None), status=404)
    else:
        series, person = found
        response = Response(render_template("events/series_verify.html", series=series, person=person))
    response.headers["Cache-Control"] = "no-store"
    return response
