from datetime import date

import pytest
from freezegun import freeze_time

from cocm.clock import utcnow
from cocm.referrals.service import (
    ReferralData,
    ReferralError,
    ReferralUpdate,
    create_referral,
    overdue_referrals,
    update_referral,
)
from tests.cocm.clinics.helpers import Team
from tests.factories import PatientFactory


def test_overdue_only_when_not_seen_by_the_due_day(session):
    team, other = Team(), Team()
    patient = PatientFactory(clinic=team.clinic)
    with freeze_time("2026-03-01 15:00:00"):
        today = utcnow().date()
        late, _ = create_referral(
            session, patient, ReferralData("therapy", "Counseling Center"), team.manager, today
        )
        seen, _ = create_referral(
            session, patient, ReferralData("social_services", "Food bank"), team.manager, today
        )
        update_referral(session, seen, ReferralUpdate("seen", on=today), today)
        stranger = PatientFactory(clinic=other.clinic)
        create_referral(
            session, stranger, ReferralData("therapy", "Elsewhere"), other.manager, today
        )
    assert late.due_by == date(2026, 3, 31)
    with freeze_time("2026-03-31 12:00:00"):
        assert overdue_referrals(session, {team.clinic.id}, utcnow().date()) == []
    with freeze_time("2026-04-01 12:00:00"):
        assert overdue_referrals(session, {team.clinic.id}, utcnow().date()) == [late]
        update_referral(
            session, late, ReferralUpdate("scheduled", on=date(2026, 4, 3)), date(2026, 4, 1)
        )
        assert overdue_referrals(session, {team.clinic.id}, utcnow().date()) == [late]


def test_status_moves_forward_only(session):
    team = Team()
    patient = PatientFactory(clinic=team.clinic)
    today = date(2026, 3, 1)
    referral, created = create_referral(
        session, patient, ReferralData("specialty", "Sleep clinic"), team.manager, today
    )
    again, created_again = create_referral(
        session, patient, ReferralData("specialty", "Sleep clinic"), team.manager, today
    )
    assert created and not created_again and again.id == referral.id
    with pytest.raises(ReferralError, match="Say why"):
        update_referral(session, referral, ReferralUpdate("cancelled"), today)
    assert update_referral(session, referral, ReferralUpdate("cancelled", note="Moved away"), today)
    with pytest.raises(ReferralError, match="cannot become seen"):
        update_referral(session, referral, ReferralUpdate("seen", on=today), today)
    with pytest.raises(ReferralError, match="cannot be in the past"):
        create_referral(
            session,
            patient,
            ReferralData("therapy", "X", due_by=date(2026, 2, 1)),
            team.manager,
            today,
        )
