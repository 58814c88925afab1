"""Event staff pages: the event page with attendees, walk-ins, registrations, the check-in QR, the venue screen."""
