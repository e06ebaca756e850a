from datetime import UTC, date, datetime, timedelta

import pytest

from cocm.contacts.service import ContactData, ContactError, TimeData, log_time, record_contact
from tests.cocm.clinics.helpers import Team
from tests.factories import EpisodeFactory, PatientFactory

NOW = datetime(2026, 3, 10, 15, tzinfo=UTC)


def _contact(**overrides):
    values = dict(
        kind="video",
        outcome="reached",
        occurred_at=NOW - timedelta(minutes=30),
        note="Talked about sleep.",
        form_token="tok-1",
        minutes=12,
        activity="brief_intervention",
        next_contact_at=NOW + timedelta(days=7),
    )
    values.update(overrides)
    return ContactData(**values)


def _patient():
    team = Team()
    patient = PatientFactory(clinic=team.clinic)
    EpisodeFactory(patient=patient)
    return team, patient


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "carrier_pigeon"}, "kind"),
        ({"occurred_at": NOW + timedelta(hours=1)}, "occurred_at"),
        ({"next_contact_at": None}, "next_contact_at"),
        ({"next_contact_at": NOW - timedelta(hours=1)}, "next_contact_at"),
        ({"minutes": 601}, "minutes"),
        ({"activity": "gardening"}, "activity"),
        ({"note": "   "}, "note"),
        ({"form_token": ""}, "form_token"),
    ],
)
def test_contact_refuses_bad_input(session, overrides, field):
    team, patient = _patient()
    with pytest.raises(ContactError) as error:
        record_contact(session, _contact(**overrides), patient, team.manager, NOW)
    assert error.value.field == field


def test_same_token_saves_once(session):
    team, patient = _patient()
    first = record_contact(session, _contact(), patient, team.manager, NOW)
    second = record_contact(session, _contact(), patient, team.manager, NOW)
    assert first.created and not second.created
    assert second.contact.id == first.contact.id


def test_partial_scores_are_kept_without_a_total(session):
    team, patient = _patient()
    saved = record_contact(
        session, _contact(gad7=[1, 2, None, None, None, None, None]), patient, team.manager, NOW
    )
    (assessment,) = saved.assessments
    assert assessment.status == "partial" and assessment.total is None
    assert len(assessment.answers) == 2


def test_time_needs_a_role_that_logs_time(session):
    team, patient = _patient()
    data = TimeData(performed_on=date(2026, 3, 10), minutes=10, activity="outreach", form_token="t")
    with pytest.raises(ContactError, match="does not log time"):
        log_time(session, data, patient, team.lead, NOW)
    consultant = log_time(session, data, patient, team.consultant, NOW)
    assert consultant.time_entry.role == "psychiatric_consultant"
