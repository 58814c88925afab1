"""Every state change of the checkin domain, split by subject:

- checkins: participants, check-in (one per person per event), undo, check-out;
- registrations: registering ahead, waitlist and cancellation, e-ticket check-in;
- scans: staff scans, single or as an offline batch, idempotent by the device's scan id;
- review: self check-ins held as 待核实 (one device, too many people) and the organizer's decision;
- voids: an organizer's void (作废) of a mistaken check-in, the row kept but not counted.
"""
from eventsvc.checkin.operations.checkins import (
    GROUPS,
    METHODS,
    CheckInRefused,
    CheckInResult,
    check_in,
    check_in_typed,
    check_out,
    checkin_window,
    ensure_open,
    may_edit_participant,
    person_at_event,
    person_from_row,
    record_participant,
    undo_check_in,
    upsert_participant,
    validate_person,
)
from eventsvc.checkin.operations.registrations import (
    cancel_registration,
    check_in_by_ticket,
    promote_waitlisted,
    register,
    ticket_token_from,
)
from eventsvc.checkin.operations.review import Source, confirm_check_in, device_limit, pending_reason, reject_check_in
from eventsvc.checkin.operations.scans import (
    MAX_BATCH,
    MODE_IN,
    MODE_OUT,
    Mode,
    Outcome,
    Scan,
    ScanRaced,
    ScanResult,
    clamp_scanned_at,
    process_scan,
    sync_scans,
)
from eventsvc.checkin.operations.voids import void_check_in

__all__ = [
    "GROUPS", "MAX_BATCH", "METHODS", "MODE_IN", "MODE_OUT", "CheckInRefused", "CheckInResult", "Mode", "Outcome",
    "Scan", "ScanResult", "Source", "cancel_registration", "confirm_check_in", "device_limit", "pending_reason",
    "may_edit_participant", "person_at_event", "person_from_row",
    "reject_check_in", "check_in", "check_in_by_ticket", "check_in_typed", "check_out", "checkin_window",
    "clamp_scanned_at", "ensure_open",
    "process_scan", "ScanRaced", "promote_waitlisted", "register", "sync_scans", "ticket_token_from", "undo_check_in",
    "record_participant", "upsert_participant", "validate_person", "void_check_in",
]
