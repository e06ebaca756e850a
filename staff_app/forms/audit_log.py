"""Filters of the audit log (a GET form: nothing changes, so no CSRF token is needed)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from staff_app.forms.common import int_or_none


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    staff_id = SelectField("Person", coerce=int_or_none, validate_choice=False)
    patient_id = IntegerField("Patient id", validators=[Optional(), NumberRange(min=1)])
    action = StringField("Action", validators=[Optional()])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)], default=1)
