"""Done-when of the instruments work: a FHIR bundle of a demo patient's assessments validates."""

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from sqlalchemy import select

from cocm.demo.seed import seed
from cocm.instruments import fhir, get
from cocm.models import Assessment, Patient


def test_a_demo_patients_assessments_make_a_valid_fhir_bundle(session):
    seed(patients=14, echo=lambda _line: None)
    patient = session.scalars(select(Patient).order_by(Patient.id)).all()[3]
    assessments = session.scalars(
        select(Assessment)
        .where(Assessment.patient_id == patient.id, Assessment.status == "completed")
        .order_by(Assessment.completed_at)
    ).all()
    assert {a.instrument for a in assessments} == {"PHQ-9", "GAD-7"} and len(assessments) >= 4
    resources = []
    for assessment in assessments:
        length = len(get(assessment.instrument).items)
        resources += fhir.assessment_resources(
            assessment.instrument,
            assessment.answer_list(length),
            assessment.completed_at,
            f"Patient/{patient.id}",
            str(assessment.id),
            language=patient.language,
        )
    document = fhir.bundle(resources, base_url="https://cocm.example.org/fhir")
    parsed = Bundle.model_validate(document)
    assert len(parsed.entry) == 2 * len(assessments)
    totals = []
    for entry in parsed.entry:
        resource = entry.resource
        if isinstance(resource, Observation):
            totals.append(resource.valueInteger)
        else:
            assert isinstance(resource, QuestionnaireResponse)
            assert resource.subject.reference == f"Patient/{patient.id}"
    assert totals == [a.total for a in assessments]
