"""Fixtures for the event pages."""
from tests.events.helpers import pending_nav_links  # noqa: F401  (autouse)
