"""A clinic with a weekly review slot, one person per role, and patients built to carry each
registry flag the agenda reads (shared by the domain and the page tests)."""

from __future__ import annotations

from datetime import date, time

from cocm import db
from cocm.models import CaseReviewItem, Recommendation
from tests.cocm.registry.builders import assessment, at, queue_item, reviewed
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

NOW = "2026-03-16 15:00:00"  # Monday, 11:00 in New York
TODAY = date(2026, 3, 16)
LONG_AGO = date(2026, 1, 5)  # ten weeks before TODAY


class World:
    """The clinic (reviews on Wednesdays at noon), its team and patient builders."""

    def __init__(self, **clinic_kwargs):
        clinic_kwargs.setdefault("timezone", "America/New_York")
        clinic_kwargs.setdefault("review_weekday", 3)
        clinic_kwargs.setdefault("review_time", time(12, 0))
        self.clinic = ClinicFactory(**clinic_kwargs)
        self.manager = staff_with_role(self.clinic, "care_manager", full_name="Maria Lopez")
        self.other_manager = staff_with_role(self.clinic, "care_manager", full_name="James Chen")
        self.clinician = staff_with_role(self.clinic, "treating_clinician", full_name="Dr. Patel")
        self.other_clinician = staff_with_role(
            self.clinic, "treating_clinician", full_name="Dr. Stone"
        )
        self.consultant = staff_with_role(
            self.clinic, "psychiatric_consultant", full_name="Dr. Nguyen"
        )
        self.lead = staff_with_role(self.clinic, "clinic_lead", full_name="Sam Rivera")

    def patient(self, started_on=LONG_AGO, *, clinician=True, **kwargs):
        patient = PatientFactory(
            clinic=self.clinic,
            care_manager_id=self.manager.id,
            treating_clinician_id=self.clinician.id if clinician else None,
            **kwargs,
        )
        episode = EpisodeFactory(patient=patient, started_on=started_on)
        return patient, episode

    def reviewed_on(self, patient, episode, day="2026-03-02") -> CaseReviewItem:
        """Discussed at an earlier review (clears *new* and *no psychiatric review*)."""
        return reviewed(patient, episode, at(day))

    def calm(self):
        patient, episode = self.patient()
        self.reviewed_on(patient, episode)
        return patient, episode

    def new(self):
        return self.patient(started_on=date(2026, 3, 9))

    def not_improving(self):
        patient, episode = self.calm()
        assessment(patient, episode, "PHQ-9", 16, at("2026-01-05"))
        assessment(patient, episode, "PHQ-9", 15, at("2026-03-09"))
        return patient, episode

    def at_risk(self):
        patient, episode = self.calm()
        queue_item(patient, at("2026-03-15"), kind="risk_answer")
        return patient, episode

    def unreviewed(self):
        return self.patient()

    def with_open_recommendation(self, status="approved", created="2026-03-02"):
        patient, episode = self.calm()
        item = db.Session.query(CaseReviewItem).filter_by(patient_id=patient.id).one()
        rec = self.recommendation(item, status=status, created=created)
        return patient, episode, rec

    def recommendation(self, item, *, status="proposed", created="2026-03-02", **kwargs):
        values = {
            "kind": "medication",
            "detail": "Increase sertraline",
            "dose": "100 mg daily",
            "proposed_by_id": self.consultant.id,
        }
        values.update(kwargs)
        rec = Recommendation(
            review_item_id=item.id,
            patient_id=item.patient_id,
            status=status,
            created_at=at(created),
            **values,
        )
        if status in ("approved", "modified", "declined"):
            rec.decided_by_id = self.clinician.id
            rec.decided_at = at(created, 18)
            rec.decision_reason = "Not now" if status == "declined" else None
            rec.modified_detail = "Increase to 75 mg first" if status == "modified" else None
        db.Session.add(rec)
        db.Session.flush()
        return rec
