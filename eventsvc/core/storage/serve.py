"""Send a stored file to a user the view has already checked: no public URLs, only this response."""
from __future__ import annotations

from flask import Response, abort, send_file

from eventsvc.core.storage.base import FileMissing, Storage
from eventsvc.core.storage.factory import get_storage


def send_stored(key: str, *, content_type: str, download_name: str, as_attachment: bool = False,
                storage: Storage | None = None) -> Response:
    """Stream the object under key; 404 if it is gone. Call only after the scope check on its event."""
    storage = storage or get_storage()
    try:
        size = storage.size(key)
        stream = storage.open(key)
    except FileMissing:
        abort(404)
    response = send_file(stream, mimetype=content_type, as_attachment=as_attachment, download_name=download_name,
                         conditional=False, max_age=0)
    response.content_length = size
    # Keys never change content, but access may be withdrawn: let only this user's browser keep a copy, briefly.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
