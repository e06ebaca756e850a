"""FHIR R4 output, validated with fhir.resources (R4B models, the R4-compatible set)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from cocm.instruments import PHQ9
from cocm.instruments.fhir import (
    assessment_resources,
    bundle,
    questionnaire_response,
    total_observation,
)

WHEN = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
PATIENT = "Patient/123"
PHQ9_ANSWERS = [2, 2, 1, 3, 0, 1, 2, 0, 1, 2]  # total 12, item 9 = 1, item 10 very difficult


def test_questionnaire_response_phq9():
    qr = questionnaire_response("PHQ-9", PHQ9_ANSWERS, WHEN, PATIENT, "a-1")
    model = QuestionnaireResponse.model_validate(qr)
    assert model.status == "completed"
    assert qr["questionnaire"] == "http://loinc.org/q/44249-1"
    assert qr["subject"] == {"reference": "Patient/123"}
    assert qr["authored"] == "2025-03-04T15:30:00+00:00"
    assert qr["id"] == "a-1"
    assert [i["linkId"] for i in qr["item"]] == [f"/{i.loinc}" for i in PHQ9.items]
    first = qr["item"][0]
    assert first["text"] == "Little interest or pleasure in doing things"
    assert first["answer"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6570-1",
                "display": "More than half the days",
            }
        }
    ]
    assert qr["item"][3]["answer"][0]["valueCoding"]["code"] == "LA6571-9"
    assert qr["item"][4]["answer"][0]["valueCoding"]["code"] == "LA6568-5"
    assert qr["item"][5]["answer"][0]["valueCoding"]["code"] == "LA6569-3"
    difficulty = qr["item"][9]
    assert difficulty["linkId"] == "/69722-7"
    assert difficulty["answer"][0]["valueCoding"] == {
        "system": "http://loinc.org",
        "code": "LA6575-0",
        "display": "Very difficult",
    }
    json.dumps(qr)  # plain JSON types only


def test_questionnaire_response_spanish_and_unanswered_difficulty():
    qr = questionnaire_response("PHQ-9", [0] * 9 + [None], WHEN, PATIENT, "a-2", language="es")
    QuestionnaireResponse.model_validate(qr)
    assert qr["language"] == "es"
    assert len(qr["item"]) == 9
    assert qr["item"][0]["text"] == "Poco interés o placer en hacer cosas"
    # codings keep LOINC's (English) display; only the question text is translated
    assert qr["item"][0]["answer"][0]["valueCoding"]["display"] == "Not at all"


def test_completed_at_is_written_in_utc():
    east = timezone(timedelta(hours=-5))
    qr = questionnaire_response(
        "GAD-7", [0] * 7, datetime(2025, 3, 4, 10, 0, tzinfo=east), PATIENT, "x"
    )
    assert qr["authored"] == "2025-03-04T15:00:00+00:00"


def test_gad2_has_no_questionnaire_canonical():
    qr = questionnaire_response("GAD-2", [1, 1], WHEN, PATIENT, "g2")
    QuestionnaireResponse.model_validate(qr)
    assert "questionnaire" not in qr
    assert [i["linkId"] for i in qr["item"]] == ["/69725-0", "/68509-9"]


def test_total_observation_phq9():
    obs = total_observation("PHQ-9", PHQ9_ANSWERS, WHEN, PATIENT, "a-1", note="item 9 reviewed")
    model = Observation.model_validate(obs)
    assert model.status == "final"
    assert obs["valueInteger"] == 12
    assert obs["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert obs["category"][0]["coding"][0]["code"] == "survey"
    assert obs["subject"] == {"reference": PATIENT}
    assert obs["effectiveDateTime"] == "2025-03-04T15:30:00+00:00"
    assert obs["derivedFrom"] == [{"reference": "QuestionnaireResponse/a-1"}]
    assert obs["interpretation"] == [{"text": "moderate"}]
    assert obs["note"] == [{"text": "item 9 reviewed"}]
    assert obs["id"] == "a-1-total"


@pytest.mark.parametrize(
    ("code", "answers", "loinc", "flag"),
    [("PHQ-2", [2, 1], "55758-7", "POS"), ("GAD-2", [1, 1], "70272-0", "NEG")],
)
def test_total_observation_short_forms(code, answers, loinc, flag):
    obs = total_observation(code, answers, WHEN, PATIENT, "s")
    Observation.model_validate(obs)
    assert obs["code"]["coding"][0]["code"] == loinc
    assert obs["interpretation"][0]["coding"][0]["code"] == flag
    assert "note" not in obs


def test_gad7_total_code():
    obs = total_observation("GAD-7", [3] * 7, WHEN, PATIENT, "g7")
    assert (obs["code"]["coding"][0]["code"], obs["valueInteger"]) == ("70274-6", 21)
    assert obs["interpretation"] == [{"text": "severe"}]


@pytest.mark.parametrize("build", [questionnaire_response, total_observation])
def test_only_completed_assessments(build):
    with pytest.raises(ValueError, match="items 2, 9 are unanswered"):
        build("PHQ-9", [0, None, 0, 0, 0, 0, 0, 0, None], WHEN, PATIENT, "p")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "BDI"}, "unknown instrument"),
        ({"answers": [0] * 8}, "takes 9 or 10 answers"),
        ({"completed_at": datetime(2025, 3, 4, 15, 30)}, "timezone-aware"),
        ({"completed_at": "2025-03-04"}, "timezone-aware"),
        ({"patient": "123"}, "Patient/123"),
        ({"patient": "Practitioner/1"}, "Patient/123"),
        ({"assessment_id": "has space"}, "not a FHIR id"),
        ({"assessment_id": "x" * 65}, "not a FHIR id"),
    ],
)
def test_bad_input_is_refused(kwargs, message):
    args = {
        "code": "PHQ-9",
        "answers": [0] * 9,
        "completed_at": WHEN,
        "patient": PATIENT,
        "assessment_id": "ok",
    } | kwargs
    with pytest.raises(ValueError, match=message):
        questionnaire_response(**args)
    with pytest.raises(ValueError, match=message):
        total_observation(**args)


def test_language_must_be_supported():
    with pytest.raises(ValueError, match="'fr'"):
        questionnaire_response("PHQ-9", [0] * 9, WHEN, PATIENT, "l", language="fr")


def test_bundle_of_an_episode():
    sequence = [
        ("PHQ-9", [2, 2, 2, 2, 2, 2, 2, 2, 0, 1]),
        ("GAD-7", [2, 2, 2, 2, 1, 1, 1]),
        ("PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 0]),
        ("PHQ-2", [1, 0]),
        ("PHQ-9", [0, 1, 0, 1, 0, 1, 0, 0, 0, None]),
        ("GAD-2", [0, 1]),
    ]
    resources = []
    for week, (code, answers) in enumerate(sequence):
        when = WHEN + timedelta(weeks=2 * week)
        resources += assessment_resources(code, answers, when, PATIENT, f"asmt-{week}")
    base = "https://clinic.example/fhir/"
    doc = bundle(resources, base_url=base, bundle_id="episode-1", timestamp=WHEN)
    model = Bundle.model_validate(doc)
    assert model.type == "collection"
    assert len(model.entry) == 12
    assert doc["timestamp"] == "2025-03-04T15:30:00+00:00"
    full_urls = [e["fullUrl"] for e in doc["entry"]]
    assert len(set(full_urls)) == 12
    assert full_urls[:2] == [
        "https://clinic.example/fhir/QuestionnaireResponse/asmt-0",
        "https://clinic.example/fhir/Observation/asmt-0-total",
    ]
    totals = [e["resource"]["valueInteger"] for e in doc["entry"][1::2]]
    assert totals == [16, 11, 8, 1, 3, 1]
    for entry in doc["entry"][1::2]:
        ref = entry["resource"]["derivedFrom"][0]["reference"]
        assert base + ref in full_urls
    json.dumps(doc)


def test_bundle_without_base_url_and_bad_entries():
    doc = bundle(assessment_resources("GAD-2", [3, 3], WHEN, PATIENT, "b"))
    Bundle.model_validate(doc)
    assert all("fullUrl" not in e for e in doc["entry"])
    assert bundle([]) == {"resourceType": "Bundle", "type": "collection", "entry": []}
    with pytest.raises(ValueError, match="resource dicts"):
        bundle([{"id": "no-type"}])
    with pytest.raises(ValueError, match="without an id"):
        bundle([{"resourceType": "Observation"}], base_url="https://x.example/fhir")
    with pytest.raises(ValueError, match="timezone-aware"):
        bundle([], timestamp=datetime(2025, 1, 1))
