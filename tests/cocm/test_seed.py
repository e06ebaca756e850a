from sqlalchemy import func, select

from cocm.demo.seed import seed
from cocm.models import Assessment, Clinic, Episode, Patient, QueueItem, Staff


def _counts(session):
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Clinic, Staff, Patient, Episode, Assessment, QueueItem)
    }


def test_seed_builds_every_stage_and_twice_adds_nothing(session):
    lines: list[str] = []
    assert seed(patients=28, echo=lines.append) is True
    first = _counts(session)
    assert first["Clinic"] == 2 and first["Patient"] == 28
    roles = {m.role for s in session.scalars(select(Staff)) for m in s.memberships}
    assert roles == {
        "care_manager",
        "treating_clinician",
        "psychiatric_consultant",
        "clinic_lead",
        "admin",
    }
    statuses = set(session.scalars(select(Episode.status)))
    assert {"enrolled", "active", "relapse_prevention", "disengaged"} <= statuses
    assert session.scalar(select(func.count()).where(QueueItem.priority == "urgent")) == 1
    assert any("patients 28/28" in line for line in lines)  # progress is shown
    assert seed(patients=28, echo=lines.append) is False
    assert _counts(session) == first
