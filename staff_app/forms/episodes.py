"""Closing an episode (or stepping it down) and signing a care plan."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from staff_app.forms.common import options
from staff_app.forms.referrals import KIND_CHOICES

OUTCOME_CHOICES = [
    ("relapse_prevention", "Step down to relapse prevention"),
    ("completed", "Completed"),
    ("transferred", "Transferred to other care"),
    ("disengaged", "Disengaged"),
]


class CloseForm(FlaskForm):
    outcome = RadioField("Outcome", choices=options(OUTCOME_CHOICES), validate_choice=False)
    note = TextAreaField("Close-out note")
    reentry_note = TextAreaField("How the patient can come back (re-entry path)")
    referral_kind = SelectField(
        "Referral kind", choices=options(KIND_CHOICES), validate_choice=False
    )
    referral_to_whom = StringField("Transferred to")
    referral_due_by = DateField("Seen by (default: 30 days)", validators=[Optional()])
    referral_note = TextAreaField("Referral note (optional)")


class SignForm(FlaskForm):
    """Only the CSRF token: signing has no other input."""
