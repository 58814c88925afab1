"""Report downloads (PDF, xlsx) and the admin settings page; importing lives in eventsvc.imports."""
from __future__ import annotations

import io
import re
from functools import partial
from importlib import metadata

from flask import Blueprint, Response, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import func, select

from eventsvc.audit.operations import record
from eventsvc.checkin.links import checkin_url
from eventsvc.checkin.operations import GROUPS
from eventsvc.checkin.queries import CHECKED_IN, STATUS_FILTERS, check_ins_by_participant, registrations_stmt
from eventsvc.core.permissions import ADMIN, may_export_full_phones, require, roles_required, staff_required
from eventsvc.core.scope import get_in_scope_or_404
from eventsvc.events.models import QR_DYNAMIC, Event
from eventsvc.extensions import db
from eventsvc.orgs.models import Organization
from eventsvc.programs.models import Program
from eventsvc.programs.queries import can_see_program
from eventsvc.reports import queries
from eventsvc.reports.streaming import iter_program_check_ins, send_spooled

# The builders (reportlab, openpyxl, Pillow: ~30 MB of modules) are imported inside the views that use them:
# this module is loaded by every worker at start, and most workers mostly take check-ins and show pages.

bp = Blueprint("reports", __name__)

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BLANK_ROWS = 500
MAX_REGISTRATION_ROWS = 50_000  # far above any venue; bounds the list held in memory
_UNSAFE = re.compile(r'[\\/:*?"<>|\r\n\t]+')


def _filename(*parts: str) -> str:
    """Build a download name from titles, without characters Windows refuses."""
    name = "-".join(_UNSAFE.sub("_", p).strip() for p in parts if p)
    return name[:80] or "report"


def send_bytes(data: bytes, mimetype: str, filename: str, *, attachment: bool) -> Response:
    """Send a generated file; it holds personal data, so no cache keeps it."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, download_name=filename, as_attachment=attachment,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _load_program(program_id: int) -> Program:
    """Return a program the user may see (district programs are everyone's), else answer 404."""
    return get_in_scope_or_404(Program, program_id, current_user, visible=partial(can_see_program, current_user))


def _mask_phones(may_see_full: bool, report: str, obj: Event | Program) -> bool:
    """Mask phones unless the user asks for full numbers (?phones=full) and may have them (§6).

    Full numbers go to administrators and organizers of the event's own unit only; each such export
    is written to the audit log (who, which report, which event/program) before the file is sent.
    """
    if request.args.get("phones") != "full":
        return True
    require(may_see_full, 403)
    record(current_user._get_current_object(), "export.full_phones", obj,
           summary=f"导出完整手机号：{report}《{getattr(obj, 'title', None) or getattr(obj, 'name', '')}》",
           changes={"report": report})
    db.session.commit()
    return False


def _own_unit_program(program: Program) -> bool:
    """Tell whether every event of the program the user sees belongs to the user's own unit."""
    others = db.session.scalar(
        select(func.count(Event.id)).join(Event.organization)
        .where(Event.program_id == program.id, Event.organization_id != current_user.organization_id,
               Organization.path.startswith(current_user.scope_path))
    )
    return not others


@bp.get("/events/<int:event_id>/roster.pdf")
@staff_required
def event_roster_pdf(event_id: int) -> Response:
    """Send the event's roster (签到表) sorted by check-in time."""
    from eventsvc.reports.pdf_roster import build_roster_pdf

    event = get_in_scope_or_404(Event, event_id, current_user)
    mask = _mask_phones(may_export_full_phones(current_user, event.organization), "签到表 PDF", event)
    pdf = build_roster_pdf(queries.event_header(event), queries.roster_rows(event.id), mask=mask)
    return send_bytes(pdf, PDF, _filename(event.title, "签到表") + ".pdf", attachment=False)


@bp.get("/events/<int:event_id>/blank-roster.pdf")
@staff_required
def blank_roster_pdf(event_id: int) -> Response:
    """Send a paper sign-in sheet with N empty numbered rows (1..500)."""
    from eventsvc.reports.pdf_roster import build_blank_roster_pdf

    event = get_in_scope_or_404(Event, event_id, current_user)
    raw = request.args.get("rows", "30").strip()
    require(raw.isdecimal() and 1 <= int(raw) <= MAX_BLANK_ROWS, 400)
    pdf = build_blank_roster_pdf(queries.event_header(event), int(raw))
    return send_bytes(pdf, PDF, _filename(event.title, "纸质签到表") + ".pdf", attachment=False)


@bp.get("/events/<int:event_id>/poster.pdf")
@staff_required
def event_poster_pdf(event_id: int) -> Response:
    """Send the A4 poster with the event's static check-in QR (dynamic events: scan the venue screen)."""
    from eventsvc.reports.pdf_poster import build_poster_pdf

    event = get_in_scope_or_404(Event, event_id, current_user)
    url = None if event.qr_mode == QR_DYNAMIC else checkin_url(event)  # a printed dynamic code is refused
    pdf = build_poster_pdf(queries.event_header(event), url)
    return send_bytes(pdf, PDF, _filename(event.title, "签到二维码") + ".pdf", attachment=False)


@bp.get("/events/<int:event_id>/registrations.xlsx")
@staff_required
def event_registrations_xlsx(event_id: int) -> Response:
    """Send the registration list as on its page (same status filter and search), phones masked by default."""
    from eventsvc.reports.xlsx_registrations import RegistrationRow, build_registrations_xlsx

    event = get_in_scope_or_404(Event, event_id, current_user)
    status = request.args.get("status", "")
    stmt = registrations_stmt(event, status if status in STATUS_FILTERS else "", request.args.get("q", ""))
    regs = list(db.session.scalars(stmt.limit(MAX_REGISTRATION_ROWS)))
    checks = check_ins_by_participant(event, [r.participant_id for r in regs])
    rows = [RegistrationRow(
        r.shown_name, r.participant.phone, r.shown_workplace, r.participant.group,
        STATUS_FILTERS[CHECKED_IN] if r.participant_id in checks else r.status_label, r.created_at,
        checks[r.participant_id].checked_in_at if r.participant_id in checks else None) for r in regs]
    mask = _mask_phones(may_export_full_phones(current_user, event.organization), "报名名单 xlsx", event)
    data = build_registrations_xlsx(queries.event_header(event), rows, mask=mask)
    return send_bytes(data, XLSX, _filename(event.title, "报名名单") + ".xlsx", attachment=True)


@bp.get("/events/<int:event_id>/checkins.xlsx")
@staff_required
def event_checkins_xlsx(event_id: int) -> Response:
    """Send the event's check-ins as a spreadsheet."""
    from eventsvc.reports.xlsx_export import build_event_checkins_xlsx

    event = get_in_scope_or_404(Event, event_id, current_user)
    mask = _mask_phones(may_export_full_phones(current_user, event.organization), "签到明细 xlsx", event)
    data = build_event_checkins_xlsx(queries.event_header(event), queries.roster_rows(event.id), mask=mask)
    return send_bytes(data, XLSX, _filename(event.title, "签到明细") + ".xlsx", attachment=True)


@bp.get("/events/<int:event_id>/import-template.xlsx")
@staff_required
def import_template_xlsx(event_id: int) -> Response:
    """Send the sheet to type a paper sign-in sheet into."""
    from eventsvc.reports.xlsx_export import build_import_template_xlsx

    event = get_in_scope_or_404(Event, event_id, current_user)
    data = build_import_template_xlsx(queries.event_header(event), GROUPS)
    return send_bytes(data, XLSX, _filename(event.title, "签到导入模板") + ".xlsx", attachment=True)


@bp.get("/programs/<int:program_id>/ledger.pdf")
@staff_required
def program_ledger_pdf(program_id: int) -> Response:
    """Send the program's ledger (台账), counting only the user's subtree."""
    from eventsvc.reports.ledger_appendix import ledger_appendix
    from eventsvc.reports.pdf_ledger import build_ledger_pdf

    program = _load_program(program_id)
    ledger = queries.ledger_data(program, current_user)
    appendix = ledger_appendix(ledger) if request.args.get("appendix") == "1" else None  # the 简报 pages
    pdf = build_ledger_pdf(ledger, appendix=appendix)
    return send_bytes(pdf, PDF, _filename(f"{program.year}", program.name, "台账") + ".pdf", attachment=False)


@bp.get("/programs/<int:program_id>/ledger.xlsx")
@staff_required
def program_ledger_xlsx(program_id: int) -> Response:
    """Send the program's ledger as a spreadsheet: targets, events, check-ins."""
    from eventsvc.reports.xlsx_export import write_ledger_xlsx

    program = _load_program(program_id)
    full_ok = may_export_full_phones(current_user, None) or (
        current_user.can_manage and not current_user.is_admin and _own_unit_program(program))
    mask = _mask_phones(full_ok, "项目台账 xlsx", program)
    ledger = queries.ledger_data(program, current_user)
    # A year's check-ins: rows fetched in batches straight into a spooled file, never a list in memory.
    return send_spooled(lambda out: write_ledger_xlsx(out, ledger, iter_program_check_ins(program, current_user),
                                                      mask=mask),
                        XLSX, _filename(f"{program.year}", program.name, "台账") + ".xlsx", attachment=True)


@bp.get("/reports/year/<int:year>.pdf")
@staff_required
def year_overview_pdf(year: int) -> Response:
    """Send every visible program's progress for a year."""
    from eventsvc.reports.pdf_ledger import build_year_overview_pdf

    require(2000 <= year <= 2100)
    pdf = build_year_overview_pdf(queries.year_overview(current_user, year))
    return send_bytes(pdf, PDF, f"{year}年度工作项目进度一览.pdf", attachment=False)


@bp.get("/admin/settings")
@roles_required(ADMIN)
def admin_settings() -> str:
    """Show which PDF font is used, the app version and the database kind."""
    from eventsvc.reports.fonts import pdf_font_info

    try:
        version = metadata.version("eventsvc")
    except metadata.PackageNotFoundError:
        version = "未安装（源码运行）"
    url = db.engine.url
    database = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(url.get_backend_name(), url.get_backend_name())
    return render_template(
        "reports/admin_settings.html",
        font=pdf_font_info(),
        version=version,
        database=database,
        database_url=url.render_as_string(hide_password=True),
        public_base_url=current_app.config.get("PUBLIC_BASE_URL") or "（未设置，使用访问地址）",
    )
