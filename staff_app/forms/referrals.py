"""Making a referral and marking it scheduled, seen or cancelled."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from staff_app.forms.common import options

KIND_CHOICES = [
    ("therapy", "Therapy"),
    ("psychiatry", "Psychiatry"),
    ("social_services", "Social services"),
    ("specialty", "Specialty care"),
]
STATUS_CHOICES = [
    ("scheduled", "Scheduled"),
    ("seen", "Seen"),
    ("cancelled", "Cancelled"),
]


class ReferralForm(FlaskForm):
    kind = SelectField("Kind", choices=options(KIND_CHOICES), validate_choice=False)
    to_whom = StringField("Referred to")
    due_by = DateField("Seen by (default: 30 days)", validators=[Optional()])
    note = TextAreaField("Note (optional)")


class ReferralUpdateForm(FlaskForm):
    status = SelectField("Mark as", choices=options(STATUS_CHOICES), validate_choice=False)
    on = DateField("Day", validators=[Optional()])
    note = StringField("Note")
