"""Whole PHQ-9 / GAD-7 check-ins through the signed webhook: answers land at once, the score is
stored, the measurement schedule moves, and unreadable replies reach a person."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import Assessment, Conversation, MeasurementSchedule
from tests.patient_app.twilio.helpers import T0, messages, queue_items, start


def _conversation(conversation_id: int) -> Conversation:
    return db.Session.get(Conversation, conversation_id, populate_existing=True)


def _assessment(conversation_id: int) -> Assessment:
    return db.Session.get(
        Assessment, _conversation(conversation_id).assessment_id, populate_existing=True
    )


def _due(world, instrument: str):
    return db.Session.scalar(
        select(MeasurementSchedule.next_due_at).where(
            MeasurementSchedule.episode_id == world.episode_id,
            MeasurementSchedule.instrument == instrument,
        )
    )


@freeze_time(T0)
def test_phq9_answered_one_item_per_text(world, phone):
    conversation_id = start(world)
    answers = [1, 2, 1, 0, 1, 2, 0, 1, 0]
    for number, value in enumerate(answers[:-1], start=1):
        reply = phone.text(f" {value}. ")
        assert len(reply) == 1 and reply[0].startswith(f"({number + 1}/9)")
        stored = _assessment(conversation_id).answer_list(9)
        assert stored[:number] == answers[:number]  # each answer is in the database at once
    last = phone.text("0")
    assert last == ["Thank you, Dana. Your answers were sent to your care team."]

    assessment = _assessment(conversation_id)
    assert assessment.status == "completed" and assessment.channel == "sms"
    assert assessment.total == 8 and assessment.severity == "mild" and assessment.risk is False
    assert assessment.completed_at == T0
    assert _conversation(conversation_id).status == "completed"
    assert _due(world, "PHQ-9") == T0 + timedelta(days=14)
    assert _due(world, "GAD-7") == T0  # only the measured instrument moves
    outbound = [m for m in messages(world.patient_id, "outbound") if m.status == "sent"]
    assert [m.kind for m in outbound] == ["next_item"] * 8 + ["checkin_complete"]
    assert all(m.conversation_id == conversation_id for m in outbound)


@freeze_time(T0)
def test_phq9_answered_all_at_once(world, phone):
    conversation_id = start(world)
    assert phone.text("3 3 3 2 3 3 2 3 0") == [
        "Thank you, Dana. Your answers were sent to your care team."
    ]
    assessment = _assessment(conversation_id)
    assert assessment.total == 22 and assessment.severity == "severe"
    assert [a.value for a in assessment.answers] == [3, 3, 3, 2, 3, 3, 2, 3, 0]


@freeze_time(T0)
def test_after_response_the_cadence_is_28_days(world, phone):
    db.Session.add(
        Assessment(
            patient_id=world.patient_id,
            episode_id=world.episode_id,
            instrument="GAD-7",
            channel="clinic",
            status="completed",
            total=16,
            severity="severe",
            started_at=T0 - timedelta(days=60),
            completed_at=T0 - timedelta(days=60),
        )
    )
    db.Session.commit()
    conversation_id = start(world, "GAD-7")
    phone.text("1101100")  # 4: a drop of more than half from 16
    assert _assessment(conversation_id).total == 4
    assert _due(world, "GAD-7") == T0 + timedelta(days=28)


@freeze_time(T0)
def test_unreadable_replies_reask_then_wait_for_a_person(world, phone):
    conversation_id = start(world)
    assert phone.text("2")[0].startswith("(2/9)")
    reask = phone.text("maybe?")
    assert reask[0].startswith("Sorry, we did not understand") and "(2/9)" in reask[0]
    assert queue_items(world.patient_id, "needs_person") == []
    waiting = phone.text("I don't know, 7")
    assert waiting[0].startswith("Thank you. Someone from your care team will contact you")
    [item] = queue_items(world.patient_id, "needs_person")
    assert (
        item.priority == "normal"
        and item.dedupe_key == f"needs_person:conversation:{conversation_id}"
    )
    assert "could not be read" in item.reason
    assert phone.text("what?") == []  # no nagging while waiting
    assert len(queue_items(world.patient_id, "needs_person")) == 1
    # A readable answer resumes the check-in where it stopped.
    assert phone.text("1")[0].startswith("(3/9)")
    assert _assessment(conversation_id).answer_list(9)[:2] == [2, 1]
    assert _conversation(conversation_id).status == "open"


@freeze_time(T0)
def test_free_text_with_nothing_open_reaches_staff_once(world, phone):
    first = phone.text("Can someone call me about my pills?")
    assert first and "care team will see your message" in first[0]
    phone.text("Also my new number is the same")
    [item] = queue_items(world.patient_id, "free_text")
    assert item.status == "open" and item.message_id == messages(world.patient_id, "inbound")[0].id
