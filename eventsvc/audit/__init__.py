"""The append-only audit log: who changed what, when, in which unit."""
