"""The contact note and the standalone time log."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from cocm.contacts.templates import TEMPLATES
from cocm.models.enums import ACTIVITIES
from staff_app.forms.common import TokenMixin, item_fields, options

KIND_CHOICES = [
    ("phone", "Phone"),
    ("video", "Video"),
    ("portal", "Portal message"),
    ("in_person", "In person"),
]
OUTCOME_CHOICES = [
    ("reached", "Reached the patient"),
    ("no_answer", "No answer"),
    ("left_message", "Left a message"),
    ("wrong_number", "Wrong number"),
    ("declined", "Patient declined"),
]
ACTIVITY_CHOICES = [(a, a.replace("_", " ").capitalize()) for a in ACTIVITIES]
TEMPLATE_CHOICES = [("", "No template")] + [(t.code, t.label) for t in TEMPLATES.values()]


class ContactForm(TokenMixin, FlaskForm):
    kind = SelectField("How", choices=options(KIND_CHOICES), validate_choice=False)
    outcome = SelectField("Outcome", choices=options(OUTCOME_CHOICES), validate_choice=False)
    template = SelectField(
        "Note template", choices=options(TEMPLATE_CHOICES), validate_choice=False
    )
    occurred_at = DateTimeLocalField("When", validators=[Optional()])
    note = TextAreaField("Note")
    minutes = IntegerField("Minutes", validators=[Optional()])
    activity = SelectField("Activity", choices=options(ACTIVITY_CHOICES), validate_choice=False)
    next_contact_at = DateTimeLocalField("Next contact", validators=[Optional()])
    next_action = StringField("Next action")
    confirm_by_text = BooleanField(
        "Text a confirmation request now (otherwise one goes automatically two days before)"
    )


for _name, _field in {**item_fields("PHQ-9", "phq9"), **item_fields("GAD-7", "gad7")}.items():
    setattr(ContactForm, _name, _field)


class TimeForm(TokenMixin, FlaskForm):
    performed_on = DateField("Day", validators=[Optional()])
    minutes = IntegerField("Minutes", validators=[Optional()])
    activity = SelectField("Activity", choices=options(ACTIVITY_CHOICES), validate_choice=False)
    note = TextAreaField("What was done (optional)")
