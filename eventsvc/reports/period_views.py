"""/reports/period: the 月报 / 季报 page and its PDF and xlsx downloads."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from eventsvc.core.inputs import BadInput
from eventsvc.core.permissions import staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.core.timeutil import to_local, utcnow
from eventsvc.orgs.models import Organization
from eventsvc.orgs.queries import org_choices, scope_root
from eventsvc.progress.periods import Period
from eventsvc.reports.period_data import (
    PeriodError,
    PeriodReport,
    parse_period,
    period_report,
    quarter,
    reported_text,
    yoy_text,
)
from eventsvc.reports.views import PDF, XLSX, _filename, send_bytes

bp = Blueprint("reports_period", __name__)

MAX_ID = 2**31 - 1


def _org() -> Organization:
    """The unit asked for (?org=ID, within the user's scope), else the user's own scope root."""
    raw = (request.args.get("org") or "").strip()
    if not raw:
        return scope_root(current_user)
    if not raw.isdecimal() or not 0 < int(raw) <= MAX_ID:
        raise BadInput("单位参数无效，应为单位编号")
    return get_in_scope_or_404(Organization, int(raw), current_user, visible=current_user.reaches)


def _report() -> PeriodReport:
    try:
        period = parse_period(request.args.get("from"), request.args.get("to"))
    except PeriodError as exc:
        raise BadInput(str(exc)) from exc
    return period_report(current_user, _org(), period)


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _presets(today: date) -> list[tuple[str, Period]]:
    """Quick choices: this and last month, this and last quarter, this year so far."""
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    q = (today.month + 2) // 3
    last_q = quarter(today.year, q - 1) if q > 1 else quarter(today.year - 1, 4)
    return [("本月", Period(this_month, this_month)), ("上月", Period(last_month, last_month)),
            ("本季度", quarter(today.year, q)), ("上季度", last_q),
            ("本年累计", Period(date(today.year, 1, 1), this_month))]


@bp.get("/reports/period")
@staff_required
def period_page() -> str:
    """Show a unit's figures for a month, a quarter or any run of months, with downloads."""
    report = _report()
    today = (to_local(utcnow()) or utcnow()).date()
    args = {"from": _month(report.period.first), "to": _month(report.period.last), "org": report.org.id}
    presets = [(label, {"from": _month(p.first), "to": _month(p.last), "org": report.org.id})
               for label, p in _presets(today)]
    return render_template("reports/period.html", report=report, args=args, presets=presets,
                           orgs=org_choices(current_user), reported_text=reported_text, yoy_text=yoy_text)


@bp.get("/reports/period.pdf")
@staff_required
def period_pdf() -> Response:
    """Send the period report as an A4 landscape PDF."""
    from eventsvc.reports.pdf_period import build_period_pdf  # reportlab loads with the first PDF a worker builds

    report = _report()
    return send_bytes(build_period_pdf(report), PDF,
                      _filename(report.org.name, report.period.label, "工作情况报表") + ".pdf", attachment=False)


@bp.get("/reports/period.xlsx")
@staff_required
def period_xlsx() -> Response:
    """Send the period report as a spreadsheet."""
    from eventsvc.reports.period_xlsx import build_period_xlsx  # openpyxl likewise

    report = _report()
    return send_bytes(build_period_xlsx(report), XLSX,
                      _filename(report.org.name, report.period.label, "工作情况报表") + ".xlsx", attachment=True)
