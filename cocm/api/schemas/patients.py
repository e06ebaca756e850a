"""Patients: search, create, read and update."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from cocm.api.pagination import DEFAULT_LIMIT
from cocm.api.schemas.common import (
    Cursor,
    Day,
    Id,
    Limit,
    PageQuery,
    RequestBody,
    ResponseBody,
    Slug,
    page_model,
    text,
)
from cocm.api.schemas.episodes import Episode

Name = text(80, 1)
Mrn = text(40, 1)
Phone = text(32)
Zone = text(64, 1)
Language = Literal["en", "es"]


class PatientQuery(PageQuery):
    mrn: text(40) | None = Field(None, description="Exact medical record number.")
    name: text(160) | None = Field(
        None, description="Words that must each appear in the first or last name (any case)."
    )
    clinic: Slug | None = Field(None, description="Only this clinic (its slug).")


class PatientSearch(RequestBody):
    """The same search in a body, so an MRN or a name stays out of URLs and access logs."""

    mrn: text(40) | None = Field(None, description="Exact medical record number.")
    name: text(160) | None = Field(
        None, description="Words that must each appear in the first or last name (any case)."
    )
    clinic: Slug | None = Field(None, description="Only this clinic (its slug).")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class PatientCreate(RequestBody):
    clinic: Slug | None = Field(
        None,
        description="Clinic slug; may be left out when the caller is a care manager of one "
        "clinic only.",
    )
    mrn: Mrn
    first_name: Name
    last_name: Name
    date_of_birth: Day
    phone: Phone | None = Field(
        None, description="US mobile number in any common format; stored as E.164."
    )
    language: Language = "en"
    timezone: Zone | None = Field(None, description="IANA zone; default the clinic's.")
    care_manager_id: Id | None = Field(
        None, description="A care manager of the clinic; default the caller if they are one."
    )
    treating_clinician_id: Id | None = Field(
        None, description="A treating clinician of the clinic."
    )
    sms_consent: bool = Field(
        False,
        description="The patient agreed to check-in texts, after hearing the clinic's consent "
        "wording; needs a phone number. Logged in the consent log.",
    )


class PatientUpdate(RequestBody):
    """Only the fields sent change; ``null`` clears an optional field."""

    mrn: Mrn | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: Day | None = None
    phone: Phone | None = None
    language: Language | None = None
    timezone: Zone | None = None
    care_manager_id: Id | None = None
    treating_clinician_id: Id | None = None
    sms_consent: Literal[True] | None = Field(
        None,
        description="Record that the patient agreed to texts now. Patients stop texts "
        "themselves by replying STOP.",
    )


class Patient(ResponseBody):
    id: int
    clinic_id: int
    clinic: str = Field(description="The clinic's slug.")
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: Day | None
    phone: str | None = Field(description="E.164.")
    language: Language
    timezone: str
    care_manager_id: int | None
    treating_clinician_id: int | None
    sms_consent_at: datetime | None
    sms_opted_out: bool
    phone_problem: str | None = Field(description="Why the carrier refused the number, if so.")
    created_at: datetime
    open_episode: Episode | None


PatientPage = page_model("PatientPage", Patient)
