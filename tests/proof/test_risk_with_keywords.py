"""A risk phrase in a text that Twilio marked as an opt-out (``OptOutType``) still runs the risk
protocol (DESIGN section 5: any inbound text that matches the list, never optional).

Found by ``test_conversation_fuzz``: the engine returned the keyword outcome before looking for
risk phrases, and with ``OptOutType`` the body can be anything a clinic set up as a keyword.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from cocm import db
from cocm.models import ConsentEvent, Patient
from tests.patient_app.twilio.helpers import T0, Phone, build_world, queue_items

SAFETY = "If you are thinking about hurting yourself, please call or text 988"


@pytest.fixture
def world(session):
    built = build_world()
    session.commit()
    return built


@freeze_time(T0)
def test_a_risk_phrase_marked_stop_by_twilio_still_reaches_a_person(
    world, patient_app, recorder, redis
):
    phone = Phone(patient_app.test_client())
    reply = phone.text("basta, me quiero morir", OptOutType="STOP")
    assert reply[0].startswith(SAFETY)
    assert "unsubscribed" in reply[1]

    [urgent] = queue_items(world.patient_id, "risk_words")
    assert (urgent.priority, urgent.status) == ("urgent", "open")
    assert [call.to for call in recorder.sent] == ["+12025550181"]  # the care manager's page
    assert db.Session.get(Patient, world.patient_id, populate_existing=True).sms_opted_out
    consent = db.Session.query(ConsentEvent).filter_by(patient_id=world.patient_id).one()
    assert (consent.kind, consent.source) == ("opt_out", "twilio_opt_out_type")
