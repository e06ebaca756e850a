"""A JSON client for /api/v1 with a bearer token, and the clinic worlds the API tests use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cocm import db
from cocm.api.tokens import create_token
from cocm.models import Clinic as ClinicRow
from cocm.models import MeasurementSchedule, Patient, Staff
from tests.cocm.clinics.helpers import Team
from tests.factories import EpisodeFactory, PatientFactory

# Tuesday 2026-03-03, 10:00 in New York: inside the texting window and clinic hours.
T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
# 22:00 in New York: outside the texting window.
NIGHT = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
ROLE_ATTRS = {
    "care_manager": "manager",
    "treating_clinician": "clinician",
    "psychiatric_consultant": "consultant",
    "clinic_lead": "lead",
    "admin": "admin",
}
PROBLEM = "application/problem+json"


class Api:
    """The Flask test client speaking JSON to /api/v1 with one token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        out = dict(headers or {})
        if self.token is not None:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, path: str, *, headers=None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kwargs)

    def post(self, path: str, body=None, *, headers=None, **kwargs):
        return self.client.post(
            f"/api/v1{path}", json=body, headers=self._headers(headers), **kwargs
        )

    def patch(self, path: str, body=None, *, headers=None, **kwargs):
        return self.client.patch(
            f"/api/v1{path}", json=body, headers=self._headers(headers), **kwargs
        )

    def open(self, method: str, path: str, body=None, **kwargs):
        return self.client.open(
            f"/api/v1{path}", method=method, json=body, headers=self._headers(None), **kwargs
        )


def token_for(staff: Staff, name: str = "tests") -> str:
    _row, token = create_token(db.Session(), staff, name, T0)
    db.Session.flush()
    return token


def problem_of(response, status: int) -> dict:
    """The problem body of a refusal, checked for the shape every refusal has."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert isinstance(body["errors"], list)
    return body


def fields_of(response) -> set[str]:
    return {error["field"] for error in problem_of(response, 422)["errors"]}


@dataclass(frozen=True)
class Clinic:
    """Ids of a ready clinic (one person per role) with a textable patient in an active
    episode. Objects go stale when a request ends its session, so accessors re-read them."""

    clinic_id: int
    slug: str
    staff_ids: dict
    patient_id: int
    episode_id: int

    @property
    def clinic(self) -> ClinicRow:
        return db.Session.get(ClinicRow, self.clinic_id)

    def staff(self, role: str) -> Staff:
        return db.Session.get(Staff, self.staff_ids[role])

    @property
    def manager(self) -> Staff:
        return self.staff("care_manager")

    @property
    def patient(self) -> Patient:
        return db.Session.get(Patient, self.patient_id, populate_existing=True)


def build_clinic(**clinic_kwargs) -> Clinic:
    team = Team(timezone="America/New_York", **clinic_kwargs)
    patient = PatientFactory(
        clinic=team.clinic,
        first_name="Dana",
        care_manager_id=team.manager.id,
        treating_clinician_id=team.clinician.id,
    )
    episode = EpisodeFactory(patient=patient, status="active")
    for instrument in ("PHQ-9", "GAD-7"):
        db.Session.add(
            MeasurementSchedule(episode_id=episode.id, instrument=instrument, next_due_at=T0)
        )
    db.Session.flush()
    ids = {role: getattr(team, attr).id for role, attr in ROLE_ATTRS.items()}
    return Clinic(team.clinic.id, team.clinic.slug, ids, patient.id, episode.id)
