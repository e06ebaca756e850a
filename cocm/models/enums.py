"""Allowed values of every enumerated column, as tuples of readable strings."""

ROLES = (
    "care_manager",
    "treating_clinician",
    "psychiatric_consultant",
    "clinic_lead",
    "admin",
)
LANGUAGES = ("en", "es")
PROGRAMS = ("cocm", "bhi")
EPISODE_STATUSES = (
    "enrolled",
    "active",
    "relapse_prevention",
    "completed",
    "transferred",
    "disengaged",
)
OPEN_EPISODE_STATUSES = ("enrolled", "active", "relapse_prevention")
CONSENT_METHODS = ("verbal", "written", "electronic")
CONSENT_EVENT_KINDS = ("opt_in", "opt_out", "help", "sms_consent_given")
CONSENT_SOURCES = ("keyword", "twilio_opt_out_type", "staff", "portal", "enrollment", "carrier")
INSTRUMENTS = ("PHQ-9", "GAD-7", "PHQ-2", "GAD-2")
ASSESSMENT_CHANNELS = ("sms", "portal", "clinic", "api", "contact")
ASSESSMENT_STATUSES = ("in_progress", "completed", "partial", "superseded")
CONVERSATION_KINDS = ("checkin", "contact_confirm")
CONVERSATION_STATUSES = ("open", "completed", "superseded", "expired", "opted_out", "closed")
DIRECTIONS = ("inbound", "outbound")
# Ordered: a delivery status only ever moves to a later rank (see messaging.status).
MESSAGE_STATUSES = (
    "received",
    "queued",
    "sending",
    "sent",
    "failed",
    "undelivered",
    "delivered",
    "read",
)
OUTBOX_STATUSES = ("pending", "sending", "done", "failed", "cancelled")
QUEUE_KINDS = (
    "risk_answer",
    "risk_words",
    "reschedule",
    "needs_person",
    "opted_out",
    "delivery_failure",
    "disengagement",
    "free_text",
    "drill",
)
QUEUE_PRIORITIES = ("urgent", "normal")
QUEUE_STATUSES = ("open", "claimed", "closed")
URGENT_OUTCOMES = (
    "reached_safe",
    "safety_plan_reviewed",
    "sent_to_emergency_care",
    "welfare_check_requested",
    "unable_to_reach",
)
QUEUE_EVENT_KINDS = (
    "opened",
    "claimed",
    "note",
    "notified",
    "paged",
    "escalated",
    "released",
    "closed",
)
CONTACT_KINDS = ("phone", "video", "portal", "in_person", "sms")
CONTACT_OUTCOMES = ("reached", "no_answer", "left_message", "wrong_number", "declined")
CONTACT_TEMPLATES = (
    "initial_assessment",
    "follow_up",
    "relapse_prevention",
    "case_review_change",
    "outreach_attempt",
)
ACTIVITIES = (
    "outreach",
    "assessment",
    "care_planning",
    "brief_intervention",
    "care_coordination",
    "case_review_preparation",
    "case_review",
    "registry_review",
    "psychiatric_consultation",
)
TIME_ROLES = ("care_manager", "treating_clinician", "psychiatric_consultant")
REVIEW_STATUSES = ("planned", "in_progress", "done")
REVIEW_REASONS = (
    "new",
    "not_improving",
    "medication_question",
    "risk",
    "no_psychiatric_review",
    "follow_up",
    "added",
)
RECOMMENDATION_KINDS = ("medication", "therapy", "labs", "referral", "safety", "no_change")
RECOMMENDATION_STATUSES = ("proposed", "approved", "modified", "declined", "communicated")
REFERRAL_KINDS = ("therapy", "psychiatry", "social_services", "specialty")
REFERRAL_STATUSES = ("open", "scheduled", "seen", "cancelled")
