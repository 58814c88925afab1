"""eventsvc: programs, events, QR check-in and progress ledgers for a district trade-union federation."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from eventsvc.config import INSTANCE_DIR, load_config, secret_key_problem
from eventsvc.core.inputs import init_input_checks
from eventsvc.core.ratelimits import init_rate_limits
from eventsvc.core.sms import get_sms_sender
from eventsvc.extensions import csrf, db, login_manager


def create_app(config: dict[str, Any] | type | None = None, *, migrations: bool = True) -> Flask:
    """Build the Flask app: config, extensions, blueprints, CLI. Does no database work.

    `migrations=False` (wsgi.py, what gunicorn serves) leaves out Flask-Migrate: alembic, mako and pygments
    are ~12 MB in every worker, and only `flask --app eventsvc db …` and the migration tests use them.
    """
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_mapping(load_config(config))
    problem = secret_key_problem(app.config)
    if problem:
        raise RuntimeError(problem)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)

    import eventsvc.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    if app.config.get("DB_CHECKOUT_CHECK") and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from eventsvc.core.pg_liveness import check_at_checkout

        with app.app_context():
            check_at_checkout(db.engine)  # creates the engine object only: nothing connects yet
    if migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(_migrations_dir()))
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "orgs.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    init_rate_limits(app)
    get_sms_sender(app)  # fails now, not at the first code sent, when the SMS settings cannot work

    init_input_checks(app)  # before the blueprints: their <int:…> rules take the bounded converter
    _register_blueprints(app)
    _register_template_helpers(app)

    from eventsvc.core.errors import register_error_handlers

    register_error_handlers(app)

    from eventsvc.cli import register_cli

    register_cli(app)

    from eventsvc.core.headers import init_security_headers

    init_security_headers(app)

    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from eventsvc.audit.views import bp as audit_bp
    from eventsvc.checkin.public.verify import bp as checkin_verify_bp
    from eventsvc.checkin.public.views import bp as checkin_public_bp
    from eventsvc.checkin.scanner.views import bp as checkin_scanner_bp
    from eventsvc.checkin.staff.review_views import bp as checkin_review_bp
    from eventsvc.checkin.staff.today_views import bp as checkin_today_bp
    from eventsvc.checkin.staff.views import bp as checkin_staff_bp
    from eventsvc.events.views import bp as events_bp
    from eventsvc.imports.plan_views import bp as plan_import_bp
    from eventsvc.imports.views import bp as imports_bp
    from eventsvc.orgs.admin.units_views import bp as admin_units_bp
    from eventsvc.orgs.views import bp as orgs_bp
    from eventsvc.privacy.views import bp as privacy_bp
    from eventsvc.programs.reported_views import bp as programs_reported_bp
    from eventsvc.programs.views import bp as programs_bp
    from eventsvc.progress.program_views import bp as progress_programs_bp
    from eventsvc.progress.views import bp as progress_bp
    from eventsvc.reports.views import bp as reports_bp

    app.register_blueprint(audit_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(programs_reported_bp)
    app.register_blueprint(checkin_verify_bp)
    app.register_blueprint(checkin_review_bp)
    app.register_blueprint(checkin_today_bp)
    from eventsvc.events.evidence_views import bp as evidence_bp
    from eventsvc.reports.brief_views import bp as reports_brief_bp

    app.register_blueprint(evidence_bp)
    app.register_blueprint(reports_brief_bp)
    for bp in (orgs_bp, programs_bp, events_bp, checkin_public_bp, checkin_staff_bp, checkin_scanner_bp,
               progress_bp, progress_programs_bp, reports_bp, imports_bp, plan_import_bp, admin_units_bp):
        app.register_blueprint(bp)

    from eventsvc.checkin.staff.wall_views import bp as checkin_wall_bp
    from eventsvc.notices.views import bp as notices_bp

    app.register_blueprint(checkin_wall_bp)
    app.register_blueprint(notices_bp)

    from eventsvc.reports.period_views import bp as reports_period_bp

    app.register_blueprint(reports_period_bp)

    from eventsvc.orgs.admin.users_views import bp as admin_users_bp

    app.register_blueprint(admin_users_bp)

    from eventsvc.stations.evidence_views import bp as station_evidence_bp
    from eventsvc.stations.public_views import bp as stations_public_bp
    from eventsvc.stations.views import bp as stations_bp

    app.register_blueprint(stations_bp)
    app.register_blueprint(stations_public_bp)
    app.register_blueprint(station_evidence_bp)

    from eventsvc.events.series_views import bp as series_bp

    app.register_blueprint(series_bp)

    from eventsvc.orgs.sessions import load_user

    login_manager.user_loader(load_user)  # refuses stale session versions and inactive accounts

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        from flask import flash, jsonify, redirect, request, url_for

        from eventsvc.core.permissions import wants_json

        if wants_json():
            return jsonify(ok=False, error="请先登录。", status=401), 401
        flash("请先登录。", "warning")
        return redirect(url_for("orgs.login", next=request.full_path))


def _register_template_helpers(app: Flask) -> None:
    from eventsvc.core.phones import mask_phone
    from eventsvc.core.timeutil import fmt_local

    app.jinja_env.filters["local"] = fmt_local
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["local_time"] = lambda dt: fmt_local(dt, "%H:%M")
    app.jinja_env.filters["local_date"] = lambda dt: fmt_local(dt, "%Y-%m-%d")

    from eventsvc.core.figures import fmt_figure
    from eventsvc.programs.models import SOURCE_LABELS

    app.jinja_env.filters["figure"] = fmt_figure  # 3.2, 1600; figure(2) for money: 3.20
    app.jinja_env.globals["source_labels"] = SOURCE_LABELS


@sa_event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL + busy timeout let concurrent check-ins wait instead of failing with 'locked'."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
