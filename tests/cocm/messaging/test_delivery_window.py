"""DESIGN 6: proactive texts go only inside the allowed window, re-checked at send time in the
patient's zone, across daylight-saving changes; staff pages and replies ignore the window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from cocm.clock import utcnow
from cocm.messaging.delivery import deliver
from jobs.messaging import deliver_outbox, sweep_outbox
from tests.cocm.messaging.helpers import (
    outbox_for,
    page_staff,
    queue_text,
    run_worker,
)

NEW_YORK = ZoneInfo("America/New_York")


def new_york(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def _queued_at(session, patient, when, **kwargs):
    """A text written an hour before ``when`` and committed (so the job sees it)."""
    message = queue_text(session, patient, when - timedelta(hours=1), **kwargs)
    session.commit()
    return message


@pytest.mark.parametrize(
    "when",
    [
        new_york(2026, 3, 3, 20, 59),
        new_york(2026, 3, 3, 8, 0),
        new_york(2026, 3, 8, 20, 59),  # first evening of daylight time
        new_york(2026, 11, 1, 20, 59),  # first evening of standard time
    ],
)
def test_inside_the_window_the_text_goes(session, patient, recorder, when):
    message = _queued_at(session, patient, when)
    with freeze_time(when):
        assert deliver(session, outbox_for(session, message).id, utcnow(), recorder) == "sent"
    assert [call.to for call in recorder.sent] == ["+12025550142"]
    assert outbox_for(session, message).status == "done"


@pytest.mark.parametrize(
    ("when", "opening"),
    [
        # 21:00 is closed: wait for 08:00 the next day.
        (new_york(2026, 3, 3, 21, 0), datetime(2026, 3, 4, 13, 0, tzinfo=UTC)),
        (new_york(2026, 3, 3, 7, 59), datetime(2026, 3, 3, 13, 0, tzinfo=UTC)),
        (new_york(2026, 3, 4, 0, 30), datetime(2026, 3, 4, 13, 0, tzinfo=UTC)),
        # Spring forward on 2026-03-08: 08:00 is EDT (UTC-4), an hour earlier in UTC.
        (new_york(2026, 3, 7, 21, 0), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        (new_york(2026, 3, 8, 1, 30), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # Fall back on 2026-11-01: 08:00 is EST (UTC-5) again.
        (new_york(2026, 10, 31, 21, 0), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        (new_york(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_outside_the_window_the_text_waits_for_the_next_opening(
    session, patient, recorder, when, opening
):
    message = _queued_at(session, patient, when)
    outbox_id = outbox_for(session, message).id
    with freeze_time(when):
        assert deliver(session, outbox_id, utcnow(), recorder) == "deferred"
    item = outbox_for(session, message)
    assert item.status == "pending"
    assert item.not_before == opening
    assert item.not_before.astimezone(NEW_YORK).time() == time(8, 0)
    assert item.attempts == 0
    assert recorder.calls == []

    with freeze_time(opening - timedelta(seconds=1)):
        assert deliver(session, outbox_id, utcnow(), recorder) == "not_due"
    with freeze_time(opening):
        assert deliver(session, outbox_id, utcnow(), recorder) == "sent"
    assert len(recorder.sent) == 1


def test_the_sweeper_sends_a_deferred_text_when_the_window_opens(session, patient, recorder, redis):
    message = _queued_at(session, patient, new_york(2026, 3, 7, 22, 0))
    with freeze_time(new_york(2026, 3, 7, 22, 0)):
        assert deliver_outbox(outbox_for(session, message).id) == "deferred"
    with freeze_time(new_york(2026, 3, 8, 7, 59)):
        assert sweep_outbox() == {"enqueued": 0, "delivered": 0}
    with freeze_time(new_york(2026, 3, 8, 8, 0)):
        assert sweep_outbox() == {"enqueued": 1, "delivered": 0}
        run_worker(redis, "sms")
    assert len(recorder.sent) == 1
    assert outbox_for(session, message).status == "done"


def test_a_clinic_window_narrower_than_the_default_is_honoured(session, clinic, patient, recorder):
    clinic.text_window_start, clinic.text_window_end = time(9, 0), time(17, 0)
    message = _queued_at(session, patient, new_york(2026, 3, 3, 8, 30))
    outbox_id = outbox_for(session, message).id
    assert deliver(session, outbox_id, new_york(2026, 3, 3, 8, 30), recorder) == "deferred"
    assert outbox_for(session, message).not_before == new_york(2026, 3, 3, 9, 0)
    assert deliver(session, outbox_id, new_york(2026, 3, 3, 9, 0), recorder) == "sent"


def test_the_patients_own_zone_decides_not_the_clinics(session, patient, recorder):
    patient.timezone = "America/Chicago"  # an hour behind the clinic in New York
    message = _queued_at(session, patient, new_york(2026, 3, 3, 21, 30))
    assert (
        deliver(session, outbox_for(session, message).id, new_york(2026, 3, 3, 21, 30), recorder)
        == "sent"
    )
    later = _queued_at(session, patient, new_york(2026, 3, 3, 22, 0))
    assert (
        deliver(session, outbox_for(session, later).id, new_york(2026, 3, 3, 22, 0), recorder)
        == "deferred"
    )
    # 08:00 in Chicago is 09:00 in New York.
    assert outbox_for(session, later).not_before == new_york(2026, 3, 4, 9, 0)


def test_staff_pages_ignore_the_window(session, clinic, on_call, recorder):
    night = new_york(2026, 3, 3, 23, 30)
    message = page_staff(session, clinic, on_call, night, urgent=False)
    session.commit()
    assert deliver(session, outbox_for(session, message).id, night, recorder) == "sent"
    assert [call.to for call in recorder.sent] == ["+12025550199"]


def test_a_code_the_patient_asked_for_goes_at_night(session, patient, recorder):
    night = new_york(2026, 3, 3, 23, 30)
    message = _queued_at(session, patient, night, kind="portal_code")
    assert deliver(session, outbox_for(session, message).id, night, recorder) == "sent"


def test_a_reminder_queued_in_the_window_but_sent_after_it_waits(session, patient, recorder):
    # Written at 20:50 when the window was open; the job only ran at 21:05.
    message = queue_text(session, patient, new_york(2026, 3, 3, 20, 50), kind="reminder")
    session.commit()
    assert (
        deliver(session, outbox_for(session, message).id, new_york(2026, 3, 3, 21, 5), recorder)
        == "deferred"
    )
    assert recorder.calls == []
