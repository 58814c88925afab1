"""Administrator page for a person's data requests: look a worker up by phone, export, erase."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant, Registration
from eventsvc.checkin.queries import find_participant
from eventsvc.core.exceptions import OperationError
from eventsvc.core.permissions import ADMIN, require, roles_required
from eventsvc.extensions import db
from eventsvc.privacy.export import person_data, person_json, person_xlsx
from eventsvc.privacy.operations import erase_person, note_export
from eventsvc.reports.views import send_bytes

bp = Blueprint("privacy", __name__)


def _person(participant_id: int) -> Participant:
    require(not current_user.scope_path, 403)  # a person's data spans the district: district admins only
    person = db.session.get(Participant, participant_id)
    if person is None:
        abort(404)
    return person


def _counts(person: Participant) -> dict[str, int]:
    return {
        "check_ins": db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.participant_id == person.id)) or 0,
        "registrations": db.session.scalar(
            select(func.count(Registration.id)).where(Registration.participant_id == person.id)) or 0,
    }


@bp.route("/admin/privacy", methods=["GET", "POST"])
@roles_required(ADMIN)
def find_person() -> ResponseReturnValue:
    """Find a worker by phone (POSTed, so the number stays out of URLs and access logs)."""
    require(not current_user.scope_path, 403)
    form = FlaskForm()
    person, error = None, ""
    if request.method == "POST" and form.validate_on_submit():
        person = find_participant(request.form.get("phone", "")[:20])
        if person is None:
            error = "没有找到该手机号的职工（号码有误，或其信息已被删除）。"
    return render_template("privacy/person.html", form=form, person=person, error=error,
                           counts=_counts(person) if person else None)


@bp.route("/admin/privacy/<int:participant_id>/export", methods=["POST"])
@roles_required(ADMIN)
def export_person(participant_id: int) -> ResponseReturnValue:
    """Send everything stored about the person as JSON or xlsx; the export is audited."""
    person = _person(participant_id)
    fmt = request.form.get("format", "json")
    require(fmt in ("json", "xlsx"), 400)
    try:
        note_export(person, by=current_user._get_current_object(), fmt=fmt)
    except OperationError:
        abort(403)
    data = person_data(person)
    db.session.commit()
    if fmt == "xlsx":
        return send_bytes(person_xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          f"个人信息-{person.id}.xlsx", attachment=True)
    return send_bytes(person_json(data), "application/json", f"个人信息-{person.id}.json", attachment=True)


@bp.route("/admin/privacy/<int:participant_id>/erase", methods=["POST"])
@roles_required(ADMIN)
def erase(participant_id: int) -> ResponseReturnValue:
    """Erase the person's personal data after an explicit confirmation; counts are kept."""
    person = _person(participant_id)
    form = FlaskForm()
    if not form.validate_on_submit() or request.form.get("confirm") != "yes":
        flash("请勾选“确认删除”后再提交。", "error")
        return render_template("privacy/person.html", form=form, person=person, error="", counts=_counts(person)), 400
    try:
        erase_person(person, by=current_user._get_current_object(), reason=request.form.get("reason", ""))
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("privacy.find_person"))
    db.session.commit()
    flash(f"已删除职工 #{person.id} 的个人信息；其签到记录保留为“已匿名”，统计数字不变。", "success")
    return redirect(url_for("privacy.find_person"))
