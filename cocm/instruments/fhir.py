"""FHIR R4 output for completed assessments, as plain dicts.

A completed assessment becomes a QuestionnaireResponse (the answers, coded with LOINC) and a
total-score Observation derived from it; ``bundle`` wraps any number of them in a collection
Bundle. Nothing here touches the database: callers pass plain values.

R4 ``QuestionnaireResponse.item`` has no ``code`` element, so each item's LOINC code is its
``linkId``, written as LOINC's own forms write it ("/44250-9"), which also matches the
``questionnaire`` canonical (``http://loinc.org/q/<panel>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from . import get
from .base import LOINC, Instrument
from .scoring import Score, score_instrument

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_PATIENT = re.compile(r"Patient/[A-Za-z0-9\-.]{1,64}")


def _fhir_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a FHIR id (1-64 of A-Z a-z 0-9 - .)")
    return value


def _patient(reference: str) -> dict[str, str]:
    if not isinstance(reference, str) or not _PATIENT.fullmatch(reference):
        raise ValueError(f"patient reference {reference!r} must look like 'Patient/123'")
    return {"reference": reference}


def _instant(when: datetime, what: str = "completed_at") -> str:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {when!r}")
    return when.astimezone(UTC).isoformat()


def _completed(code: str, answers: Sequence[int | None]) -> tuple[Instrument, Score]:
    instrument = get(code)
    result = score_instrument(instrument, answers)
    if not result.complete:
        missing = [
            item.number
            for item, answer in zip(instrument.items, result.answers, strict=False)
            if item.scored and answer is None
        ]
        numbers = ", ".join(str(n) for n in missing)
        raise ValueError(
            f"only a completed assessment produces FHIR; {code} items {numbers} are unanswered"
        )
    return instrument, result


def observation_id(assessment_id: str) -> str:
    """The id of the total-score Observation for an assessment."""
    return _fhir_id(f"{assessment_id}-total", "observation id")


def questionnaire_response(
    code: str,
    answers: Sequence[int | None],
    completed_at: datetime,
    patient: str,
    assessment_id: str,
    language: str = "en",
) -> dict[str, Any]:
    """A completed QuestionnaireResponse for one assessment.

    ``patient`` is a reference like "Patient/123"; ``assessment_id`` becomes the resource id;
    ``language`` picks the item texts ("en" or "es" where the instrument has it). Unanswered
    unscored items (PHQ-9 item 10) are left out. Raises ValueError for an incomplete or
    invalid assessment, a naive ``completed_at``, or a malformed id or reference.
    """
    instrument, result = _completed(code, answers)
    instrument.check_language(language)
    items = []
    for item, answer in zip(instrument.items, result.answers, strict=False):
        if answer is None:
            continue
        option = item.option_for(answer)
        coding = {"system": LOINC, "code": option.loinc, "display": option.label["en"]}
        items.append(
            {
                "linkId": f"/{item.loinc}",
                "text": item.text[language],
                "answer": [{"valueCoding": coding}],
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _fhir_id(assessment_id, "assessment id"),
        "language": language,
        "status": "completed",
        "subject": _patient(patient),
        "authored": _instant(completed_at),
        "item": items,
    }
    if instrument.questionnaire_url:
        resource["questionnaire"] = instrument.questionnaire_url
    return resource


def _interpretation(result: Score) -> list[dict[str, Any]]:
    if result.severity is not None:
        return [{"text": result.severity}]
    if result.positive is not None:
        code, text = ("POS", "positive screen") if result.positive else ("NEG", "negative screen")
        return [{"coding": [{"system": INTERPRETATION, "code": code}], "text": text}]
    return []


def total_observation(
    code: str,
    answers: Sequence[int | None],
    completed_at: datetime,
    patient: str,
    assessment_id: str,
    note: str | None = None,
) -> dict[str, Any]:
    """A final survey Observation holding the total score, derived from the assessment's
    QuestionnaireResponse (``QuestionnaireResponse/<assessment_id>``).

    The interpretation carries the severity band, or POS/NEG for PHQ-2 and GAD-2. ``note``
    (optional) is added as an annotation. Raises ValueError as ``questionnaire_response``.
    """
    instrument, result = _completed(code, answers)
    qr_id = _fhir_id(assessment_id, "assessment id")
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": observation_id(qr_id),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [{"system": LOINC, "code": instrument.total_loinc}],
            "text": f"{instrument.code} total score",
        },
        "subject": _patient(patient),
        "effectiveDateTime": _instant(completed_at),
        "valueInteger": result.total,
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{qr_id}"}],
    }
    interpretation = _interpretation(result)
    if interpretation:
        resource["interpretation"] = interpretation
    if note:
        resource["note"] = [{"text": note}]
    return resource


def assessment_resources(
    code: str,
    answers: Sequence[int | None],
    completed_at: datetime,
    patient: str,
    assessment_id: str,
    language: str = "en",
) -> list[dict[str, Any]]:
    """The QuestionnaireResponse and its total Observation for one completed assessment."""
    return [
        questionnaire_response(code, answers, completed_at, patient, assessment_id, language),
        total_observation(code, answers, completed_at, patient, assessment_id),
    ]


def bundle(
    entries: Iterable[dict[str, Any]],
    base_url: str | None = None,
    bundle_id: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle of the given resource dicts, in the order given.

    With ``base_url`` (e.g. "https://clinic.example/fhir") every entry gets the fullUrl
    ``<base_url>/<type>/<id>``, so the relative references between entries resolve inside
    the Bundle; without it entries carry no fullUrl.
    """
    out: list[dict[str, Any]] = []
    for resource in entries:
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise ValueError(f"bundle entries must be resource dicts, got {resource!r:.80}")
        entry: dict[str, Any] = {"resource": resource}
        if base_url:
            if "id" not in resource:
                raise ValueError(f"a {resource['resourceType']} without an id has no fullUrl")
            entry["fullUrl"] = f"{base_url.rstrip('/')}/{resource['resourceType']}/{resource['id']}"
        out.append(entry)
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": out}
    if bundle_id is not None:
        result["id"] = _fhir_id(bundle_id, "bundle id")
    if timestamp is not None:
        result["timestamp"] = _instant(timestamp, "timestamp")
    return result
