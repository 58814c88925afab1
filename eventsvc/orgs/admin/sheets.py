"""What the organization and account admin pages share: an operation's refusal shown on its form, and the
upload-preview-confirm steps of a sheet import (imports/operations.py does the work)."""
from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db
from eventsvc.imports import operations as imports_ops
from eventsvc.imports.kinds import ImportKind
from eventsvc.imports.views import _max_bytes, _read_upload, confirm_preview
from eventsvc.orgs.models import Organization, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def form_error(form: Any, exc: OperationError) -> None:
    """Show an operation's refusal beside its field, or on top of the form."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "error")


def preview_page(kind: ImportKind[Organization], target: Organization, template: str, *,
                 by: User) -> ResponseReturnValue:
    """Upload form (GET), or the stored preview of the posted sheet (POST); 400 with the reason on a bad file."""
    error, preview = "", None
    if request.method == "POST":
        try:
            data, filename = _read_upload()
            preview = imports_ops.preview_import(kind, target, target.id, data, by=by, filename=filename)
        except OperationError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
    return render_template(template, target=target, preview=preview, error=error,
                           max_mb=_max_bytes() // (1024 * 1024)), 400 if error else 200


def confirm_sheet(kind: ImportKind[Organization], target: Organization, *, by: User, again: str, what: str,
                  failed: str) -> imports_ops.Confirmed | Response:
    """Confirm the posted preview of a sheet into `target`; the redirect to `again` when it cannot be."""
    return confirm_preview(kind, target, target.id, by=by, again=again, what=what, failed=failed)
