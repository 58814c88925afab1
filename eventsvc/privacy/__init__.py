"""Retention and erasure of workers' personal data: the purge timer, an administrator's export and erase."""
