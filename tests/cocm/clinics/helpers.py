"""Builders shared by the enrollment, contact, referral, clinic and episode tests."""

from __future__ import annotations

import re
from datetime import time

from cocm.models import EscalationStep
from tests.factories import PASSWORD, ClinicFactory, staff_with_role


class Team:
    """A clinic ready for its first patient, with one person in each role."""

    def __init__(self, **clinic_kwargs):
        clinic_kwargs.setdefault("review_weekday", 3)
        clinic_kwargs.setdefault("review_time", time(12, 0))
        self.clinic = ClinicFactory(**clinic_kwargs)
        self.manager = staff_with_role(self.clinic, "care_manager", phone="+12025550101")
        self.clinician = staff_with_role(self.clinic, "treating_clinician", phone="+12025550102")
        self.consultant = staff_with_role(self.clinic, "psychiatric_consultant")
        self.lead = staff_with_role(self.clinic, "clinic_lead", phone="+12025550103")
        self.admin = staff_with_role(self.clinic, "admin")
        for position, person in enumerate((self.manager, self.clinician, self.lead)):
            self.clinic.escalation_steps.append(
                EscalationStep(clinic_id=self.clinic.id, position=position, staff_id=person.id)
            )


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html) or re.search(
        rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html
    )
    return match.group(1)


def signed_in(app, staff):
    """A test client signed in as ``staff``."""
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf(page.text)}
    )
    assert response.status_code == 302, response.text
    return client
