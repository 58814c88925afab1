"""Error pages in Chinese, JSON for API clients, never a stack trace."""
from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eventsvc.core.permissions import wants_json

MESSAGES = {
    400: "请求内容有误，请检查后重试。",
    403: "您没有权限访问此页面或执行此操作。",
    404: "页面不存在，或您无权查看。",
    405: "不支持该请求方式。",
    413: "上传的文件太大。",
    429: "操作太频繁，请稍后再试。",
    500: "系统出现错误，请稍后重试；如果一直出现，请联系管理员。",
}


def _respond(status: int, message: str) -> ResponseReturnValue:
    if wants_json():
        return jsonify(ok=False, error=message, status=status), status
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return _respond(400, "页面已过期或来源无法验证，请返回上一页刷新后重新提交。")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        from eventsvc.core.inputs import BadInput

        if isinstance(exc, BadInput):  # its message says what was wrong with the input
            return _respond(400, exc.description or MESSAGES[400])
        status = exc.code or 500
        return _respond(status, MESSAGES.get(status, exc.description or MESSAGES[500]))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        from eventsvc.extensions import db

        db.session.rollback()
        return _respond(500, MESSAGES[500])
