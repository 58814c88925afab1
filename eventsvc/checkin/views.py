"""The checkin blueprint; its routes live in the files imported at the bottom."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)

# Route modules register on `bp` when imported (after bp exists).
from eventsvc.checkin import (  # noqa: E402,F401
    public_views,
    registration_views,
    scanner_views,
    staff_views,
)
