"""Forms of the case review: the agenda, the consultant's record, the decision, closing the loop."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from cocm.review.agenda import REASON_LABELS
from cocm.review.recommendations import COMMUNICATION_WAYS, KIND_LABELS
from staff_app.forms.common import options

REC_SLOTS = 3


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AddPatientForm(FlaskForm):
    mrn = StringField("Patient MRN")
    reason = SelectField(
        "Why",
        choices=options((r, REASON_LABELS[r]) for r in ("medication_question", "added")),
        validate_choice=False,
    )
    note = TextAreaField("Question or reason for the consultant")


class AttendeesForm(FlaskForm):
    attendees = SelectMultipleField(
        "Attended",
        coerce=int,
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


class RecommendationSlot(Form):
    kind = SelectField(
        "Recommendation",
        choices=options([("", "—"), *KIND_LABELS.items()]),
        validate_choice=False,
    )
    detail = StringField("Detail")
    dose = StringField("Dose (medication)")


class RecordForm(FlaskForm):
    assessment = TextAreaField("Assessment")
    minutes = IntegerField("Minutes spent", validators=[Optional()])
    recs = FieldList(FormField(RecommendationSlot), min_entries=REC_SLOTS, max_entries=REC_SLOTS)


class DecideForm(FlaskForm):
    action = RadioField(
        "Decision",
        choices=options(
            [("approve", "Approve"), ("modify", "Approve with changes"), ("decline", "Decline")]
        ),
        validate_choice=False,
    )
    modified_detail = TextAreaField("Recommendation as you approve it (with changes)")
    reason = TextAreaField("Reason (required to decline)")


class CommunicateForm(FlaskForm):
    how = SelectField(
        "How the patient was told",
        choices=options([("", "—"), *COMMUNICATION_WAYS.items()]),
        validate_choice=False,
    )
    when = DateTimeLocalField(
        "When (clinic time)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    plan_changed = RadioField(
        "Did the care plan change?",
        choices=options([("yes", "Yes: write a new version"), ("no", "No change to the plan")]),
        validate_choice=False,
    )
    goals = TextAreaField("Goals")
    medications = TextAreaField("Medications")
    skill_plan = TextAreaField("Skills")
    follow_up = TextAreaField("Follow-up")
    safety_steps = TextAreaField("Safety steps")
    change_summary = TextAreaField("What changed, in a line")
