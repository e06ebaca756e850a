"""Who the token acts as."""

from datetime import datetime

from cocm.api.schemas.common import ResponseBody


class TokenInfo(ResponseBody):
    id: int
    name: str
    prefix: str
    created_at: datetime


class ClinicRoles(ResponseBody):
    id: int
    slug: str
    name: str
    timezone: str
    sms_number: str | None
    roles: list[str]


class Me(ResponseBody):
    id: int
    email: str
    full_name: str
    token: TokenInfo
    clinics: list[ClinicRoles]
