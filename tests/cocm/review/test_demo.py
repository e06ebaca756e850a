"""The demo's case reviews: every step of the loop is there, built by the real services."""

from freezegun import freeze_time
from sqlalchemy import func, select

from cocm.clock import utcnow
from cocm.demo.review import seed_case_review
from cocm.demo.seed import seed
from cocm.models import CarePlan, CaseReview, CaseReviewItem, Clinic, Recommendation
from cocm.review import lists
from cocm.review.agenda import REASONS
from cocm.review.overdue import overdue_recommendations


def test_demo_reviews_show_every_state_and_run_once(session):
    with freeze_time("2026-05-20 15:00:00"):  # a Wednesday, 11:00 in New York
        seed(patients=40, echo=lambda _line: None)  # seeds the case reviews too
        riverside = session.scalar(select(Clinic).where(Clinic.slug == "riverside"))
        statuses = dict(
            session.execute(
                select(Recommendation.status, func.count()).group_by(Recommendation.status)
            ).all()
        )
        assert {"proposed", "approved", "modified", "declined", "communicated"} <= set(statuses)
        signed = session.scalars(
            select(CarePlan).where(
                CarePlan.recommendation_id.is_not(None), CarePlan.signed_at.is_not(None)
            )
        ).all()
        assert signed and all(p.version == 2 for p in signed)
        upcoming = session.scalar(
            select(CaseReview).where(
                CaseReview.clinic_id == riverside.id, CaseReview.status == "planned"
            )
        )
        reasons = [i.reason for i in upcoming.items]
        assert "medication_question" in reasons and "new" in reasons
        sections = [REASONS.index(r) for r in reasons]
        assert sections == sorted(sections)  # the agenda's order
        assert overdue_recommendations(session, {riverside.id}, utcnow())
        patient_id = signed[0].episode.patient_id
        trail = lists.trail(
            session, patient_id, {riverside.id, signed[0].episode.patient.clinic_id}, utcnow()
        )
        assert any(v.plans and v.plans[0].signed_at for v in trail)
        items = session.scalar(select(func.count()).select_from(CaseReviewItem))
        assert seed_case_review(session, utcnow()) is False
        assert session.scalar(select(func.count()).select_from(CaseReviewItem)) == items
