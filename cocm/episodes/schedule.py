"""The measurement rhythm of an episode (DESIGN section 4, measurement cadence).

Every 14 days (the clinic's default) until response, then every 28 days (the clinic's
after-response cadence); an episode may override the first with its own ``cadence_days``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.instruments import outcomes
from cocm.models import Assessment, Clinic, Episode, MeasurementSchedule

MEASURED = ("PHQ-9", "GAD-7")


def cadence_days(episode: Episode, clinic: Clinic, responded: bool = False) -> int:
    """Days between measures for this episode right now."""
    if responded:
        return max(clinic.response_cadence_days, episode.cadence_days or 0)
    return episode.cadence_days or clinic.default_cadence_days


def has_responded(session: Session, episode: Episode, instrument: str) -> bool:
    """True when the episode's latest complete total is a response against its baseline."""
    rows = session.execute(
        select(Assessment.completed_at, Assessment.total).where(
            Assessment.episode_id == episode.id,
            Assessment.instrument == instrument,
            Assessment.status == "completed",
        )
    ).all()
    summary = outcomes.summarize([(when, total) for when, total in rows])
    return summary.response


def create_schedules(
    session: Session, episode: Episode, first_due: dict[str, datetime]
) -> list[MeasurementSchedule]:
    """One active schedule row per measured instrument, first due as given per instrument."""
    rows = []
    for instrument in MEASURED:
        row = MeasurementSchedule(
            episode_id=episode.id,
            instrument=instrument,
            next_due_at=first_due[instrument],
            active=True,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def after_measure(
    session: Session, episode: Episode, clinic: Clinic, instrument: str, measured_at: datetime
) -> MeasurementSchedule | None:
    """Move the instrument's next due date to ``measured_at`` + the cadence, if that is later.

    A measure taken during a contact counts like a texted one: the next check-in waits a full
    cadence from it instead of arriving a few days later.
    """
    row = session.scalar(
        select(MeasurementSchedule).where(
            MeasurementSchedule.episode_id == episode.id,
            MeasurementSchedule.instrument == instrument,
        )
    )
    if row is None or not row.active:
        return row
    days = cadence_days(episode, clinic, has_responded(session, episode, instrument))
    due = measured_at + timedelta(days=days)
    if due > row.next_due_at:
        row.next_due_at = due
    session.flush()
    return row


def deactivate(session: Session, episode: Episode) -> int:
    """Stop every measurement schedule of the episode; returns how many were active."""
    rows = session.scalars(
        select(MeasurementSchedule).where(
            MeasurementSchedule.episode_id == episode.id, MeasurementSchedule.active.is_(True)
        )
    ).all()
    for row in rows:
        row.active = False
    session.flush()
    return len(rows)
