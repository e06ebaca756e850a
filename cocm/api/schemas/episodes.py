"""Episodes of care: start one, change its status, close it."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import Day, RequestBody, ResponseBody, page_model, text
from cocm.enrollment.validation import MAX_CADENCE, MIN_CADENCE
from cocm.models.enums import EPISODE_STATUSES, REFERRAL_KINDS

Program = Literal["cocm", "bhi"]
ConsentMethod = Literal["verbal", "written", "electronic"]
Status = Literal[EPISODE_STATUSES]


class CarePlanCreate(RequestBody):
    """Version 1 of the care plan; it waits for the treating clinician's signature."""

    goals: text(4000, 1)
    safety_steps: text(4000, 1)
    medications: text(4000) | None = None
    skill_plan: text(4000) | None = None
    follow_up: text(4000) | None = None


class EpisodeCreate(RequestBody):
    program: Program = Field(
        "cocm", description="`cocm` (collaborative care) or `bhi` (general BHI)."
    )
    initiating_visit_on: Day = Field(
        description="The initiating visit, within the last 12 months and not in the future."
    )
    consent_on: Day = Field(description="When the patient agreed to collaborative care.")
    consent_method: ConsentMethod
    consent_note: text(2000) | None = None
    cadence_days: int | None = Field(
        None,
        ge=MIN_CADENCE,
        le=MAX_CADENCE,
        description="Days between measures; default the clinic's.",
    )
    care_plan: CarePlanCreate | None = Field(
        None, description="Billing needs a care plan on record; it can also be written later."
    )


class EpisodeUpdate(RequestBody):
    status: Literal["active", "relapse_prevention"] = Field(
        description="`active` (from enrolled, or back from relapse prevention) or "
        "`relapse_prevention` (step-down; writes a new care plan version). To end an "
        "episode, close it."
    )
    note: text(4000) | None = Field(None, description="Required for a step-down.")


class ReferralCreate(RequestBody):
    kind: Literal[REFERRAL_KINDS]
    to_whom: text(200, 1)
    due_by: Day | None = None
    note: text(2000) | None = None


class EpisodeClose(RequestBody):
    outcome: Literal["completed", "transferred", "disengaged"]
    note: text(4000, 1) = Field(description="The close-out note.")
    reentry_note: text(4000) | None = Field(
        None, description="How the patient can come back; required when disengaged."
    )
    referral: ReferralCreate | None = Field(
        None, description="Required for a transfer; tracked until the patient is seen."
    )


class Episode(ResponseBody):
    id: int
    patient_id: int
    program: Program
    status: Status
    initiating_visit_on: date | None
    consent_on: date | None
    consent_method: ConsentMethod | None
    started_on: date
    ended_on: date | None
    end_reason: str | None
    reentry_note: str | None
    cadence_days: int | None
    care_plan_version: int | None = Field(description="The latest care plan version, if any.")
    created_at: datetime


EpisodePage = page_model("EpisodePage", Episode)
