"""Changing a clinic's settings (texting, hours, escalation chain, rhythm, case review, ...).

``update_settings`` validates every value first and changes nothing unless all are valid; it
returns what changed (field -> [old, new], as text) for the audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.clinics.errors import ClinicError
from cocm.enrollment.fields import us_phone_e164, valid_zone
from cocm.messaging.window import DEFAULT_END, DEFAULT_START
from cocm.models import Clinic, EscalationStep, Membership, Staff

SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
LIMITS = {
    "escalation_minutes": (5, 60, "Escalation after"),
    "default_cadence_days": (7, 56, "Measure every"),
    "response_cadence_days": (7, 90, "After response, measure every"),
    "idle_timeout_minutes": (5, 120, "Idle sign-out after"),
    "disengage_after_attempts": (1, 10, "Outreach attempts before disengaging"),
}
SIMPLE = (
    "name",
    "phone_display",
    "sms_number",
    "messaging_service_sid",
    "text_window_start",
    "text_window_end",
    "hours_start",
    "hours_end",
    "open_weekdays",
    "timezone",
    "escalation_minutes",
    "default_cadence_days",
    "response_cadence_days",
    "review_weekday",
    "review_time",
    "enrollment_script",
    "idle_timeout_minutes",
    "disengage_after_attempts",
    "use_first_names",
    "portal_links_enabled",
)


@dataclass
class ClinicSettings:
    name: str
    timezone: str
    text_window_start: time
    text_window_end: time
    hours_start: time
    hours_end: time
    open_weekdays: list[int]
    escalation_minutes: int
    default_cadence_days: int
    response_cadence_days: int
    idle_timeout_minutes: int
    disengage_after_attempts: int = 3
    phone_display: str | None = None
    sms_number: str | None = None
    messaging_service_sid: str | None = None
    review_weekday: int | None = None
    review_time: time | None = None
    enrollment_script: str | None = None
    use_first_names: bool = True
    portal_links_enabled: bool = False
    on_call_id: int | None = None
    chain_ids: list[int] = field(default_factory=list)


def _fail(field_name: str | None, message: str):
    raise ClinicError(field_name, message)


def _members(session: Session, clinic_id: int) -> dict[int, set[str]]:
    roles: dict[int, set[str]] = {}
    rows = session.execute(
        select(Membership.staff_id, Membership.role)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(Membership.clinic_id == clinic_id, Staff.is_active.is_(True))
    )
    for staff_id, role in rows:
        roles.setdefault(staff_id, set()).add(role)
    return roles


def _check_chain(session: Session, clinic: Clinic, data: ClinicSettings) -> list[int]:
    members = _members(session, clinic.id)
    if data.on_call_id is None:
        _fail("on_call_id", "Choose who is on call after hours.")
    chain = [staff_id for staff_id in data.chain_ids if staff_id]
    if not chain:
        _fail("chain_ids", "List who is paged in turn, ending with the clinic lead.")
    if len(set(chain)) != len(chain):
        _fail("chain_ids", "Each person appears once in the chain.")
    ordered = [data.on_call_id, *chain]
    for staff_id in ordered:
        if staff_id not in members:
            _fail("chain_ids", "Everyone in the chain must be active staff of this clinic.")
        staff = session.get(Staff, staff_id)
        if not staff.phone:
            _fail("chain_ids", f"{staff.full_name} has no phone number for pages; add one first.")
    if "clinic_lead" not in members[chain[-1]]:
        _fail("chain_ids", "The chain must end with a clinic lead.")
    return ordered


def _check(session: Session, clinic: Clinic, data: ClinicSettings) -> dict:
    values: dict = {}
    values["name"] = (data.name or "").strip()
    if not values["name"] or len(values["name"]) > 120:
        _fail("name", "Enter the clinic's name (up to 120 characters).")
    values["phone_display"] = (data.phone_display or "").strip()[:32] or None
    number = (data.sms_number or "").strip()
    if number:
        try:
            values["sms_number"] = us_phone_e164(number)
        except ValueError as exc:
            _fail("sms_number", str(exc))
        taken = session.scalar(
            select(Clinic.id).where(
                Clinic.sms_number == values["sms_number"], Clinic.id != clinic.id
            )
        )
        if taken:
            _fail("sms_number", "Another clinic already texts from this number.")
    else:
        values["sms_number"] = None
    sid = (data.messaging_service_sid or "").strip()
    if sid and not SERVICE_SID.match(sid):
        _fail(
            "messaging_service_sid", "A Messaging Service SID is MG followed by 32 letters/digits."
        )
    values["messaging_service_sid"] = sid or None
    if not valid_zone(data.timezone):
        _fail("timezone", "Choose a time zone from the list, e.g. America/Chicago.")
    values["timezone"] = data.timezone
    start, end = data.text_window_start, data.text_window_end
    if start is None or end is None:
        _fail("text_window_start", "Enter when texting may start and end.")
    if start < DEFAULT_START or end > DEFAULT_END:
        _fail("text_window_start", "Texts may only go between 08:00 and 21:00.")
    if start >= end:
        _fail("text_window_start", "The texting window must start before it ends.")
    values["text_window_start"], values["text_window_end"] = start, end
    if data.hours_start is None or data.hours_end is None:
        _fail("hours_start", "Enter the clinic's opening and closing times.")
    if data.hours_start >= data.hours_end:
        _fail("hours_start", "The clinic must open before it closes.")
    values["hours_start"], values["hours_end"] = data.hours_start, data.hours_end
    days = sorted(set(data.open_weekdays or []))
    if not days or any(d not in range(1, 8) for d in days):
        _fail("open_weekdays", "Tick at least one day the clinic is open.")
    values["open_weekdays"] = ",".join(str(d) for d in days)
    for name, (low, high, label) in LIMITS.items():
        value = getattr(data, name)
        if value is None or not low <= value <= high:
            _fail(name, f"{label}: choose a number from {low} to {high}.")
        values[name] = value
    if data.response_cadence_days < data.default_cadence_days:
        _fail("response_cadence_days", "After response, measures come as often or less often.")
    if (data.review_weekday is None) != (data.review_time is None):
        _fail("review_weekday", "Give both the case review day and its time, or neither.")
    if data.review_weekday is not None and data.review_weekday not in range(1, 8):
        _fail("review_weekday", "Choose a weekday.")
    values["review_weekday"], values["review_time"] = data.review_weekday, data.review_time
    script = (data.enrollment_script or "").strip()
    if len(script) > 4000:
        _fail("enrollment_script", "Keep the script under 4,000 characters.")
    values["enrollment_script"] = script or None
    values["use_first_names"] = bool(data.use_first_names)
    values["portal_links_enabled"] = bool(data.portal_links_enabled)
    return values


def _text(value) -> str | None:
    if value is None:
        return None
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)


def update_settings(session: Session, clinic: Clinic, data: ClinicSettings) -> dict:
    """Validate and apply every setting and the escalation chain; returns what changed."""
    values = _check(session, clinic, data)
    chain = _check_chain(session, clinic, data)
    changes = {}
    for name in SIMPLE:
        old, new = getattr(clinic, name), values[name]
        if old != new:
            changes[name] = [_text(old), _text(new)]
            setattr(clinic, name, new)
    old_chain = [step.staff_id for step in clinic.escalation_steps]
    if old_chain != chain:
        changes["escalation_chain"] = [old_chain, chain]
        clinic.escalation_steps.clear()
        session.flush()  # the unique (clinic, position) rows must go before new ones come
        for position, staff_id in enumerate(chain):
            clinic.escalation_steps.append(
                EscalationStep(clinic_id=clinic.id, position=position, staff_id=staff_id)
            )
    session.flush()
    return changes
