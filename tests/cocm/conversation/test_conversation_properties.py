"""Any inbound text, in any state: the engine never raises and every reply fits its budget."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from cocm import texts
from cocm.conversation import handle_inbound, start_checkin, start_contact_confirmation

from .helpers import EN, T0, say

BUDGET = {"en": 2, "es": 3}


def _state(kind, who):
    if kind == "none":
        return None
    if kind == "contact":
        return start_contact_confirmation(who, T0, "on Tuesday, March 12 around 2:30 PM").state
    code, answered = kind
    state = start_checkin(code, who, T0).state
    return say(state, who, *"1" * answered)[-1].state if answered else state


STATES = st.sampled_from(
    ["none", "contact", ("PHQ-9", 0), ("PHQ-9", 4), ("PHQ-9", 8), ("GAD-7", 6), ("PHQ-2", 1)]
)
BODIES = st.one_of(
    st.text(max_size=2000),
    st.sampled_from(["STOP", "yes", "HELP", "2", "1 2 0 3", "kill myself", "varios días", "C"]),
)


@settings(max_examples=300, deadline=None)
@given(
    body=BODIES,
    state_kind=STATES,
    lang=st.sampled_from(["en", "es"]),
    opted_out=st.booleans(),
    known=st.booleans(),
    first_name=st.sampled_from([None, "Ana", "Maximiliana-Josefina"]),
    opt_out_type=st.sampled_from([None, None, "STOP", "START", "HELP", "other"]),
)
def test_never_raises_and_replies_fit(
    body, state_kind, lang, opted_out, known, first_name, opt_out_type
):
    who = replace(EN, language=lang, first_name=first_name)
    state = _state(state_kind, who)
    who = replace(who, opted_out=opted_out, known=known)
    outcome = handle_inbound(state, who, body, T0, opt_out_type)
    for reply in outcome.replies:
        assert reply.kind in texts.KINDS
        assert texts.segments(reply.text) <= BUDGET[lang], reply.text
        if lang == "en":
            assert texts.encoding(reply.text) == "GSM-7", reply.text
    if outcome.state is None:
        assert state is None or outcome.closed_reason or not known or opted_out
    kinds = [r.kind for r in outcome.replies]
    if "safety_reply" in kinds:
        assert kinds[0] == "safety_reply"
