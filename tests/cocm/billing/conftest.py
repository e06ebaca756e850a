"""A small clinic builder for billing tests: patients, episodes, care plans, contacts, minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import count

import pytest

from cocm.models import CarePlan, Contact, Episode, Patient, TimeEntry
from tests.factories import ClinicFactory, staff_with_role

_mrn = count(1)


class ClinicBuilder:
    def __init__(self, session, **clinic_kwargs):
        self.session = session
        self.clinic = ClinicFactory(**clinic_kwargs)
        self.manager = staff_with_role(self.clinic, "care_manager", full_name="Maria Lopez")
        self.clinician = staff_with_role(
            self.clinic, "treating_clinician", full_name="Dr. Priya Patel"
        )
        self.consultant = staff_with_role(
            self.clinic, "psychiatric_consultant", full_name="Dr. Linh Nguyen"
        )

    def patient(self, first="Dana", last="Doe", **kwargs) -> Patient:
        patient = Patient(
            clinic_id=self.clinic.id,
            mrn=kwargs.pop("mrn", f"B{next(_mrn):06d}"),
            first_name=first,
            last_name=last,
            care_manager_id=kwargs.pop("care_manager_id", self.manager.id),
            **kwargs,
        )
        self.session.add(patient)
        self.session.flush()
        return patient

    def episode(
        self,
        patient: Patient,
        started_on: date,
        *,
        program: str = "cocm",
        status: str = "active",
        consent_on: date | None | str = "start",
        initiating_visit_on: date | None | str = "start",
        ended_on: date | None = None,
        plan_at: datetime | None | str = "start",
    ) -> Episode:
        """An episode; consent and initiating visit default to its start, with a care plan
        written that day (pass None to leave any of them out)."""
        episode = Episode(
            patient_id=patient.id,
            program=program,
            status=status,
            started_on=started_on,
            ended_on=ended_on,
            consent_on=started_on if consent_on == "start" else consent_on,
            consent_method="verbal",
            initiating_visit_on=started_on
            if initiating_visit_on == "start"
            else initiating_visit_on,
        )
        self.session.add(episode)
        self.session.flush()
        if plan_at is not None:
            when = datetime.combine(started_on, time(15), UTC) if plan_at == "start" else plan_at
            self.plan(episode, when)
        return episode

    def plan(self, episode: Episode, created_at: datetime) -> CarePlan:
        version = len(episode.care_plans) + 1
        plan = CarePlan(
            episode_id=episode.id,
            version=version,
            goals="Walk twice a week.",
            created_by_id=self.manager.id,
            created_at=created_at,
        )
        self.session.add(plan)
        self.session.flush()
        self.session.refresh(episode)
        return plan

    def contact(self, episode: Episode, day: date, minutes: int = 0) -> Contact:
        contact = Contact(
            patient_id=episode.patient_id,
            episode_id=episode.id,
            staff_id=self.manager.id,
            kind="phone",
            outcome="reached",
            occurred_at=datetime.combine(day, time(16), UTC),
            minutes=minutes,
        )
        self.session.add(contact)
        self.session.flush()
        return contact

    def time(
        self,
        episode: Episode | None,
        day: date,
        minutes: int,
        *,
        role: str = "care_manager",
        activity: str = "brief_intervention",
        staff=None,
        contact: Contact | None = None,
        patient: Patient | None = None,
        link_episode: bool = True,
    ) -> TimeEntry:
        staff = (
            staff
            or {
                "care_manager": self.manager,
                "treating_clinician": self.clinician,
                "psychiatric_consultant": self.consultant,
            }[role]
        )
        entry = TimeEntry(
            patient_id=patient.id if patient else episode.patient_id,
            episode_id=episode.id if episode is not None and link_episode else None,
            staff_id=staff.id,
            role=role,
            activity=activity,
            performed_on=day,
            minutes=minutes,
            contact_id=contact.id if contact else None,
        )
        self.session.add(entry)
        self.session.flush()
        return entry


@pytest.fixture
def build(session):
    return ClinicBuilder(session)


@pytest.fixture
def make_clinic(session):
    return lambda **kwargs: ClinicBuilder(session, **kwargs)
