"""Referrals tracked until the patient was actually seen."""
