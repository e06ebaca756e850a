"""Every table, importable from one place so Alembic sees the whole metadata."""

from cocm.models.api import ApiIdempotencyKey
from cocm.models.assessments import Assessment, AssessmentAnswer
from cocm.models.audit import ApiToken, AuditEvent
from cocm.models.billing import TimeEntry
from cocm.models.episodes import CarePlan, Episode, MeasurementSchedule, Referral
from cocm.models.messages import Conversation, Message, OutboxItem
from cocm.models.people import Clinic, ConsentEvent, EscalationStep, Membership, Patient, Staff
from cocm.models.portal import PortalAttempt, PortalSignInCode
from cocm.models.review import CaseReview, CaseReviewAttendee, CaseReviewItem, Recommendation
from cocm.models.work import Contact, Page, QueueEvent, QueueItem

__all__ = [
    "ApiIdempotencyKey",
    "ApiToken",
    "Assessment",
    "AssessmentAnswer",
    "AuditEvent",
    "CarePlan",
    "CaseReview",
    "CaseReviewAttendee",
    "CaseReviewItem",
    "Clinic",
    "ConsentEvent",
    "Contact",
    "Conversation",
    "Episode",
    "EscalationStep",
    "MeasurementSchedule",
    "Membership",
    "Message",
    "OutboxItem",
    "Page",
    "Patient",
    "PortalAttempt",
    "PortalSignInCode",
    "QueueEvent",
    "QueueItem",
    "Recommendation",
    "Referral",
    "Staff",
    "TimeEntry",
]
