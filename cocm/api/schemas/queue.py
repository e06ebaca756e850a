"""The response queue: list, claim, close with an outcome."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import PageQuery, RequestBody, ResponseBody, Slug, page_model, text
from cocm.models.enums import QUEUE_KINDS, URGENT_OUTCOMES

Outcome = Literal[URGENT_OUTCOMES]


class QueueQuery(PageQuery):
    view: Literal["open", "closed"] = Field(
        "open", description="Open items (urgent first, then oldest) or those closed in 30 days."
    )
    who: Literal["all", "mine", "unclaimed"] = "all"
    clinic: Slug | None = None


class QueueClose(RequestBody):
    note: text(4000, 1)
    outcome: Outcome | None = Field(
        None, description="Required for an urgent item: how the risk follow-up ended."
    )
    next_step: text(4000) | None = Field(
        None, description="Required when the outcome is `unable_to_reach`."
    )


class QueueItem(ResponseBody):
    id: int
    clinic_id: int
    clinic_name: str
    patient_id: int | None
    patient_name: str | None
    mrn: str | None
    kind: Literal[QUEUE_KINDS]
    priority: Literal["urgent", "normal"]
    status: Literal["open", "claimed", "closed"]
    reason: str
    is_drill: bool
    opened_at: datetime
    due_at: datetime = Field(description="Urgent: acknowledge by; normal: close by.")
    overdue: bool
    claimed_by_id: int | None
    claimed_by: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: Outcome | None
    outcome_note: str | None
    next_step: str | None
    assessment_id: int | None


QueuePage = page_model("QueuePage", QueueItem)
