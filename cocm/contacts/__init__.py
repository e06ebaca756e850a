"""Contacts with patients: the contact note, its time entry, measures taken during it."""
