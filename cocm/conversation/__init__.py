"""The SMS conversation engine (DESIGN sections 5 and 6): pure, no database, no HTTP, no clock.

The caller (the inbound webhook, a job) loads the patient's one open conversation, calls one
function, stores ``Outcome.state``, records ``Outcome.events`` and sends ``Outcome.replies`` in
order. Times are passed in.

API::

    handle_inbound(state, patient, text, now, opt_out_type=None) -> Outcome
    start_checkin(instrument_code, patient, now, existing=None) -> Outcome
    start_contact_confirmation(patient, now, contact_when_text, existing=None) -> Outcome
    due_action(state, now) -> "remind" | "expire" | None
    remind(state, patient, now) -> Outcome
    expire(state, now) -> Outcome

Inbound order: (1) keywords, on the whole message trimmed of spaces and punctuation, any case:
STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE OPTOUT opt out (closing the open conversation,
answers kept); START UNSTOP, and YES while opted out, opt in; HELP INFO get the help text.
Twilio's ``OptOutType`` (STOP/START/HELP) wins when given. (2) Risk phrases, always: even while
opted out, from an unknown number or in a text Twilio marked with ``OptOutType``, a match emits
``risk_signal`` and the safety reply, which is always the first reply. (3) Unknown numbers get
the no-PHI reply; opted-out patients get no reply; with nothing open, free text is acknowledged.
(4) The open conversation:

- check-in: a digit 0-3 (punctuation around it allowed), or exactly as many digits as items
  left, or an option's words. Each answer emits ``answer_stored``; PHQ-9 item 9 above 0 emits
  ``risk_signal`` (source "item9") and the safety reply, and the check-in goes on. A readable
  reply that opens with an answer keeps the answer even if a risk phrase follows it.
- contact confirmation: C CONFIRM Y YES OK (and OKAY, SI) confirm; R RESCHEDULE N NO ask to
  reschedule; the whole message counts.
- An unreadable reply is re-asked once with a hint; the second in a row emits ``needs_person``
  and the conversation waits (``waiting_for_person``): further unreadable replies get no reply,
  while a readable answer resumes it. HELP and opt-in do not count as unreadable, and neither
  does an unreadable message carrying a risk phrase (the safety reply stands alone).

Timing: ``due_action`` says "remind" once, 4 h after the last outbound message (not while
waiting for a person), and "expire" 24 h after it; any reply in an open conversation, and the
reminder itself, restart that clock. Whether now is inside the patient's allowed window is the
caller's decision. ``expire`` sends nothing.

Events (kind: data keys):

- ``checkin_started``: instrument, items
- ``contact_confirmation_started``: contact_when
- ``answer_stored``: instrument, item (1-based number), value
- ``assessment_completed``: instrument, answers (list of ints, scored items in order)
- ``risk_signal``: source ("phrase" | "item9"); phrase | instrument, item, value
- ``opted_out``: keyword, via ("keyword" | "OptOutType"), already, conversation, instrument,
  answers (the closed conversation's; None when nothing was open)
- ``opted_in``: keyword, via, already
- ``help``: keyword, via
- ``contact_confirmed`` / ``reschedule_requested``: contact_when
- ``invalid_reply``: conversation, instrument, item, streak
- ``needs_person``: conversation, instrument, item, reason ("invalid_replies")
- ``free_text``: text (nothing open; staff see it)
- ``unknown_number``, ``ignored_while_opted_out``: no data
- ``superseded``: conversation, instrument, answers (the old conversation)
- ``reminded``: conversation, instrument, item
- ``expired``: conversation, instrument, answers, answered, expired_at

``Outcome.closed_reason``: completed, opted_out, superseded, expired, confirmed,
reschedule_requested, or None.
"""

from cocm.conversation.engine import (
    due_action,
    expire,
    handle_inbound,
    remind,
    start_checkin,
    start_contact_confirmation,
)
from cocm.conversation.types import (
    CHECKIN,
    CONTACT_CONFIRM,
    EXPIRE_AFTER,
    REMIND_AFTER,
    ConversationState,
    Event,
    Outcome,
    PatientContext,
    Reply,
)

__all__ = [
    "CHECKIN",
    "CONTACT_CONFIRM",
    "EXPIRE_AFTER",
    "REMIND_AFTER",
    "ConversationState",
    "Event",
    "Outcome",
    "PatientContext",
    "Reply",
    "due_action",
    "expire",
    "handle_inbound",
    "remind",
    "start_checkin",
    "start_contact_confirmation",
]
