"""State changes for organizations and users, re-exported for existing imports."""
from eventsvc.orgs.operations.accounts import *  # noqa: F403
from eventsvc.orgs.operations.accounts import change_password, create_user, record_login
from eventsvc.orgs.operations.units import *  # noqa: F403
from eventsvc.orgs.operations.units import create_organization

__all__ = ["change_password", "create_organization", "create_user", "record_login"]
