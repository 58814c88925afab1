"""Import every domain's models so the metadata (and Alembic) sees all tables."""
from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.models import (
    CheckIn,
    Participant,
    Registration,
    ScanRecord,
)
from eventsvc.core.verification import PhoneVerification
from eventsvc.events.models import Event, EventQuantity
from eventsvc.imports.models import ImportPreview
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import Program, Target
from eventsvc.programs.reported_models import ReportedFigure

__all__ = [
    "AuditEntry", "CheckIn", "Event", "EventQuantity", "ImportPreview", "Organization", "Participant",
    "PhoneVerification", "PlanUnitAlias", "Program",
    "Registration", "ReportedFigure", "ScanRecord", "Target", "User",
]
