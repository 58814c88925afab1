"""Notices that reach workers: an outbox written with the change, delivered by `flask notices deliver`."""
