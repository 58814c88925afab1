"""Routes of the checkin blueprint (scanner_views)."""
from eventsvc.checkin.views import bp  # noqa: F401
