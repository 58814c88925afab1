"""Routes of the checkin blueprint (public_views)."""
from eventsvc.checkin.views import bp  # noqa: F401
