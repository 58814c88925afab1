"""Import every domain's models so the metadata (and Alembic) sees all tables."""
from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import (
    CheckIn,
    CheckInUndo,
    Participant,
    Registration,
    ScanRecord,
)
from eventsvc.core.verification import PhoneVerification
from eventsvc.events.models import Event, EventQuantity
from eventsvc.imports.models import ImportPreview
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import Program, Target

__all__ = [
    "AuditEntry", "CheckIn", "CheckInUndo", "Event", "EventQuantity", "ImportPreview", "Organization", "Participant",
    "PhoneVerification", "Program",
    "Registration", "ScanRecord", "Target", "User",
]
