"""Domain objects as API response models (``cocm.api.schemas``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.api import assessments as assessment_service
from cocm.api.episodes import care_plan_version
from cocm.api.schemas import assessments as a
from cocm.api.schemas import billing as b
from cocm.api.schemas import episodes as e
from cocm.api.schemas import me as m
from cocm.api.schemas import patients as p
from cocm.api.schemas import queue as q
from cocm.api.schemas import registry as r
from cocm.api.schemas import time_entries as t
from cocm.billing.month import BillingRow
from cocm.episodes.service import open_episode
from cocm.models import ApiToken, Assessment, Clinic, Episode, Membership, Patient, Staff
from cocm.models import TimeEntry as TimeEntryRow
from cocm.registry import RegistryRow
from cocm.registry.queue import QueueRow


def episode(session: Session, row: Episode) -> e.Episode:
    return e.Episode(
        id=row.id,
        patient_id=row.patient_id,
        program=row.program,
        status=row.status,
        initiating_visit_on=row.initiating_visit_on,
        consent_on=row.consent_on,
        consent_method=row.consent_method,
        started_on=row.started_on,
        ended_on=row.ended_on,
        end_reason=row.end_reason,
        reentry_note=row.reentry_note,
        cadence_days=row.cadence_days,
        care_plan_version=care_plan_version(session, row.id),
        created_at=row.created_at,
    )


def patient(session: Session, row: Patient) -> p.Patient:
    current = open_episode(session, row.id)
    return p.Patient(
        id=row.id,
        clinic_id=row.clinic_id,
        clinic=row.clinic.slug,
        mrn=row.mrn,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        phone=row.phone_e164,
        language=row.language,
        timezone=row.zone,
        care_manager_id=row.care_manager_id,
        treating_clinician_id=row.treating_clinician_id,
        sms_consent_at=row.sms_consent_at,
        sms_opted_out=row.sms_opted_out,
        phone_problem=row.phone_problem,
        created_at=row.created_at,
        open_episode=episode(session, current) if current is not None else None,
    )


def assessment(session: Session, row: Assessment) -> a.Assessment:
    return a.Assessment(
        id=row.id,
        patient_id=row.patient_id,
        episode_id=row.episode_id,
        instrument=row.instrument,
        channel=row.channel,
        status=row.status,
        total=row.total,
        severity=row.severity,
        risk=row.risk,
        started_at=row.started_at,
        completed_at=row.completed_at,
        answers=assessment_service.answers_of(row),
        risk_queue_item_id=assessment_service.risk_item_id(session, row),
    )


def time_entry(row: TimeEntryRow) -> t.TimeEntry:
    return t.TimeEntry(
        id=row.id,
        patient_id=row.patient_id,
        episode_id=row.episode_id,
        staff_id=row.staff_id,
        role=row.role,
        activity=row.activity,
        performed_on=row.performed_on,
        minutes=row.minutes,
        note=row.note,
        contact_id=row.contact_id,
        superseded_by_id=row.superseded_by_id,
        created_at=row.created_at,
    )


def _score(score) -> r.ScoreSummary:
    return r.ScoreSummary(
        baseline=score.baseline,
        baseline_on=score.baseline_on,
        last=score.last,
        last_on=score.last_on,
        severity=score.severity,
        change=score.change,
    )


def registry_row(row: RegistryRow) -> r.RegistryRow:
    fields = {name: getattr(row, name) for name in r.RegistryRow.model_fields}
    fields["phq9"], fields["gad7"] = _score(row.phq9), _score(row.gad7)
    return r.RegistryRow(**fields)


def queue_item(row: QueueRow) -> q.QueueItem:
    fields = {name: getattr(row, name) for name in q.QueueItem.model_fields}
    return q.QueueItem(**fields)


def billing_row(row: BillingRow) -> b.BillingRow:
    return b.BillingRow(
        clinic=row.clinic_slug,
        month=row.month,
        patient_id=row.patient_id,
        patient_name=row.patient_name,
        mrn=row.mrn,
        care_manager_id=row.care_manager_id,
        care_manager=row.care_manager,
        episode_id=row.episode_id,
        program=row.program,
        status=row.status,
        month_kind=row.month_kind,
        minutes=row.minutes,
        consultant_minutes=row.consultant_minutes,
        minutes_before_consent=row.minutes_before_consent,
        billable=row.billable,
        codes=[b.Code(code=code, units=units) for code, units in row.codes],
        missing=list(row.missing),
        next_code=row.next_code,
        minutes_to_next=row.minutes_to_next,
        notes=list(row.notes),
        month_open=row.month_open,
    )


def me(session: Session, staff: Staff, token: ApiToken) -> m.Me:
    rows = session.execute(
        select(Clinic, Membership.role)
        .join(Membership, Membership.clinic_id == Clinic.id)
        .where(Membership.staff_id == staff.id)
        .order_by(Clinic.name, Membership.role)
    ).all()
    clinics: dict[int, m.ClinicRoles] = {}
    for clinic, role in rows:
        entry = clinics.setdefault(
            clinic.id,
            m.ClinicRoles(
                id=clinic.id,
                slug=clinic.slug,
                name=clinic.name,
                timezone=clinic.timezone,
                sms_number=clinic.sms_number,
                roles=[],
            ),
        )
        entry.roles.append(role)
    return m.Me(
        id=staff.id,
        email=staff.email,
        full_name=staff.full_name,
        token=m.TokenInfo(
            id=token.id, name=token.name, prefix=token.prefix, created_at=token.created_at
        ),
        clinics=list(clinics.values()),
    )
