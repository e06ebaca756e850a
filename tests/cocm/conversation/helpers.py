"""Shared values for the conversation engine tests: patients with long-ish names, a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cocm.conversation import ConversationState, Outcome, PatientContext, handle_inbound

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
FIRST_NAME = "Maximiliana-Josefina"  # 20 characters: the long end of real first names
CLINIC = "Northwest Community Family Health Center"  # 40 characters
PHONE = "(555) 555-0123"

EN = PatientContext(
    first_name=FIRST_NAME,
    language="en",
    opted_out=False,
    known=True,
    clinic_name=CLINIC,
    clinic_phone=PHONE,
)
ES = replace(EN, language="es")
OPTED_OUT = replace(EN, opted_out=True)
UNKNOWN = replace(EN, first_name=None, known=False)


def patient(**changes: object) -> PatientContext:
    """The English patient with ``changes`` applied."""
    return replace(EN, **changes)


def say(state: ConversationState | None, who: PatientContext, *texts: str) -> list[Outcome]:
    """Send ``texts`` one after another, threading the state; return every outcome."""
    outcomes = []
    for text in texts:
        outcome = handle_inbound(state, who, text, T0)
        outcomes.append(outcome)
        state = outcome.state
    return outcomes


def events_of(outcome: Outcome, kind: str) -> list[dict]:
    """The data of every event of ``kind`` in ``outcome``."""
    return [e.data for e in outcome.events if e.kind == kind]


def reply_kinds(outcome: Outcome) -> list[str]:
    """The kinds of the replies in ``outcome``, in order."""
    return [r.kind for r in outcome.replies]
