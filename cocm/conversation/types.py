"""Values the conversation engine takes and returns. All frozen: the engine never mutates."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

CHECKIN = "checkin"
CONTACT_CONFIRM = "contact_confirm"

REMIND_AFTER = timedelta(hours=4)
EXPIRE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class ConversationState:
    """The patient's one open conversation (None when nothing is open).

    ``answers`` holds one slot per item asked by text (the scored items, in order), None while
    unanswered. ``invalid_streak`` counts unreadable replies in a row; at two the conversation
    waits for a person (``waiting_for_person``) until a readable answer resumes it.
    """

    kind: str
    instrument: str | None
    answers: tuple[int | None, ...]
    opened_at: datetime
    last_outbound_at: datetime
    invalid_streak: int = 0
    waiting_for_person: bool = False
    reminded: bool = False
    contact_when: str | None = None

    @property
    def next_index(self) -> int | None:
        """Index into ``answers`` of the first unanswered item, or None when all are answered."""
        return next((i for i, a in enumerate(self.answers) if a is None), None)

    @property
    def remaining(self) -> int:
        """How many items are still unanswered."""
        return sum(a is None for a in self.answers)

    def evolve(self, **changes: Any) -> ConversationState:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


@dataclass(frozen=True)
class PatientContext:
    """What the engine may know about the sender. ``first_name=None`` when a clinic turns names
    off; ``known=False`` for a number that matches no patient (then nothing else is used but the
    clinic's name and phone)."""

    first_name: str | None
    language: str
    opted_out: bool
    known: bool
    clinic_name: str
    clinic_phone: str


@dataclass(frozen=True)
class Reply:
    """A text to send back; ``kind`` is the message kind in ``cocm.texts``."""

    kind: str
    text: str


@dataclass(frozen=True)
class Event:
    """Something the caller records or acts on (queue items, consent log, stored answers)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """The result of one engine call.

    ``state`` is the conversation afterwards (None when closed or never open); ``replies`` are
    sent in order; ``closed_reason`` names why a conversation closed during this call, if one
    did: completed, opted_out, superseded, expired, confirmed or reschedule_requested.
    """

    state: ConversationState | None
    replies: tuple[Reply, ...] = ()
    events: tuple[Event, ...] = ()
    closed_reason: str | None = None

    def event_kinds(self) -> tuple[str, ...]:
        """The kinds of ``events``, in order (handy for callers and tests)."""
        return tuple(e.kind for e in self.events)
