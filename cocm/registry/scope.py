"""The registry's scope (the episodes a registry is asked about) and how rows belong to them.

An assessment or contact recorded without an episode belongs to the patient's episode that
covers its date (on or after the start; before the end when the episode has ended).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import CTE, CompoundSelect, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from cocm.models import Episode, Patient


def scope(
    clinic_ids: Collection[int],
    statuses: Collection[str],
    *,
    care_manager_id: int | None = None,
    patient_id: int | None = None,
) -> CTE:
    """The episodes asked about: in these clinics, with these statuses, optionally one care
    manager's caseload or one patient."""
    query = (
        select(
            Episode.id.label("episode_id"),
            Episode.patient_id,
            Episode.started_on,
            Episode.ended_on,
            Episode.consent_on,
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .where(Patient.clinic_id.in_(list(clinic_ids)), Episode.status.in_(list(statuses)))
    )
    if care_manager_id is not None:
        query = query.where(Patient.care_manager_id == care_manager_id)
    if patient_id is not None:
        query = query.where(Patient.id == patient_id)
    return query.cte("scope")


def rows(session: Session, query) -> Any:
    """Run a Core select on the session's connection: plain rows, without the ORM's result
    machinery (it costs more than the statement itself when a clinic has 20,000 episodes)."""
    return session.connection().execute(query).all()


def belongs(s: CTE, episode_col, moment_col) -> Any:
    """A row with ``episode_col`` belongs to the scope episode (see the module docstring)."""
    return or_(
        episode_col == s.c.episode_id,
        and_(
            episode_col.is_(None),
            func.date(moment_col) >= s.c.started_on,
            or_(s.c.ended_on.is_(None), func.date(moment_col) <= s.c.ended_on),
        ),
    )


def owned(
    s: CTE, model: Any, moment_col: Any, columns: Collection[Any], conditions: Collection[Any]
) -> CompoundSelect:
    """The rows of ``model`` (with ``patient_id`` and ``episode_id``) that belong to a scope
    episode, as columns episode_id, patient_id and ``columns`` (labelled).

    The same rows as joining on the patient with ``belongs``, but written as a UNION ALL of two
    halves each with a plain join: the linked rows by their episode id, the unlinked ones by
    the patient and the dates. The OR in ``belongs`` makes the planner guess one row and pick
    nested loops over a whole table; each half here is estimated (and indexed) on its own.
    A row linked to an episode is taken as that episode's patient's (the services keep it so).
    Returns the UNION ALL, to use as a subquery or a CTE.
    """
    day = func.date(moment_col)
    linked = (
        select(s.c.episode_id, s.c.patient_id, *columns)
        .join(s, s.c.episode_id == model.episode_id)
        .where(*conditions)
    )
    unlinked = (
        select(s.c.episode_id, s.c.patient_id, *columns)
        .join(s, s.c.patient_id == model.patient_id)
        .where(
            model.episode_id.is_(None),
            day >= s.c.started_on,
            or_(s.c.ended_on.is_(None), day <= s.c.ended_on),
            *conditions,
        )
    )
    return union_all(linked, unlinked)
