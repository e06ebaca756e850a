"""The enrollment form: patient, SMS consent, episode and consent, baseline, first care plan."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from cocm.enrollment.service import EnrollmentData
from staff_app.forms.common import answers, int_or_none, item_fields, options

PATIENT_FIELDS = ("first_name", "last_name", "mrn", "date_of_birth")


class EnrollForm(FlaskForm):
    clinic_id = SelectField("Clinic", coerce=int_or_none, validate_choice=False)
    first_name = StringField("First name")
    last_name = StringField("Last name")
    mrn = StringField("MRN")
    date_of_birth = DateField("Date of birth", validators=[Optional()])
    phone = StringField("Mobile phone")
    language = SelectField("Language", choices=options([("en", "English"), ("es", "Spanish")]))
    timezone = SelectField("Time zone", validate_choice=False)
    care_manager_id = SelectField("Care manager", coerce=int_or_none, validate_choice=False)
    treating_clinician_id = SelectField(
        "Treating clinician", coerce=int_or_none, validate_choice=False
    )
    sms_consent = BooleanField("The patient agrees to texts, as read to them above")
    program = RadioField(
        "Program",
        choices=options(
            [("cocm", "Collaborative care (CoCM)"), ("bhi", "General behavioral health (BHI)")]
        ),
        default="cocm",
        validate_choice=False,
    )
    initiating_visit_on = DateField("Initiating visit", validators=[Optional()])
    consent_on = DateField("Consent date", validators=[Optional()])
    consent_method = RadioField(
        "Consent given",
        choices=options(
            [("verbal", "Verbal"), ("written", "Written"), ("electronic", "Electronic")]
        ),
        validate_choice=False,
    )
    consent_note = TextAreaField("Consent note (optional)")
    baseline = RadioField(
        "Baseline measure",
        choices=options(
            [("clinic", "Enter the answers now, in clinic"), ("text", "Send by text now")]
        ),
        default="clinic",
        validate_choice=False,
    )
    goals = TextAreaField("The patient's goals, in their words")
    medications = TextAreaField("Medications")
    skill_plan = TextAreaField("Brief skill plan")
    follow_up = TextAreaField("Follow-up (how often, how)")
    safety_steps = TextAreaField("Safety steps")
    cadence_days = IntegerField("Measure every (days)", validators=[Optional()])


for _name, _field in {**item_fields("PHQ-9", "phq9"), **item_fields("GAD-7", "gad7")}.items():
    setattr(EnrollForm, _name, _field)


def enrollment_data(form: EnrollForm, patient_id: int | None = None) -> EnrollmentData:
    """The typed values of a submitted form for the enrollment service."""

    def value(name, default=None):
        return form[name].data if name in form else default

    return EnrollmentData(
        clinic_id=form.clinic_id.data,
        patient_id=patient_id,
        first_name=value("first_name", "") or "",
        last_name=value("last_name", "") or "",
        mrn=value("mrn", "") or "",
        date_of_birth=value("date_of_birth"),
        phone=form.phone.data or "",
        language=form.language.data,
        timezone=form.timezone.data,
        care_manager_id=form.care_manager_id.data,
        treating_clinician_id=form.treating_clinician_id.data,
        sms_consent=bool(form.sms_consent.data),
        program=form.program.data,
        initiating_visit_on=form.initiating_visit_on.data,
        consent_on=form.consent_on.data,
        consent_method=form.consent_method.data,
        consent_note=form.consent_note.data or "",
        baseline=form.baseline.data,
        phq9=answers(form, "PHQ-9", "phq9"),
        gad7=answers(form, "GAD-7", "gad7"),
        goals=form.goals.data or "",
        medications=form.medications.data or "",
        skill_plan=form.skill_plan.data or "",
        follow_up=form.follow_up.data or "",
        safety_steps=form.safety_steps.data or "",
        cadence_days=form.cadence_days.data,
    )
