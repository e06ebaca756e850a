"""Time entries: the minutes behind the billing month."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import Day, Month, PageQuery, RequestBody, ResponseBody, page_model
from cocm.api.schemas.common import text as _text
from cocm.contacts.service import MAX_MINUTES
from cocm.models.enums import ACTIVITIES, TIME_ROLES

Activity = Literal[ACTIVITIES]


class TimeEntryQuery(PageQuery):
    month: Month = Field(description="The calendar month, YYYY-MM (the clinic's dates).")


class TimeEntryCreate(RequestBody):
    performed_on: Day = Field(description="The clinic's local date the work was done.")
    minutes: int = Field(ge=1, le=MAX_MINUTES)
    activity: Activity
    note: _text(4000) | None = None


class TimeEntry(ResponseBody):
    id: int
    patient_id: int
    episode_id: int | None
    staff_id: int
    role: Literal[TIME_ROLES] = Field(description="The role the minutes count under.")
    activity: Activity
    performed_on: date
    minutes: int
    note: str | None
    contact_id: int | None
    superseded_by_id: int | None = Field(description="Set when a correction replaced it.")
    created_at: datetime


TimeEntryPage = page_model("TimeEntryPage", TimeEntry)
