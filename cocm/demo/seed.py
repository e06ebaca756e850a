"""Realistic, synthetic demo data: two clinics, staff in every role, ~150 patients at every stage.

Everything is generated from a fixed random seed, so two runs produce the same clinic. A second
run finds the demo clinics and adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import db
from cocm.accounts import create_staff
from cocm.clock import utcnow
from cocm.demo.people import FIRST_NAMES, LAST_NAMES
from cocm.demo.review import seed_case_review
from cocm.demo.stages import STAGES, Stage, totals_for
from cocm.instruments import score
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    CarePlan,
    Clinic,
    ConsentEvent,
    Contact,
    Episode,
    EscalationStep,
    MeasurementSchedule,
    Message,
    Patient,
    QueueEvent,
    QueueItem,
    Staff,
    TimeEntry,
)

DEMO_PASSWORD = "demo-password-1"
CLINICS = (
    (
        "riverside",
        "Riverside Family Medicine",
        "America/New_York",
        "+15005550006",
        "(555) 010-2000",
    ),
    (
        "hillcrest",
        "Hillcrest Community Health",
        "America/Chicago",
        "+15005550007",
        "(555) 010-3000",
    ),
)
# (email local part, name, {clinic: roles}, phone)
STAFF = (
    ("maria.lopez", "Maria Lopez", {"riverside": ["care_manager"]}, "+12025550150"),
    ("james.chen", "James Chen", {"riverside": ["care_manager"]}, "+12025550151"),
    ("aisha.bello", "Aisha Bello", {"hillcrest": ["care_manager"]}, "+13125550152"),
    ("dr.patel", "Dr. Priya Patel", {"riverside": ["treating_clinician"]}, "+12025550153"),
    ("dr.okafor", "Dr. Daniel Okafor", {"hillcrest": ["treating_clinician"]}, "+13125550154"),
    (
        "dr.nguyen",
        "Dr. Linh Nguyen",
        {"riverside": ["psychiatric_consultant"], "hillcrest": ["psychiatric_consultant"]},
        "+12025550155",
    ),
    (
        "sam.rivera",
        "Sam Rivera",
        {"riverside": ["clinic_lead"], "hillcrest": ["clinic_lead"]},
        "+12025550156",
    ),
    ("admin", "Alex Admin", {"riverside": ["admin"], "hillcrest": ["admin"]}, None),
)
DEMO_DOMAIN = "demo.cocm.example"


def seed(
    patients: int = 150, echo: Callable[[str], None] = print, now: datetime | None = None
) -> bool:
    """Seed the demo clinics; return False (and change nothing) when they already exist."""
    now = now or utcnow()
    with db.session_scope() as session:
        if session.scalar(select(Clinic).where(Clinic.slug == CLINICS[0][0])):
            echo("demo data already present: nothing added")
            return False
        clinics = _clinics(session)
        staff = _staff(session)
        _escalation(session, clinics, staff)
        rng = random.Random(20261127)
        for index in range(patients):
            _patient(session, rng, index, clinics, staff, now)
            if (index + 1) % 25 == 0 or index + 1 == patients:
                echo(f"  patients {index + 1}/{patients}")
                session.flush()
        echo("  case reviews")
        seed_case_review(session, now)
    echo("demo data loaded. Sign in with any of these (password: " + DEMO_PASSWORD + "):")
    for local, name, roles, _ in STAFF:
        summary = "; ".join(f"{', '.join(r)} at {c}" for c, r in roles.items())
        email = f"{local}@{DEMO_DOMAIN}"
        echo(f"  {email:<34} {name} ({summary.replace('_', ' ')})")
    return True


def _clinics(session: Session) -> dict[str, Clinic]:
    clinics = {}
    for slug, name, tz, number, phone in CLINICS:
        clinic = Clinic(
            slug=slug,
            name=name,
            timezone=tz,
            sms_number=number,
            phone_display=phone,
            review_weekday=3,
            review_time=time(12, 0),
            # Riverside shows the one-time portal link in its check-in texts; Hillcrest does not.
            portal_links_enabled=slug == CLINICS[0][0],
            enrollment_script=(
                "Our care team includes me, your doctor and a psychiatric consultant who reviews "
                "your care with us. Much of the work happens by phone and text between visits. "
                "Your plan may have a copay or cost sharing for these services each month."
            ),
        )
        session.add(clinic)
        clinics[slug] = clinic
    session.flush()
    return clinics


def _staff(session: Session) -> dict[str, Staff]:
    people = {}
    for local, name, roles, phone in STAFF:
        people[local] = create_staff(
            session,
            email=f"{local}@{DEMO_DOMAIN}",
            full_name=name,
            password=DEMO_PASSWORD,
            roles=roles,
            phone=phone,
        )
    return people


def _escalation(session: Session, clinics: dict[str, Clinic], staff: dict[str, Staff]) -> None:
    chains = {
        "riverside": ["james.chen", "maria.lopez", "dr.patel", "sam.rivera"],
        "hillcrest": ["aisha.bello", "dr.okafor", "sam.rivera"],
    }
    for slug, chain in chains.items():
        for position, local in enumerate(chain):
            session.add(
                EscalationStep(
                    clinic_id=clinics[slug].id, position=position, staff_id=staff[local].id
                )
            )


def _patient(session, rng, index, clinics, staff, now) -> None:
    slug = "riverside" if index % 3 else "hillcrest"
    clinic = clinics[slug]
    manager = (
        staff["aisha.bello"]
        if slug == "hillcrest"
        else staff["maria.lopez" if index % 2 else "james.chen"]
    )
    clinician = staff["dr.okafor" if slug == "hillcrest" else "dr.patel"]
    stage: Stage = STAGES[index % len(STAGES)]
    spanish = index % 5 == 0
    area = ("202", "312", "415")[index // 100 % 3]
    weeks = stage.weeks(rng)
    started = (now - timedelta(weeks=weeks)).date()
    patient = Patient(
        clinic_id=clinic.id,
        mrn=f"{slug[0].upper()}{100000 + index}",
        first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
        last_name=LAST_NAMES[(index * 7) % len(LAST_NAMES)],
        date_of_birth=date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
        phone_e164=f"+1{area}5550{100 + index % 100}",
        language="es" if spanish else "en",
        care_manager_id=manager.id,
        treating_clinician_id=clinician.id,
        sms_consent_at=_at(started, 10),
        sms_opted_out=stage.opted_out,
    )
    session.add(patient)
    session.flush()
    session.add(
        ConsentEvent(
            patient_id=patient.id,
            kind="sms_consent_given",
            source="enrollment",
            wording="You agreed to get check-in texts from your care team. Reply STOP to end.",
            staff_id=manager.id,
            occurred_at=_at(started, 10),
        )
    )
    episode = Episode(
        patient_id=patient.id,
        program="bhi" if index % 17 == 0 else "cocm",
        status=stage.status,
        initiating_visit_on=started - timedelta(days=rng.randint(3, 20)),
        consent_on=started,
        consent_method="verbal",
        started_on=started,
        ended_on=now.date() - timedelta(days=3) if stage.status == "disengaged" else None,
        end_reason="No response to three outreach attempts."
        if stage.status == "disengaged"
        else None,
        reentry_note="Welcome back any time: ask the front desk for the care manager."
        if stage.status == "disengaged"
        else None,
    )
    session.add(episode)
    session.flush()
    session.add(
        CarePlan(
            episode_id=episode.id,
            version=1,
            goals="Sleep through the night most days; walk with my sister twice a week.",
            medications="Sertraline 50 mg daily" if index % 2 else "None yet",
            skill_plan="Behavioral activation: one pleasant activity each day.",
            follow_up="Phone check-in every two weeks.",
            safety_steps="Call or text 988; call the clinic; sister's number on the fridge.",
            created_by_id=manager.id,
            created_at=_at(started, 11),
            signed_by_id=None if stage.name == "new" and index % 2 else clinician.id,
            signed_at=None
            if stage.name == "new" and index % 2
            else _at(started + timedelta(days=2), 15),
        )
    )
    last_measure = _history(session, rng, patient, episode, stage, started, now, manager)
    if stage.status in ("enrolled", "active", "relapse_prevention"):
        cadence = 28 if stage.responded else 14
        for instrument in ("PHQ-9", "GAD-7"):
            session.add(
                MeasurementSchedule(
                    episode_id=episode.id,
                    instrument=instrument,
                    next_due_at=max(
                        last_measure + timedelta(days=cadence), now - timedelta(days=2)
                    ),
                )
            )
    if index == 4:
        _risk_event(session, patient, clinic, now)


def _history(session, rng, patient, episode, stage, started, now, manager) -> datetime:
    """Assessments every two weeks, a contact with minutes after each, and texts around them."""
    phq_totals = totals_for(stage, rng, kind="phq")
    gad_totals = totals_for(stage, rng, kind="gad")
    last = _at(started, 11)
    for visit, (phq, gad) in enumerate(zip(phq_totals, gad_totals, strict=False)):
        when = _at(started + timedelta(days=14 * visit), 11 + visit % 6)
        if when > now - timedelta(hours=1):
            break
        last = when
        channel = "clinic" if visit == 0 else ("sms" if visit % 3 else "contact")
        _assessment(session, rng, patient, episode, "PHQ-9", phq, when, channel)
        _assessment(
            session, rng, patient, episode, "GAD-7", gad, when + timedelta(minutes=8), channel
        )
        minutes = 45 if visit == 0 else rng.choice((8, 12, 15, 20, 25))
        contact = Contact(
            patient_id=patient.id,
            episode_id=episode.id,
            staff_id=manager.id,
            kind="in_person" if visit == 0 else "phone",
            outcome="reached",
            template="initial_assessment" if visit == 0 else "follow_up",
            occurred_at=when + timedelta(minutes=30),
            minutes=minutes,
            note="Reviewed mood, sleep and activity goals." if visit else "Initial assessment.",
            next_contact_at=when + timedelta(days=14),
            next_contact_confirmed_at=when + timedelta(days=1) if visit % 2 else None,
            next_action="Follow-up call" if visit else "Start behavioral activation",
        )
        session.add(contact)
        session.flush()
        session.add(
            TimeEntry(
                patient_id=patient.id,
                episode_id=episode.id,
                staff_id=manager.id,
                role="care_manager",
                activity="assessment" if visit == 0 else "brief_intervention",
                performed_on=contact.occurred_at.date(),
                minutes=minutes,
                contact_id=contact.id,
            )
        )
        if channel == "sms":
            _thread(session, patient, when, phq)
    return last


def _assessment(session, rng, patient, episode, instrument, total, when, channel) -> None:
    items = 9 if instrument == "PHQ-9" else 7
    values = _spread(rng, total, items, risk_item=9 if instrument == "PHQ-9" else None)
    result = score(instrument, values)
    assessment = Assessment(
        patient_id=patient.id,
        episode_id=episode.id,
        instrument=instrument,
        channel=channel,
        status="completed",
        total=result.total,
        severity=result.severity,
        risk=result.risk,
        started_at=when,
        completed_at=when + timedelta(minutes=6),
    )
    assessment.answers = [
        AssessmentAnswer(item_number=n + 1, value=v, answered_at=when + timedelta(minutes=n // 2))
        for n, v in enumerate(values)
    ]
    session.add(assessment)


def _spread(rng, total, items, risk_item=None) -> list[int]:
    """Item answers that add up to ``total`` (item 9 stays 0: risk is seeded separately)."""
    slots = [n for n in range(items) if n + 1 != risk_item]
    total = min(total, 3 * len(slots))
    values = [0] * items
    while sum(values) < total:
        n = rng.choice(slots)
        if values[n] < 3:
            values[n] += 1
    return values


def _thread(session, patient, when, total) -> None:
    texts = [
        (
            "outbound",
            "checkin_open",
            f"Hi {patient.first_name}, it's your care team with a quick check-in.",
        ),
        ("inbound", None, "ok"),
        ("outbound", "checkin_complete", "Thank you. Your care team will see your answers."),
    ]
    for offset, (direction, kind, body) in enumerate(texts):
        session.add(
            Message(
                direction=direction,
                patient_id=patient.id,
                clinic_id=patient.clinic_id,
                kind=kind,
                body=body,
                from_number=patient.phone_e164
                if direction == "inbound"
                else patient.clinic.sms_number,
                to_number=patient.clinic.sms_number
                if direction == "inbound"
                else patient.phone_e164,
                status="received" if direction == "inbound" else "delivered",
                created_at=when + timedelta(minutes=offset),
            )
        )


def _risk_event(session, patient, clinic, now) -> None:
    """One open urgent item: item 9 answered 'several days' this morning."""
    when = now - timedelta(minutes=40)
    assessment = Assessment(
        patient_id=patient.id,
        instrument="PHQ-9",
        channel="sms",
        status="completed",
        total=17,
        severity="moderately severe",
        risk=True,
        started_at=when - timedelta(minutes=10),
        completed_at=when,
    )
    assessment.answers = [
        AssessmentAnswer(item_number=n + 1, value=v, answered_at=when)
        for n, v in enumerate((2, 2, 3, 2, 2, 2, 2, 1, 1))
    ]
    session.add(assessment)
    session.flush()
    item = QueueItem(
        clinic_id=clinic.id,
        patient_id=patient.id,
        kind="risk_answer",
        priority="urgent",
        reason="Answered the self-harm question with 'several days'",
        assessment_id=assessment.id,
        opened_at=when,
        next_escalation_at=when + timedelta(minutes=clinic.escalation_minutes),
    )
    session.add(item)
    session.flush()
    session.add(QueueEvent(queue_item_id=item.id, kind="opened", occurred_at=when))


def _at(day: date, hour: int) -> datetime:
    from datetime import UTC

    return datetime.combine(day, time(hour % 24, 0), tzinfo=UTC) + timedelta(hours=5)
