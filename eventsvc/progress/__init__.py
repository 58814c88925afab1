"""Counting rules, progress against targets, rollups by organization, the dashboard."""
