"""Enrolling a patient in collaborative care: patient, consent, episode, baseline, care plan."""
