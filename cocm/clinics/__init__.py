"""Clinic setup: settings, staff and their roles, and the checklist before the first patient."""
