"""Clinic setup forms: settings with the escalation chain, adding and changing staff."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from staff_app.forms.common import int_or_none, options

ROLE_CHOICES = [
    ("care_manager", "Care manager"),
    ("treating_clinician", "Treating clinician"),
    ("psychiatric_consultant", "Psychiatric consultant"),
    ("clinic_lead", "Clinic lead"),
    ("admin", "Admin"),
]
WEEKDAY_CHOICES = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]
CHAIN_LENGTH = 5


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    name = StringField("Clinic name")
    phone_display = StringField("Clinic phone shown to patients")
    sms_number = StringField("Texting number (E.164, e.g. +12025550143)")
    messaging_service_sid = StringField("or Twilio Messaging Service SID")
    timezone = SelectField("Time zone", validate_choice=False)
    text_window_start = TimeField("Texts from", validators=[Optional()])
    text_window_end = TimeField("Texts until", validators=[Optional()])
    hours_start = TimeField("Clinic opens", validators=[Optional()])
    hours_end = TimeField("Clinic closes", validators=[Optional()])
    open_weekdays = CheckboxesField(
        "Open days", choices=options(WEEKDAY_CHOICES), coerce=int, validate_choice=False
    )
    escalation_minutes = IntegerField("Page the next person after (minutes)", [Optional()])
    on_call_id = SelectField("On call after hours", coerce=int_or_none, validate_choice=False)
    chain_ids = FieldList(
        SelectField(coerce=int_or_none, validate_choice=False), min_entries=CHAIN_LENGTH
    )
    default_cadence_days = IntegerField("Measure every (days)", [Optional()])
    response_cadence_days = IntegerField("After response, measure every (days)", [Optional()])
    review_weekday = SelectField(
        "Case review day",
        choices=options([("", "Not set")] + [(str(v), label) for v, label in WEEKDAY_CHOICES]),
        coerce=int_or_none,
        validate_choice=False,
    )
    review_time = TimeField("Case review time", validators=[Optional()])
    enrollment_script = TextAreaField("Enrollment script (read to the patient)")
    idle_timeout_minutes = IntegerField("Sign staff out after idle (minutes)", [Optional()])
    disengage_after_attempts = IntegerField("Outreach attempts before disengaging", [Optional()])
    use_first_names = BooleanField("Use first names in texts")
    portal_links_enabled = BooleanField("Send portal links in texts")


class NewStaffForm(FlaskForm):
    email = EmailField("E-mail")
    full_name = StringField("Name")
    password = PasswordField("Temporary password (at least 10 characters)")
    phone = StringField("Phone for pages")
    roles = CheckboxesField("Roles", choices=options(ROLE_CHOICES), validate_choice=False)


class EditStaffForm(FlaskForm):
    full_name = StringField("Name")
    phone = StringField("Phone for pages")
    roles = CheckboxesField(
        "Roles in this clinic", choices=options(ROLE_CHOICES), validate_choice=False
    )


class ActiveForm(FlaskForm):
    """Only the CSRF token: the URL says what to do."""
