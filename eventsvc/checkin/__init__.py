"""Participants, registrations, check-ins, tokens, public mobile pages and the staff scanner."""
