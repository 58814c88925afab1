"""eventsvc: programs, events, QR check-in and progress ledgers for a district trade-union federation."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from eventsvc.config import INSTANCE_DIR, load_config
from eventsvc.core.ratelimits import init_rate_limits
from eventsvc.core.sms import get_sms_sender
from eventsvc.extensions import csrf, db, login_manager, migrate


def create_app(config: dict[str, Any] | type | None = None) -> Flask:
    """Build the Flask app: config, extensions, blueprints, CLI. Does no database work."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_mapping(load_config(config))
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development (environment variable SECRET_KEY)")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)

    import eventsvc.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "orgs.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    init_rate_limits(app)
    get_sms_sender(app)  # fails now, not at the first code sent, when the SMS settings cannot work

    _register_blueprints(app)
    _register_template_helpers(app)

    from eventsvc.core.errors import register_error_handlers

    register_error_handlers(app)

    from eventsvc.cli import register_cli

    register_cli(app)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from eventsvc.checkin.public.views import bp as checkin_public_bp
    from eventsvc.checkin.scanner.views import bp as checkin_scanner_bp
    from eventsvc.checkin.staff.views import bp as checkin_staff_bp
    from eventsvc.events.views import bp as events_bp
    from eventsvc.imports.views import bp as imports_bp
    from eventsvc.orgs.views import bp as orgs_bp
    from eventsvc.programs.views import bp as programs_bp
    from eventsvc.progress.program_views import bp as progress_programs_bp
    from eventsvc.progress.views import bp as progress_bp
    from eventsvc.reports.views import bp as reports_bp

    for bp in (orgs_bp, programs_bp, events_bp, checkin_public_bp, checkin_staff_bp, checkin_scanner_bp,
               progress_bp, progress_programs_bp, reports_bp, imports_bp):
        app.register_blueprint(bp)

    from eventsvc.orgs.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

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
