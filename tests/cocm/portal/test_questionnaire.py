"""Questionnaires on a page store, score, move the schedule and raise risk exactly as the text
path does, and share the open text check-in's assessment."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from cocm import db
from cocm.checkins import start_checkin
from cocm.inbound import receive_sms
from cocm.models import Assessment, OutboxItem, Page, QueueItem
from cocm.portal import forms, pending, questionnaire
from tests.cocm.portal.helpers import (
    T0,
    build,
    make_due,
    open_conversation,
    queue_items,
)

ALL_ONES = {n: 1 for n in range(1, 9)} | {9: 0}


def _text(world, body: str, now=T0):
    return receive_sms(
        db.Session,
        message_sid="SM" + uuid.uuid4().hex,
        from_number=world.patient.phone_e164,
        to_number=world.clinic.sms_number,
        body=body,
        opt_out_type=None,
        now=now,
    )


def _saved(assessment_id: int) -> dict[int, int]:
    return forms.answers(db.Session, assessment_id)


def test_nothing_is_pending_unless_the_care_team_asked(portal_world):
    assert pending.pending(db.Session, portal_world.patient, T0) == []


def test_a_due_measure_is_offered_and_its_form_creates_nothing(portal_world):
    schedule_id = make_due(portal_world)
    items = pending.pending(db.Session, portal_world.patient, T0)
    assert [(i.instrument, i.schedule_id, i.assessment_id) for i in items] == [
        ("PHQ-9", schedule_id, None)
    ]
    form = forms.form_for(db.Session, portal_world.patient, "en", T0, schedule_id=schedule_id)
    assert form.open and [i.number for i in form.items] == list(range(1, 11))
    assert form.required_numbers == tuple(range(1, 10))
    assert form.items[0].text == "Little interest or pleasure in doing things"
    assert db.Session.scalar(select(Assessment).where(Assessment.status == "in_progress")) is None


def test_the_form_is_in_the_patients_language(portal_world):
    schedule_id = make_due(portal_world, "GAD-7")
    form = forms.form_for(db.Session, portal_world.patient, "es", T0, schedule_id=schedule_id)
    assert form.lang == "es" and len(form.items) == 7
    assert form.items[0].options[1].label == "Varios días"
    assert form.stem.startswith("Durante las últimas 2 semanas")


def test_saved_answers_are_kept_and_shown_again(portal_world):
    schedule_id = make_due(portal_world)
    first = questionnaire.save(
        db.Session, portal_world.patient, {1: 2, 2: 1}, T0, schedule_id=schedule_id
    )
    assert not first.completed and first.missing == () and first.stored == 2
    assessment = db.Session.get(Assessment, first.assessment_id)
    assert (assessment.channel, assessment.status) == ("portal", "in_progress")
    assert assessment.episode_id == portal_world.episode_id

    later = T0 + timedelta(hours=3)
    items = pending.pending(db.Session, portal_world.patient, later)
    assert [(i.assessment_id, i.answered, i.total) for i in items] == [(assessment.id, 2, 9)]
    form = forms.form_for(
        db.Session, portal_world.patient, "en", later, assessment_id=assessment.id
    )
    assert [i.value for i in form.items[:3]] == [2, 1, None]


def test_finishing_with_gaps_says_what_is_missing_and_keeps_the_rest(portal_world):
    schedule_id = make_due(portal_world)
    result = questionnaire.save(
        db.Session, portal_world.patient, {1: 1, 3: 2}, T0, schedule_id=schedule_id, finish=True
    )
    assert result.missing == (2, 4, 5, 6, 7, 8, 9) and not result.completed
    assert _saved(result.assessment_id) == {1: 1, 3: 2}


def test_completing_on_the_page_scores_and_moves_the_schedule(portal_world):
    schedule_id = make_due(portal_world)
    result = questionnaire.save(
        db.Session, portal_world.patient, ALL_ONES | {10: 1}, T0, schedule_id=schedule_id
    )
    assessment = db.Session.get(Assessment, result.assessment_id)
    assert result.completed and not result.risk
    assert (assessment.status, assessment.total, assessment.severity) == ("completed", 8, "mild")
    assert assessment.completed_at == T0
    assert _saved(assessment.id)[10] == 1  # the unscored difficulty item is kept too
    assert portal_world.schedule().next_due_at == T0 + timedelta(days=14)
    assert pending.pending(db.Session, portal_world.patient, T0) == []


def test_a_completed_questionnaire_takes_nothing_more(portal_world):
    schedule_id = make_due(portal_world)
    done = questionnaire.save(
        db.Session, portal_world.patient, ALL_ONES, T0, schedule_id=schedule_id
    )
    again = questionnaire.save(
        db.Session, portal_world.patient, {1: 3}, T0, assessment_id=done.assessment_id
    )
    assert again.closed and again.completed
    assert _saved(done.assessment_id)[1] == 1


def test_item_nine_raises_the_same_urgent_item_as_a_text_would(portal_world):
    schedule_id = make_due(portal_world)
    result = questionnaire.save(
        db.Session, portal_world.patient, {9: 2}, T0, schedule_id=schedule_id
    )
    assert result.risk and not result.completed
    [item] = queue_items(portal_world.patient_id)
    assert (item.kind, item.priority, item.status) == ("risk_answer", "urgent", "open")
    assert item.assessment_id == result.assessment_id
    assert item.dedupe_key == f"risk:assessment:{result.assessment_id}"
    assert "item 9" in item.reason and "More than half the days" in item.reason
    assert item.next_escalation_at == T0 + timedelta(minutes=15)
    pages = db.Session.scalars(select(Page).where(Page.queue_item_id == item.id)).all()
    assert len(pages) == 1  # the first responder is told at once

    # Saving again, or changing item 9 back to 0, opens nothing more and keeps the mark.
    questionnaire.save(
        db.Session, portal_world.patient, {9: 3}, T0, assessment_id=result.assessment_id
    )
    final = questionnaire.save(
        db.Session, portal_world.patient, ALL_ONES, T0, assessment_id=result.assessment_id
    )
    assert final.completed and final.risk
    assert db.Session.get(Assessment, result.assessment_id).risk is True
    assert len(queue_items(portal_world.patient_id)) == 1


def test_the_page_answers_the_open_text_check_in(portal_world):
    conversation = start_checkin(db.Session, portal_world.patient, "PHQ-9", T0)
    _text(portal_world, "2")  # item 1 by text
    items = pending.pending(db.Session, portal_world.patient, T0)
    assert [(i.assessment_id, i.by_text, i.answered) for i in items] == [
        (conversation.assessment_id, True, 1)
    ]

    questionnaire.save(
        db.Session, portal_world.patient, {2: 1, 3: 1}, T0, assessment_id=conversation.assessment_id
    )
    state = open_conversation(portal_world.patient_id).state
    assert state["answers"][:4] == [2, 1, 1, None]

    _text(portal_world, "3")  # the thread carries on with the first unanswered item
    assert _saved(conversation.assessment_id)[4] == 3

    rest = {5: 0, 6: 0, 7: 0, 8: 0, 9: 0}
    result = questionnaire.save(
        db.Session, portal_world.patient, rest, T0, assessment_id=conversation.assessment_id
    )
    assert result.completed
    db.Session.refresh(conversation)
    assert (conversation.status, conversation.closed_reason) == ("completed", "completed")
    assessment = db.Session.get(Assessment, conversation.assessment_id)
    assert (assessment.channel, assessment.total) == ("portal", 7)  # finished on the page


def test_finishing_on_the_page_cancels_the_texts_still_waiting(portal_world):
    late = T0 + timedelta(hours=13)  # 23:00 in New York: the opening text waits for 08:00
    conversation = start_checkin(db.Session, portal_world.patient, "GAD-7", late)
    waiting = db.Session.scalars(select(OutboxItem).where(OutboxItem.status == "pending")).all()
    assert waiting
    answers = {n: 0 for n in range(1, 8)}
    questionnaire.save(
        db.Session,
        portal_world.patient,
        answers,
        late + timedelta(minutes=10),
        assessment_id=conversation.assessment_id,
    )
    assert {o.status for o in waiting} == {"cancelled"}


def test_a_due_measure_answers_the_open_text_check_in_of_the_same_questionnaire(portal_world):
    schedule_id = make_due(portal_world)
    conversation = start_checkin(db.Session, portal_world.patient, "PHQ-9", T0)
    result = questionnaire.save(
        db.Session, portal_world.patient, {1: 1}, T0, schedule_id=schedule_id
    )
    assert result.assessment_id == conversation.assessment_id


def test_a_page_form_folds_into_a_later_text_check_in(portal_world):
    schedule_id = make_due(portal_world)
    page = questionnaire.save(
        db.Session, portal_world.patient, {1: 3, 2: 2}, T0, schedule_id=schedule_id
    )
    conversation = start_checkin(db.Session, portal_world.patient, "PHQ-9", T0 + timedelta(hours=1))
    _text(portal_world, "0", now=T0 + timedelta(hours=1))  # answers item 1 by text

    items = pending.pending(db.Session, portal_world.patient, T0 + timedelta(hours=2))

    assert [i.assessment_id for i in items] == [conversation.assessment_id]
    assert _saved(conversation.assessment_id) == {1: 0, 2: 2}
    assert db.Session.get(Assessment, page.assessment_id).status == "superseded"
    assert open_conversation(portal_world.patient_id).state["answers"][:3] == [0, 2, None]


def test_a_page_form_left_for_a_week_closes_as_partial(portal_world):
    schedule_id = make_due(portal_world)
    page = questionnaire.save(db.Session, portal_world.patient, {1: 1}, T0, schedule_id=schedule_id)
    pending.pending(db.Session, portal_world.patient, T0 + timedelta(days=8))
    assessment = db.Session.get(Assessment, page.assessment_id)
    assert assessment.status == "partial" and _saved(assessment.id) == {1: 1}


def test_another_patients_questionnaire_is_not_available(portal_world, session):
    other = build()
    schedule_id = make_due(portal_world)
    mine = questionnaire.save(db.Session, portal_world.patient, {1: 1}, T0, schedule_id=schedule_id)
    with pytest.raises(forms.NotAvailable):
        questionnaire.save(db.Session, other.patient, {1: 2}, T0, assessment_id=mine.assessment_id)
    with pytest.raises(forms.NotAvailable):
        forms.form_for(db.Session, other.patient, "en", T0, assessment_id=mine.assessment_id)
    with pytest.raises(forms.NotAvailable):
        forms.form_for(db.Session, other.patient, "en", T0, schedule_id=schedule_id)


def test_a_measure_not_due_is_not_available(portal_world):
    schedule_id = portal_world.schedule().id
    with pytest.raises(forms.NotAvailable):
        questionnaire.save(db.Session, portal_world.patient, {1: 1}, T0, schedule_id=schedule_id)


@pytest.mark.parametrize("answers", [{1: 4}, {1: -1}, {11: 0}, {0: 1}])
def test_an_answer_the_questionnaire_does_not_offer_is_refused(portal_world, answers):
    schedule_id = make_due(portal_world)
    with pytest.raises(ValueError):
        questionnaire.save(db.Session, portal_world.patient, answers, T0, schedule_id=schedule_id)
    assert db.Session.scalar(select(Assessment).where(Assessment.status == "in_progress")) is None
    assert db.Session.scalar(select(QueueItem)) is None
