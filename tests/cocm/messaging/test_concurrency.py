"""Real concurrency on the real database: two workers delivering the same row at the same moment
send it once, and two sweepers never take the same row.

These tests commit for real (each worker needs its own connection and must see the other's
commits), so they build their own rows outside the rolled-back test transaction and delete them
afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cocm.messaging.delivery import deliver
from cocm.messaging.senders import RecordingSender
from cocm.messaging.sweeper import claim_due
from cocm.models import Clinic, Message, OutboxItem, Patient
from tests.cocm.messaging.helpers import BODY, MORNING


class SlowSender(RecordingSender):
    """Takes a while to answer, so the second worker arrives while the first is sending."""

    def send(self, to, body, **kwargs):
        time.sleep(0.3)
        return super().send(to, body, **kwargs)


@pytest.fixture
def committed_rows(engine) -> Iterator[list[int]]:
    """A clinic, a patient and three committed outbox rows; removed again afterwards."""
    with Session(engine) as session:
        clinic = Clinic(slug="race-clinic", name="Race Clinic", sms_number="+15005559900")
        session.add(clinic)
        session.flush()
        patient = Patient(
            clinic_id=clinic.id,
            mrn="RACE-1",
            first_name="Dana",
            last_name="Race",
            phone_e164="+12025550160",
        )
        session.add(patient)
        session.flush()
        ids = []
        for _ in range(3):
            message = Message(
                direction="outbound",
                patient_id=patient.id,
                clinic_id=clinic.id,
                kind="checkin_open",
                body=BODY,
                from_number=clinic.sms_number,
                to_number=patient.phone_e164,
                status="queued",
                created_at=MORNING,
            )
            session.add(message)
            session.flush()
            item = OutboxItem(message_id=message.id, status="pending", not_before=MORNING)
            session.add(item)
            session.flush()
            ids.append(item.id)
        session.commit()
        clinic_id, patient_id = clinic.id, patient.id
    try:
        yield ids
    finally:
        with Session(engine) as session:
            message_ids = select(Message.id).where(Message.patient_id == patient_id)
            session.execute(delete(OutboxItem).where(OutboxItem.message_id.in_(message_ids)))
            session.execute(delete(Message).where(Message.patient_id == patient_id))
            session.execute(delete(Patient).where(Patient.id == patient_id))
            session.execute(delete(Clinic).where(Clinic.id == clinic_id))
            session.commit()


def _in_parallel(engine, work, count=2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index):
        try:
            with Session(engine) as session:
                barrier.wait()
                results[index] = work(session)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_two_workers_delivering_one_row_at_once_send_it_once(engine, committed_rows):
    sender = SlowSender()
    outbox_id = committed_rows[0]
    outcomes = _in_parallel(engine, lambda session: deliver(session, outbox_id, MORNING, sender))
    assert sorted(outcomes) == ["busy", "sent"] or sorted(outcomes) == ["already_done", "sent"]
    assert len(sender.calls) == 1
    with Session(engine) as session:
        item = session.get(OutboxItem, outbox_id)
        assert (item.status, item.attempts) == ("done", 1)


def test_two_sweepers_never_take_the_same_row(engine, committed_rows):
    def sweep(session):
        ids = claim_due(session, MORNING, limit=2)
        time.sleep(0.2)  # hold the rows while the other sweeper looks
        session.commit()
        return ids

    first, second = _in_parallel(engine, sweep)
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(committed_rows)
