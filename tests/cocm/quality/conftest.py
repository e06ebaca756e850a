"""A small clinic for the dashboard tests where every figure is known by hand.

Riverside (New York time), two care managers (Maria Lopez 1.0 FTE, James Chen 0.5 FTE) and one
patient without a care manager. The figures of March 2026, worked out in
``test_dashboard.py``, come from these seven episodes:

- Adams (Maria): PHQ-9 18 (Dec 1) -> 8 (Mar 10), reached Mar 10, next contact Apr 7.
- Brown (Maria): PHQ-9 16 (Dec 15) -> 15 (Mar 5), reached Mar 5, next contact Mar 20 (passed);
  discussed at case review Feb 20.
- Clark (James): enrolled Mar 2, PHQ-9 12 that day, no care plan, only an unanswered call
  (Mar 9) planning the next contact for Apr 10.
- Diaz (James): no consent on record; PHQ-9 20 (Oct 6) -> 19 (Jan 12); last contact Jan 12
  planned Feb 9; never reviewed.
- Evans (no care manager): PHQ-9 9 (Jan 5) -> 4 (Mar 16), reached Mar 16, next contact Apr 13.
- Fox (Maria): PHQ-9 15 (Nov 10) -> 7 (Feb 10), reached Feb 10; episode completed Feb 20.
- Green (Maria): PHQ-9 14 (Nov 3) -> 6 (Mar 9), reached Mar 9; episode completed Mar 12.

Risk items in March: Adams (acknowledged after 4 min, closed after 2 h), Brown (10 min, 5 h),
Clark (30 min, still open), Diaz (not acknowledged); a drill, a normal item and a February item
that must not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm.models import CarePlan, Episode, Membership
from tests.cocm.billing.conftest import ClinicBuilder
from tests.cocm.registry.builders import assessment, at, contact, queue_item, reviewed
from tests.factories import ClinicFactory, PatientFactory, staff_with_role


@dataclass
class QualityClinic:
    clinic: object
    maria: object
    james: object
    lead: object
    episodes: dict[str, Episode]


def _episode(session, clinic, manager, name, started: date, author=None, **kwargs) -> Episode:
    patient = PatientFactory(
        clinic=clinic,
        care_manager_id=manager.id if manager else None,
        first_name="Pat",
        last_name=name,
    )
    plan = kwargs.pop("plan", author is not None)
    episode = Episode(
        patient_id=patient.id,
        program="cocm",
        status=kwargs.pop("status", "active"),
        started_on=started,
        ended_on=kwargs.pop("ended_on", None),
        consent_on=kwargs.pop("consent_on", started),
        consent_method="verbal",
        initiating_visit_on=started,
    )
    session.add(episode)
    session.flush()
    episode.patient = patient
    if plan:
        session.add(
            CarePlan(
                episode_id=episode.id,
                version=1,
                goals="Walk every day.",
                created_by_id=author.id,
                created_at=at(started, 16),
            )
        )
        session.flush()
    return episode


def build_quality_clinic(session) -> QualityClinic:
    clinic = ClinicFactory(name="Riverside", timezone="America/New_York")
    maria = staff_with_role(clinic, "care_manager", full_name="Maria Lopez")
    james = staff_with_role(clinic, "care_manager", full_name="James Chen")
    lead = staff_with_role(clinic, "clinic_lead", full_name="Sam Rivera")
    membership = session.scalar(
        select(Membership).where(Membership.staff_id == james.id, Membership.clinic_id == clinic.id)
    )
    membership.fte = 0.5

    def ep(name, manager, started, **kwargs):
        return _episode(session, clinic, manager, name, started, author=maria, **kwargs)

    adams = ep("Adams", maria, date(2025, 12, 1))
    assessment(adams.patient, adams, "PHQ-9", 18, at("2025-12-01"))
    assessment(adams.patient, adams, "PHQ-9", 8, at("2026-03-10"))
    contact(adams.patient, adams, maria, at("2026-03-10"), next_contact_at=at("2026-04-07"))

    brown = ep("Brown", maria, date(2025, 12, 15))
    assessment(brown.patient, brown, "PHQ-9", 16, at("2025-12-15"))
    assessment(brown.patient, brown, "PHQ-9", 15, at("2026-03-05"))
    contact(brown.patient, brown, maria, at("2026-03-05"), next_contact_at=at("2026-03-20"))
    reviewed(brown.patient, brown, at("2026-02-20", 17))

    clark = ep("Clark", james, date(2026, 3, 2), plan=False)
    assessment(clark.patient, clark, "PHQ-9", 12, at("2026-03-02"))
    contact(
        clark.patient,
        clark,
        james,
        at("2026-03-09"),
        outcome="no_answer",
        next_contact_at=at("2026-04-10"),
    )

    diaz = ep("Diaz", james, date(2025, 10, 6), consent_on=None)
    assessment(diaz.patient, diaz, "PHQ-9", 20, at("2025-10-06"))
    assessment(diaz.patient, diaz, "PHQ-9", 19, at("2026-01-12"))
    contact(diaz.patient, diaz, james, at("2026-01-12"), next_contact_at=at("2026-02-09"))

    evans = ep("Evans", None, date(2026, 1, 5))
    assessment(evans.patient, evans, "PHQ-9", 9, at("2026-01-05"))
    assessment(evans.patient, evans, "PHQ-9", 4, at("2026-03-16"))
    contact(evans.patient, evans, maria, at("2026-03-16"), next_contact_at=at("2026-04-13"))

    fox = ep("Fox", maria, date(2025, 11, 10), status="completed", ended_on=date(2026, 2, 20))
    assessment(fox.patient, fox, "PHQ-9", 15, at("2025-11-10"))
    assessment(fox.patient, fox, "PHQ-9", 7, at("2026-02-10"))
    contact(fox.patient, fox, maria, at("2026-02-10"))

    green = ep("Green", maria, date(2025, 11, 3), status="completed", ended_on=date(2026, 3, 12))
    assessment(green.patient, green, "PHQ-9", 14, at("2025-11-03"))
    assessment(green.patient, green, "PHQ-9", 6, at("2026-03-09"))
    contact(green.patient, green, maria, at("2026-03-09"))

    def risk(patient, opened: datetime, ack: int | None, close: int | None, **kwargs):
        queue_item(
            patient,
            opened,
            kind=kwargs.pop("kind", "risk_answer"),
            acknowledged_at=opened + timedelta(minutes=ack) if ack is not None else None,
            closed_at=opened + timedelta(minutes=close) if close is not None else None,
            status="closed" if close is not None else "open",
            outcome="reached_safe" if close is not None else None,
            outcome_note="Safe." if close is not None else None,
            **kwargs,
        )

    risk(adams.patient, at("2026-03-03", 14), 4, 120)
    risk(brown.patient, at("2026-03-10", 14), 10, 300)
    risk(clark.patient, at("2026-03-20", 14), 30, None)
    risk(diaz.patient, at("2026-03-25", 14), None, None)
    risk(adams.patient, at("2026-03-12", 14), 1, 2, kind="drill", is_drill=True)
    risk(brown.patient, at("2026-02-27", 14), 3, 60)
    queue_item(adams.patient, at("2026-03-13", 14), kind="needs_person")

    # Another clinic's patient never shows up.
    other = ClinicFactory(name="Elsewhere")
    stranger = _episode(session, other, None, "Stranger", date(2026, 1, 5))
    assessment(stranger.patient, stranger, "PHQ-9", 20, at("2026-01-05"))
    contact(stranger.patient, stranger, lead, at("2026-03-04"))
    session.flush()
    return QualityClinic(
        clinic=clinic,
        maria=maria,
        james=james,
        lead=lead,
        episodes={
            "Adams": adams,
            "Brown": brown,
            "Clark": clark,
            "Diaz": diaz,
            "Evans": evans,
            "Fox": fox,
            "Green": green,
        },
    )


@pytest.fixture
def quality_clinic(session) -> QualityClinic:
    return build_quality_clinic(session)


@pytest.fixture
def build(session):
    """The billing tests' clinic builder: patients, episodes, plans, contacts, minutes."""
    return ClinicBuilder(session)


@pytest.fixture
def make_clinic(session):
    return lambda **kwargs: ClinicBuilder(session, **kwargs)
