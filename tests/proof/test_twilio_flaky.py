"""Twilio answers 429 or 500 to a third of the sends, at random: every text still goes once.

The real ``TwilioSender`` builds every request through the Twilio SDK; the recording HTTP client
answers each one from a seeded random script. The outbox retries with backoff (the sweeper finds
each row again once its backoff has passed) until every message has exactly one accepted create
request and the status "sent".
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from cocm.messaging.delivery import RETRY, SENT, deliver
from cocm.messaging.http_recording import RecordingHttpClient, error_response, message_response
from cocm.messaging.outbox import queue_message
from cocm.messaging.retry import MAX_ATTEMPTS
from cocm.messaging.senders import TwilioSender
from cocm.messaging.sweeper import claim_due
from cocm.models import Message, OutboxItem
from tests.cocm.messaging.helpers import MORNING
from tests.factories import ClinicFactory, PatientFactory

MESSAGES = 60
FLAKY = 1 / 3


class FlakyTwilio:
    """Scripts the next answer just before each send: 429, 500 or a created Message."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.http = RecordingHttpClient()
        self.answers: list[tuple[int, str | None]] = []  # (HTTP status, sid) per request

    def next(self) -> None:
        if self.rng.random() < FLAKY:
            status = self.rng.choice((429, 500))
            code = 20429 if status == 429 else 20500
            self.http.script(error_response(status, code, "Twilio is having a moment"))
            self.answers.append((status, None))
        else:
            sid = f"SM{self.rng.getrandbits(128):032x}"
            self.http.script(message_response(sid, "queued"))
            self.answers.append((201, sid))


@freeze_time(MORNING)
def test_a_third_of_sends_refused_and_every_message_goes_once(session, settings, redis):
    clinic = ClinicFactory(timezone="America/New_York", sms_number="+15005550006")
    bodies = {}
    for n in range(MESSAGES):
        patient = PatientFactory(clinic=clinic, phone_e164=f"+1202555{8000 + n:04d}")
        body = f"Hi Dana, check-in {n:02d} is ready. Reply to this text to start."
        message = queue_message(
            session, clinic=clinic, patient=patient, kind="checkin_open", body=body, now=MORNING
        )
        bodies[body] = message.id
    session.commit()  # the hook hands the rows to the test Redis; the sweeper finds them anyway

    twilio = FlakyTwilio(seed=20261127)
    sender = TwilioSender.from_settings(settings, http_client=twilio.http)
    now = MORNING
    outcomes: Counter[str] = Counter()
    # First the jobs the hook enqueued, one per row; then, after each backoff, the sweeper
    # finds the rows that were put back (a retry clears enqueued_at).
    due = session.scalars(select(OutboxItem.id).order_by(OutboxItem.id)).all()
    for _ in range(MAX_ATTEMPTS):
        with freeze_time(now):
            for outbox_id in due:
                twilio.next()
                outcomes[deliver(session, outbox_id, now, sender)] += 1
        waiting = session.scalars(
            select(OutboxItem.not_before)
            .where(OutboxItem.status == "pending")
            .execution_options(populate_existing=True)
        ).all()
        if not waiting:
            break
        now = max(waiting) + timedelta(seconds=1)  # past every backoff
        with freeze_time(now):
            due = claim_due(session, now)
            session.commit()
    assert set(outcomes) <= {SENT, RETRY}
    assert outcomes[SENT] == MESSAGES and outcomes[RETRY] > MESSAGES / 5

    requests = twilio.http.requests
    assert len(requests) == len(twilio.answers) == sum(outcomes.values())
    accepted: dict[str, list[str]] = defaultdict(list)
    tries: Counter[str] = Counter()
    for request, (status, sid) in zip(requests, twilio.answers, strict=True):
        assert request.method == "POST" and request.url.endswith("/Messages.json")
        assert request.data["StatusCallback"] == "https://cocm.example.org/twilio/status"
        tries[request.data["Body"]] += 1
        if status == 201:
            accepted[request.data["Body"]].append(sid)
    assert set(accepted) == set(bodies)
    assert all(len(sids) == 1 for sids in accepted.values()), "a message was accepted twice"

    session.expire_all()
    for body, message_id in bodies.items():
        message = session.get(Message, message_id)
        item = session.scalars(select(OutboxItem).where(OutboxItem.message_id == message_id)).one()
        assert (message.status, message.twilio_sid) == ("sent", accepted[body][0])
        assert (item.status, item.attempts) == ("done", tries[body])
