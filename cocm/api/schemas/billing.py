"""The billing month: minutes, codes and missing evidence per episode."""

from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import PageQuery, ResponseBody, Slug, page_model


class BillingQuery(PageQuery):
    clinic: Slug | None = Field(
        None, description="One clinic's slug; default every clinic where you may see billing."
    )


class Code(ResponseBody):
    code: str
    units: int


class BillingRow(ResponseBody):
    clinic: str = Field(description="The clinic's slug.")
    month: str
    patient_id: int
    patient_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    episode_id: int
    program: Literal["cocm", "bhi"]
    status: str
    month_kind: Literal["initial", "later"]
    minutes: int = Field(description="Countable minutes.")
    consultant_minutes: int
    minutes_before_consent: int
    billable: bool
    codes: list[Code]
    missing: list[str] = Field(description="Evidence an auditor would find missing.")
    next_code: str | None
    minutes_to_next: int | None
    notes: list[str]
    month_open: bool = Field(description="The month has not ended yet.")


BillingPage = page_model("BillingPage", BillingRow)
