"""Routes of the checkin blueprint (registration_views)."""
from eventsvc.checkin.views import bp  # noqa: F401
