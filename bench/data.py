"""A fast bulk generator of benchmark data: one clinic, N active patients, months of history.

Every benchmark that needs a big clinic builds it with ``build_clinic(engine, patients=...)``:
patients with an open CoCM (some BHI) episode, a care plan, PHQ-9 and GAD-7 assessments with
their item answers (every two weeks for the first twelve weeks of an episode, then every four),
a contact after each with a time entry, care-coordination and consultant minutes, a superseded
entry now and then, and the text messages of each check-in. Ids are assigned here (no
RETURNING round trips) and rows go in batch by batch, parents first: on PostgreSQL with ``COPY``
(psycopg's ``cursor.copy`` from a second thread, ``bench.writer``; several times executemany's
rate), elsewhere with Core ``insert()`` executemany. Progress is printed as it goes. The same
seed and ``today`` give the same clinic, row for row, on either path.

The database must already be at the current schema (``alembic upgrade head``). To reuse a
clinic built before, see ``bench.cache.clinic_database``.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, text

from bench.writer import Writer
from cocm.billing.month import add_months
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    CarePlan,
    Clinic,
    Contact,
    Episode,
    Membership,
    Message,
    Patient,
    Staff,
    TimeEntry,
)

BATCH = 5_000
PATIENTS_PER_MANAGER = 100
TIMEZONE = "America/New_York"


@dataclass
class BenchClinic:
    """What was built: the clinic, its staff, the months covered and how many rows of each."""

    clinic_id: int
    slug: str
    patients: int
    first_month: date
    last_full_month: date
    manager_ids: list[int]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


_ORDER = [
    "clinics",
    "staff",
    "memberships",
    "patients",
    "episodes",
    "care_plans",
    "contacts",
    "assessments",
    "assessment_answers",
    "time_entries",
    "messages",
]


def _print(line: str) -> None:
    print(line, flush=True)  # shown as it happens, even when the output is piped


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def build_clinic(
    engine: Engine,
    patients: int = 20_000,
    *,
    months: int = 6,
    today: date | None = None,
    seed: int = 20261127,
    batch: int = BATCH,
    progress: Callable[[str], None] | None = None,
    slug: str | None = None,
) -> BenchClinic:
    """Build one clinic with ``patients`` patients in open episodes and ``months`` full
    calendar months of history before ``today``'s month (plus the days of this month so far).

    Three in four episodes started before the window (later months throughout); the rest
    start inside it, so initial months appear too. Returns what was built.
    """
    progress = progress or _print
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    first_month = add_months(today.replace(day=1), -months)
    last_full = add_months(today.replace(day=1), -1)
    out = Writer(engine, _ORDER, batch)
    slug = slug or f"bench-{seed}-{patients}"

    clinic_id = out.add(
        Clinic,
        slug=slug,
        name=f"Benchmark clinic ({patients:,} patients)",
        timezone=TIMEZONE,
        text_window_start=time(8),
        text_window_end=time(21),
        hours_start=time(8),
        hours_end=time(17),
        open_weekdays="1,2,3,4,5",
        escalation_minutes=15,
        use_first_names=True,
        portal_links_enabled=False,
        idle_timeout_minutes=15,
        recommendation_limit_days=7,
        disengage_after_attempts=3,
        default_cadence_days=14,
        response_cadence_days=28,
        created_at=_at(first_month, 12),
    )

    def person(name: str, role: str, fte: float = 1.0) -> int:
        staff_id = out.add(
            Staff,
            email=f"{name.lower().replace(' ', '.')}.{clinic_id}@bench.cocm.example",
            full_name=name,
            password_hash=None,
            is_active=True,
            failed_logins=0,
            created_at=_at(first_month, 12),
        )
        out.add(Membership, staff_id=staff_id, clinic_id=clinic_id, role=role, fte=fte)
        return staff_id

    managers = [
        person(f"Care Manager {n:03d}", "care_manager", 1.0 if n % 4 else 0.8)
        for n in range(max(1, patients // PATIENTS_PER_MANAGER))
    ]
    clinicians = [person(f"Clinician {n:02d}", "treating_clinician") for n in range(5)]
    consultant = person("Psychiatric Consultant", "psychiatric_consultant", 0.5)

    began = clock.monotonic()
    window_days = (today - first_month).days
    for index in range(patients):
        _patient(out, rng, index, clinic_id, managers, clinicians, consultant, first_month, today)
        if (index + 1) % 1000 == 0 or index + 1 == patients:
            elapsed = clock.monotonic() - began
            written = sum(out.counts.values())
            progress(
                f"  patients {index + 1:>7,}/{patients:,}  ({written:,} rows written, "
                f"{elapsed:.0f} s, {written / max(elapsed, 0.001):,.0f} rows/s)"
            )
    out.finish()
    if engine.dialect.name == "postgresql":
        progress(f"  VACUUM ANALYZE ({clock.monotonic() - out.began:.0f} s)")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    seconds = clock.monotonic() - out.began
    progress(
        f"  built {patients:,} patients over {window_days} days: "
        f"{sum(out.counts.values()):,} rows in {seconds:.0f} s"
    )
    return BenchClinic(
        clinic_id=clinic_id,
        slug=slug,
        patients=patients,
        first_month=first_month,
        last_full_month=last_full,
        manager_ids=managers,
        rows=dict(out.counts),
        seconds=seconds,
    )


def _patient(out, rng, index, clinic_id, managers, clinicians, consultant, first_month, today):
    manager = managers[index % len(managers)]
    if index % 4:
        started = first_month - timedelta(days=rng.randint(1, 240))
    else:
        started = first_month + timedelta(days=rng.randint(0, (today - first_month).days - 1))
    patient_id = out.add(
        Patient,
        clinic_id=clinic_id,
        mrn=f"BM{index:07d}",
        first_name=("Ana", "Ben", "Cara", "Dev", "Eli", "Fay")[index % 6],
        last_name=f"Patient{index:06d}",
        date_of_birth=date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
        phone_e164=f"+1202{index % 10_000_000:07d}",
        language="es" if index % 5 == 0 else "en",
        care_manager_id=manager,
        treating_clinician_id=clinicians[index % len(clinicians)],
        sms_consent_at=_at(started, 15),
        sms_opted_out=False,
        created_at=_at(started, 14),
    )
    program = "bhi" if index % 17 == 0 else "cocm"
    episode_id = out.add(
        Episode,
        patient_id=patient_id,
        program=program,
        status="active",
        initiating_visit_on=started - timedelta(days=rng.randint(1, 30)),
        consent_on=started if index % 50 else None,  # a few months blocked for consent
        consent_method="verbal",
        started_on=started,
        created_at=_at(started, 14),
    )
    if index % 40:  # a few without a care plan
        out.add(
            CarePlan,
            episode_id=episode_id,
            version=1,
            goals="Walk three times a week; sleep by eleven.",
            medications="Sertraline 50 mg daily" if index % 2 else None,
            created_by_id=manager,
            created_at=_at(started, 16),
        )
    baseline = rng.randint(10, 24)
    improving = rng.random() < 0.6
    visit, day = 0, max(started, first_month - timedelta(days=28))
    while day < today:
        weeks = (day - started).days // 7
        total = max(0, baseline - (weeks // 2 if improving else rng.randint(-1, 2)))
        _checkin(out, rng, patient_id, episode_id, day, min(total, 27), visit)
        contact_id = out.add(
            Contact,
            patient_id=patient_id,
            episode_id=episode_id,
            staff_id=manager,
            kind="phone",
            outcome="reached" if rng.random() < 0.85 else "no_answer",
            template="follow_up" if visit else "initial_assessment",
            occurred_at=_at(day, 16),
            minutes=0,
            note="Reviewed mood, sleep and activity.",
            next_contact_at=_at(day + timedelta(days=14), 16),
            next_action="Follow-up call",
            created_at=_at(day, 16),
        )
        minutes = rng.choice((8, 10, 12, 15, 20, 25, 30))
        out.add(
            TimeEntry,
            patient_id=patient_id,
            episode_id=episode_id,
            staff_id=manager,
            role="care_manager",
            activity="brief_intervention",
            performed_on=day,
            minutes=minutes,
            contact_id=contact_id,
            started_at=_at(day, 16),
            ended_at=_at(day, 16) + timedelta(minutes=minutes),
            created_at=_at(day, 17),
        )
        if rng.random() < 0.5 and day + timedelta(days=6) < today:
            _standalone(out, rng, patient_id, episode_id, manager, consultant, day)
        visit += 1
        day += timedelta(days=14 if weeks < 12 else 28)


def _checkin(out, rng, patient_id, episode_id, day, total, visit) -> None:
    for instrument, items, share in (("PHQ-9", 9, 1.0), ("GAD-7", 7, 0.8)):
        scaled = min(round(total * share), 3 * (items - 1))
        when = _at(day, 14, 5 if instrument == "PHQ-9" else 12)
        assessment_id = out.add(
            Assessment,
            patient_id=patient_id,
            episode_id=episode_id,
            instrument=instrument,
            channel="sms" if visit % 3 else "contact",
            status="completed",
            total=scaled,
            severity=None,
            risk=False,
            started_at=when - timedelta(minutes=5),
            completed_at=when,
        )
        remaining = scaled
        for number in range(1, items + 1):
            value = 0 if (instrument == "PHQ-9" and number == 9) else min(3, remaining)
            remaining -= value
            out.add(
                AssessmentAnswer,
                assessment_id=assessment_id,
                item_number=number,
                value=value,
                answered_at=when - timedelta(minutes=items - number),
            )
    for offset, (direction, body) in enumerate(
        (("outbound", "Time for your check-in."), ("inbound", "ok"), ("outbound", "Thank you."))
    ):
        out.add(
            Message,
            direction=direction,
            patient_id=patient_id,
            kind="checkin_open" if offset == 0 else None,
            body=body,
            status="received" if direction == "inbound" else "delivered",
            segments=1,
            created_at=_at(day, 14, offset),
        )


def _standalone(out, rng, patient_id, episode_id, manager, consultant, day) -> None:
    later = day + timedelta(days=rng.randint(1, 6))
    minutes = rng.randint(5, 20)
    superseded_by = None
    if rng.random() < 0.1:
        # Corrected later: the correction goes in first, so the old row's reference to it
        # holds whichever batch each lands in.
        superseded_by = out.add(
            TimeEntry,
            patient_id=patient_id,
            episode_id=episode_id,
            staff_id=manager,
            role="care_manager",
            activity="care_coordination",
            performed_on=later,
            minutes=max(1, minutes // 4),
            correction_reason="Typed the minutes wrong",
            created_at=_at(later, 19),
        )
    out.add(
        TimeEntry,
        patient_id=patient_id,
        episode_id=None,  # logged from the chart: the billing month finds its episode
        staff_id=manager,
        role="care_manager",
        activity="care_coordination",
        performed_on=later,
        minutes=minutes,
        superseded_by_id=superseded_by,
        created_at=_at(later, 18),
    )
    if rng.random() < 0.2:
        out.add(
            TimeEntry,
            patient_id=patient_id,
            episode_id=episode_id,
            staff_id=consultant,
            role="psychiatric_consultant",
            activity="psychiatric_consultation",
            performed_on=later,
            minutes=rng.randint(5, 15),
            created_at=_at(later, 18),
        )
