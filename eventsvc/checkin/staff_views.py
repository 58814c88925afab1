"""Routes of the checkin blueprint (staff_views)."""
from eventsvc.checkin.views import bp  # noqa: F401
