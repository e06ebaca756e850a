"""A worker killed in the middle of a send (the window ``cocm.messaging.delivery`` documents).

``deliver`` claims the row ("sending", a lease in ``locked_until``) and commits before the HTTP
call. A worker that dies after that leaves the row "sending": nothing is lost, nobody else takes
it while the lease runs, and once the lease has expired the sweeper hands it to a worker again.
If the process died before the request left, the text goes exactly once; if Twilio had already
accepted it, it goes a second time, which is the one duplicate the design accepts.

First in this process (the sender raises SystemExit after the claim), then with real processes
killed by ``os._exit`` so that no handler, ``finally`` or rollback of theirs runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.messaging.delivery import BUSY, LEASE, SENT, deliver
from cocm.messaging.dispatch import use_queue_factory
from cocm.messaging.sweeper import claim_due
from cocm.models import Message, OutboxItem
from tests.cocm.messaging.helpers import MORNING, queue_text
from tests.factories import ClinicFactory, PatientFactory
from tests.proof.conftest import dead_queue, scratch_app_database

ROOT = Path(__file__).resolve().parents[2]


class DiesBeforeTheRequest:
    name = "dies-before"

    def send(self, to, body, **_kwargs):
        raise SystemExit(137)  # killed while building the request: nothing left the machine


class DiesAfterTwilioAccepted:
    """Twilio takes the message, then the worker dies before recording the answer."""

    name = "dies-after"

    def __init__(self, provider):
        self.provider = provider

    def send(self, to, body, **kwargs):
        self.provider.send(to, body, **kwargs)
        raise SystemExit(137)


def _row(session, message_id: int) -> tuple[OutboxItem, Message]:
    item = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.message_id == message_id)
        .execution_options(populate_existing=True)
    ).one()
    return item, session.get(Message, message_id, populate_existing=True)


@pytest.fixture
def patient(session):
    clinic = ClinicFactory(timezone="America/New_York")
    return PatientFactory(clinic=clinic, phone_e164="+12025550142")


@pytest.mark.parametrize(
    ("dying", "sends"),
    [("before", 1), ("after", 2)],
    ids=["killed-before-the-request", "killed-after-twilio-accepted"],
)
@freeze_time(MORNING)  # the hook stamps enqueued_at with the clock
def test_a_worker_killed_mid_send(session, patient, recorder, redis, dying, sends):
    message_id = queue_text(session, patient, MORNING).id
    session.commit()
    outbox_id = _row(session, message_id)[0].id
    sender = DiesBeforeTheRequest() if dying == "before" else DiesAfterTwilioAccepted(recorder)

    with pytest.raises(SystemExit):
        deliver(session, outbox_id, MORNING, sender)
    session.rollback()  # the process is gone: whatever it had not committed is lost

    item, message = _row(session, message_id)
    assert (item.status, item.attempts, item.locked_until) == ("sending", 1, MORNING + LEASE)
    assert (message.status, message.twilio_sid) == ("queued", None)
    assert len(recorder.sent) == sends - 1

    # While the lease runs, neither the sweeper nor a replayed job touches it.
    during = MORNING + LEASE - timedelta(seconds=1)
    assert claim_due(session, during) == []
    assert deliver(session, outbox_id, during, recorder) == BUSY
    assert len(recorder.sent) == sends - 1

    # After the lease the sweeper takes it, once, and a worker sends it.
    after = MORNING + LEASE + timedelta(seconds=1)
    assert claim_due(session, after) == [outbox_id]
    session.commit()
    assert claim_due(session, after) == []
    assert deliver(session, outbox_id, after, recorder) == SENT
    assert deliver(session, outbox_id, after, recorder) == "already_done"

    item, message = _row(session, message_id)
    assert (item.status, item.attempts) == ("done", 2)
    assert len(recorder.sent) == sends
    assert {(call.to, call.body) for call in recorder.sent} == {(message.to_number, message.body)}
    assert message.status == "sent" and message.twilio_sid == recorder.sent[-1].sid


# A worker process: claims and sends one outbox row with a sender that kills the process by
# os._exit, after writing down what "Twilio" accepted when it dies after the request.
WORKER = """
import json, os, sys
from datetime import datetime
from cocm.startup import connect_database
from cocm import db
from cocm.messaging.delivery import deliver

outbox_id, now, mode, provider_log = int(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), \
    sys.argv[3], sys.argv[4]

class Dying:
    name = "dying"
    def send(self, to, body, **kwargs):
        if mode == "after":
            with open(provider_log, "a") as log:
                log.write(json.dumps({"to": to, "body": body}) + "\\n")
        os._exit(9)

connect_database()
with db.session_factory() as session:
    deliver(session, outbox_id, now, Dying())
print("the sender returned", flush=True)
"""


def test_worker_processes_killed_mid_send(settings, engine, tmp_path, recorder):
    provider_log = tmp_path / "accepted-by-twilio.jsonl"
    provider_log.touch()
    with scratch_app_database(settings, tmp_path, "killed") as scratch:
        clinic = ClinicFactory(timezone="America/New_York")
        ids = {}
        for mode, phone in (("before", "+12025550151"), ("after", "+12025550152")):
            message = queue_text(
                db.Session(), PatientFactory(clinic=clinic, phone_e164=phone), MORNING
            )
            ids[mode] = message.id
        with use_queue_factory(dead_queue):  # no Redis: the rows are only in the database
            db.Session.commit()
        outbox = {mode: _row(db.Session(), mid)[0].id for mode, mid in ids.items()}
        db.Session.remove()

        env = {
            **os.environ,
            "COCM_ENV": "test",
            "COCM_INSTANCE_PATH": str(scratch.instance_path),
            "DATABASE_URL": scratch.database_url,
            "SECRET_KEY": scratch.secret_key,
            "PUBLIC_BASE_URL": scratch.public_base_url,
            "SMS_TRANSPORT": "recording",
            "LOG_LEVEL": "WARNING",
        }
        for mode, outbox_id in outbox.items():
            worker = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    str(outbox_id),
                    MORNING.isoformat(),
                    mode,
                    str(provider_log),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert worker.returncode == 9, worker.stdout + worker.stderr
            assert "the sender returned" not in worker.stdout

        session = db.Session()
        for mode, message_id in ids.items():
            item, message = _row(session, message_id)
            assert (item.status, item.attempts, message.twilio_sid) == ("sending", 1, None), mode
        accepted = [json.loads(line) for line in provider_log.read_text().splitlines()]
        assert [entry["to"] for entry in accepted] == ["+12025550152"]

        after = MORNING + LEASE + timedelta(seconds=1)
        assert sorted(claim_due(session, after)) == sorted(outbox.values())
        session.commit()
        for outbox_id in outbox.values():
            assert deliver(session, outbox_id, after, recorder) == SENT
        for mode, message_id in ids.items():
            item, message = _row(session, message_id)
            assert (item.status, message.status) == ("done", "sent"), mode
        # Sends per number, counting what Twilio accepted from the killed worker.
        to = [entry["to"] for entry in accepted] + [call.to for call in recorder.sent]
        assert sorted(to) == ["+12025550151", "+12025550152", "+12025550152"]
        db.Session.remove()
