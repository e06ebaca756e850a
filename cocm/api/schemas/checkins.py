"""Starting a text check-in."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from cocm.api.schemas.common import RequestBody, ResponseBody

Instrument = Literal["PHQ-9", "GAD-7", "PHQ-2", "GAD-2"]


class CheckinStart(RequestBody):
    instrument: Instrument


class CheckinStarted(ResponseBody):
    """The check-in is open; its first question goes at ``send_at`` (now, or the opening of
    the patient's texting window). Poll the assessment for the answers and the score."""

    conversation_id: int
    assessment_id: int
    patient_id: int
    instrument: Instrument
    send_at: datetime
    sends_now: bool = Field(description="False when the text waits for the allowed window.")
