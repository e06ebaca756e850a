"""Assessments: listing, one taken in clinic, and FHIR output."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from cocm.api.schemas.checkins import Instrument
from cocm.api.schemas.common import Moment, PageQuery, RequestBody, ResponseBody, page_model
from cocm.models.enums import ASSESSMENT_CHANNELS, ASSESSMENT_STATUSES

Answer = Annotated[int, Field(ge=0, le=3)]


class AssessmentQuery(PageQuery):
    instrument: Instrument | None = None


class AssessmentCreate(RequestBody):
    instrument: Instrument
    answers: list[Answer | None] = Field(
        min_length=2,
        max_length=10,
        description="In item order, null for unanswered: PHQ-9 takes 9 (or 10 with the "
        "difficulty item), GAD-7 7, PHQ-2 and GAD-2 2. A total needs every scored item.",
    )
    taken_at: Moment | None = Field(None, description="Default now; never in the future.")


class Assessment(ResponseBody):
    id: int
    patient_id: int
    episode_id: int | None
    instrument: Instrument
    channel: Literal[ASSESSMENT_CHANNELS]
    status: Literal[ASSESSMENT_STATUSES]
    total: int | None = Field(description="Null unless every scored item is answered.")
    severity: str | None
    risk: bool = Field(description="PHQ-9 item 9 answered above 0.")
    started_at: datetime
    completed_at: datetime | None
    answers: list[int | None] = Field(description="In item order, null for unanswered.")
    risk_queue_item_id: int | None = Field(
        description="The urgent queue item a risk answer opened."
    )


AssessmentPage = page_model("AssessmentPage", Assessment)


class FhirBundle(ResponseBody):
    """A FHIR R4 collection Bundle: the QuestionnaireResponse and its total-score Observation."""

    resourceType: Literal["Bundle"]  # FHIR spells it so
    id: str
    type: Literal["collection"]
    timestamp: str
    entry: list[dict[str, Any]]
