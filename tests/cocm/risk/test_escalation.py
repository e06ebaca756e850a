"""DESIGN 5 step 3: immediate notice, then a page every clinic limit up the chain."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from cocm.models import EscalationStep, Page, QueueEvent
from cocm.response_queue import claim, open_item
from cocm.risk.drill import start_drill
from cocm.risk.escalation import escalate_due, in_clinic_hours, notify_first_responder
from tests.factories import ClinicFactory, PatientFactory, staff_with_role


def _clinic_with_chain(session):
    clinic = ClinicFactory(timezone="America/New_York", hours_start=time(8), hours_end=time(17))
    manager = staff_with_role(clinic, "care_manager", phone="+12025550101")
    on_call = staff_with_role(clinic, "care_manager", phone="+12025550102")
    nurse = staff_with_role(clinic, "treating_clinician", phone="+12025550103")
    lead = staff_with_role(clinic, "clinic_lead", phone="+12025550104")
    for position, staff in enumerate((on_call, nurse, lead)):
        session.add(EscalationStep(clinic_id=clinic.id, position=position, staff_id=staff.id))
    patient = PatientFactory(clinic=clinic, care_manager_id=manager.id)
    session.flush()
    return clinic, patient, {"manager": manager, "on_call": on_call, "nurse": nurse, "lead": lead}


def _urgent(session, clinic, patient, now):
    item = open_item(
        session,
        clinic_id=clinic.id,
        patient_id=patient.id,
        kind="risk_answer",
        reason="self-harm answer",
        now=now,
    )
    notify_first_responder(session, item, now)
    return item


def _paged(session, item):
    pages = session.scalars(select(Page).where(Page.queue_item_id == item.id).order_by(Page.level))
    return [(p.level, p.staff_id, p.sent_at) for p in pages]


def _local(hour, minute=0, day=3):
    # 2026-03-03 is a Tuesday; New York is UTC-5 then.
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def test_in_hours_item_notifies_care_manager_then_climbs_the_chain(session):
    clinic, patient, staff = _clinic_with_chain(session)
    start = _local(10)
    item = _urgent(session, clinic, patient, start)
    assert _paged(session, item) == [(0, staff["manager"].id, start)]
    assert escalate_due(session, _local(10, 14)) == 0
    assert escalate_due(session, _local(10, 15)) == 1
    assert escalate_due(session, _local(10, 15)) == 0  # a second cron run pages nobody again
    assert escalate_due(session, _local(10, 30)) == 1
    assert escalate_due(session, _local(11, 30)) == 0  # the clinic lead was the last step
    assert [(level, who) for level, who, _ in _paged(session, item)] == [
        (0, staff["manager"].id),
        (1, staff["nurse"].id),
        (2, staff["lead"].id),
    ]
    assert [when for _, _, when in _paged(session, item)][1:] == [_local(10, 15), _local(10, 30)]


def test_after_hours_item_pages_on_call_at_once(session):
    clinic, patient, staff = _clinic_with_chain(session)
    night = _local(22, 30)
    assert not in_clinic_hours(clinic, night)
    item = _urgent(session, clinic, patient, night)
    assert _paged(session, item) == [(0, staff["on_call"].id, night)]


def test_weekend_counts_as_after_hours(session):
    clinic, patient, staff = _clinic_with_chain(session)
    saturday_morning = _local(10, day=7)
    item = _urgent(session, clinic, patient, saturday_morning)
    assert _paged(session, item)[0][1] == staff["on_call"].id


def test_acknowledging_stops_the_chain(session):
    clinic, patient, staff = _clinic_with_chain(session)
    item = _urgent(session, clinic, patient, _local(10))
    claim(session, item, staff["manager"], _local(10, 5))
    assert escalate_due(session, _local(10, 15)) == 0
    assert escalate_due(session, _local(10, 30)) == 0
    assert len(_paged(session, item)) == 1


def test_pages_carry_no_phi_only_a_link(session):
    clinic, patient, staff = _clinic_with_chain(session)
    item = _urgent(session, clinic, patient, _local(10))
    page = session.scalar(select(Page).where(Page.queue_item_id == item.id))
    body = page_body(session, page)
    assert f"/staff/queue/{item.id}" in body
    assert patient.first_name not in body and patient.last_name not in body
    assert "DRILL" not in body


def page_body(session, page):
    from cocm.models import Message

    return session.get(Message, page.message_id).body


def test_drill_runs_the_chain_marked_as_drill(session):
    clinic, _patient, staff = _clinic_with_chain(session)
    drill = start_drill(session, clinic.id, staff["lead"], _local(10))
    assert drill.is_drill and drill.patient_id is None
    escalate_due(session, _local(10, 15))
    escalate_due(session, _local(10, 30))
    pages = session.scalars(select(Page).where(Page.queue_item_id == drill.id)).all()
    assert [p.staff_id for p in sorted(pages, key=lambda p: p.level)] == [
        staff["on_call"].id,
        staff["nurse"].id,
        staff["lead"].id,
    ]
    assert all(p.is_drill for p in pages)
    assert all(page_body(session, p).startswith("DRILL") for p in pages)
    events = session.scalars(
        select(QueueEvent.kind).where(QueueEvent.queue_item_id == drill.id)
    ).all()
    assert events.count("paged") == 2 and events.count("notified") == 1
