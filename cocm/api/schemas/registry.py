"""The registry: one row per episode of the caseload, with its flags."""

from datetime import date
from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import Id, PageQuery, ResponseBody, Slug, page_model
from cocm.models.enums import EPISODE_STATUSES
from cocm.registry import FLAGS, GROUP_FILTERS, SORTS

Flag = Literal[tuple(FLAGS) + tuple(GROUP_FILTERS)]
Sort = Literal[tuple(SORTS)]


class RegistryQuery(PageQuery):
    care_manager_id: Id | None = Field(None, description="Only this care manager's patients.")
    status: list[Literal[EPISODE_STATUSES]] = Field(
        default_factory=list,
        description="Episode statuses (repeat the parameter); default the open ones.",
    )
    flag: Flag | None = Field(None, description="Only rows with this flag (or flag group).")
    clinic: Slug | None = None
    patient_id: Id | None = None
    sort: Sort = "priority"
    desc: bool = False


class ScoreSummary(ResponseBody):
    baseline: int | None
    baseline_on: date | None
    last: int | None
    last_on: date | None
    severity: str | None
    change: float | None = Field(description="Percent change from baseline; negative is better.")


class RegistryRow(ResponseBody):
    episode_id: int
    patient_id: int
    clinic_id: int
    clinic_name: str
    first_name: str
    last_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    status: str
    program: str
    enrolled_on: date
    weeks_in_treatment: int
    phq9: ScoreSummary
    gad7: ScoreSummary
    last_contact_on: date | None
    last_contact_outcome: str | None
    next_contact_on: date | None
    next_contact_confirmed: bool
    reschedule_requested: bool
    next_action: str | None
    next_action_suggested: bool
    next_measure_on: date | None
    minutes_month: int
    month_kind: Literal["initial", "later"]
    threshold_minutes: int
    threshold_code: str
    next_code: str | None
    minutes_to_next: int | None
    flags: dict[str, str] = Field(description="Flag name -> why it is set.")


RegistryPage = page_model("RegistryPage", RegistryRow)
