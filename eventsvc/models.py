"""Import every domain's models so the metadata (and Alembic) sees all tables."""
from eventsvc.audit.models import AuditEntry
from eventsvc.checkin.counters import EventCount
from eventsvc.checkin.models import (
    CheckIn,
    Participant,
    Registration,
    ScanRecord,
)
from eventsvc.core.verification import PhoneVerification
from eventsvc.events.evidence_models import EventAttachment, EventSummary
from eventsvc.events.models import Event, EventQuantity
from eventsvc.events.series_models import Series
from eventsvc.imports.models import ImportPreview
from eventsvc.imports.plan_models import PlanUnitAlias
from eventsvc.notices.models import Notice, ReminderOptOut
from eventsvc.orgs.models import Organization, User
from eventsvc.programs.models import Program, Target
from eventsvc.programs.reported_models import ReportedFigure
from eventsvc.stations.models import Station, StationProgram, StationSupply, StationVisit

__all__ = [
    "AuditEntry", "CheckIn", "Event", "EventQuantity", "ImportPreview", "Notice", "Organization", "Participant",
    "PhoneVerification", "PlanUnitAlias", "Program",
    "Registration", "ReminderOptOut", "ReportedFigure", "ScanRecord", "Target", "User",
    "EventAttachment", "EventSummary", "EventCount",
    "Series", "Station", "StationProgram", "StationSupply", "StationVisit",
]
