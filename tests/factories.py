"""factory_boy factories bound to the test session."""

from __future__ import annotations

from datetime import UTC, date, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory

from cocm import db
from cocm.accounts import hash_password
from cocm.models import Clinic, Episode, Membership, Patient, Staff

_PASSWORD_HASH = hash_password("correct-horse-battery")
PASSWORD = "correct-horse-battery"


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = db.Session
        sqlalchemy_session_persistence = "flush"


class ClinicFactory(_Base):
    class Meta:
        model = Clinic

    slug = factory.Sequence(lambda n: f"clinic-{n}")
    name = factory.Sequence(lambda n: f"Clinic {n}")
    timezone = "America/New_York"
    sms_number = factory.Sequence(lambda n: f"+1500555{n:04d}")
    phone_display = "(555) 010-0000"


class StaffFactory(_Base):
    class Meta:
        model = Staff

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")
    password_hash = _PASSWORD_HASH


class MembershipFactory(_Base):
    class Meta:
        model = Membership

    staff = factory.SubFactory(StaffFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = "care_manager"


class PatientFactory(_Base):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = "Dana"
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    phone_e164 = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    language = "en"
    sms_consent_at = factory.LazyFunction(lambda: datetime(2026, 1, 5, 15, tzinfo=UTC))


class EpisodeFactory(_Base):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    program = "cocm"
    status = "active"
    initiating_visit_on = date(2026, 1, 2)
    consent_on = date(2026, 1, 5)
    consent_method = "verbal"
    started_on = date(2026, 1, 5)


def staff_with_role(clinic: Clinic, role: str, **kwargs) -> Staff:
    staff = StaffFactory(**kwargs)
    MembershipFactory(staff=staff, clinic=clinic, role=role)
    return staff
