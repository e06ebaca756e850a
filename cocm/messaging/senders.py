"""The SmsSender interface and its console and recording implementations; ``get_sender``.

Every sender has ``send(to, body, *, from_number=None, messaging_service_sid=None,
status_callback=None) -> SendResult`` raising ``TransientSendError`` or ``PermanentSendError``
(``cocm.messaging.errors``), and ``fetch_status(sid) -> SendResult | None`` for the daily
reconciliation (None: this transport cannot tell).

- ``TwilioSender`` (``cocm.messaging.twilio_sender``) sends through the Twilio SDK.
- ``ConsoleSender`` is the embedded default: nothing leaves the machine; the text stays in the
  messages table where the staff SMS simulator shows it.
- ``RecordingSender`` keeps every call in memory for tests and can be scripted to fail.

``get_sender(settings)`` picks one by ``settings.sms_transport``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass

from cocm.config import Settings
from cocm.messaging.errors import (
    PermanentSendError,
    SendError,
    TransientSendError,
    mask_phones,
)
from cocm.messaging.interface import SendResult, SmsSender
from cocm.messaging.twilio_sender import TwilioSender

log = logging.getLogger(__name__)

__all__ = [
    "ConsoleSender",
    "PermanentSendError",
    "RecordedSend",
    "RecordingSender",
    "SendError",
    "SendResult",
    "SmsSender",
    "TransientSendError",
    "TwilioSender",
    "get_sender",
    "recording_sender",
    "reset_recording_sender",
]


class ConsoleSender:
    """Embedded default: no text leaves the machine; the SMS simulator reads the messages table."""

    name = "console"

    def send(
        self,
        to: str,
        body: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendResult:
        sid = f"SMconsole{uuid.uuid4().hex}"
        log.info("console SMS %s to %s (%d characters)", sid, mask_phones(to or ""), len(body))
        return SendResult(sid, "sent")

    def fetch_status(self, sid: str) -> SendResult | None:
        return None  # the simulator is the handset: there is no later delivery report


@dataclass(frozen=True)
class RecordedSend:
    """One call to a RecordingSender; ``sid`` is None when the call raised ``error``."""

    to: str
    body: str
    from_number: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    sid: str | None
    error: SendError | None = None


class RecordingSender:
    """Test double: records every call; ``script()`` queues outcomes for the next calls.

    Each scripted outcome is an exception to raise (``TransientSendError(...)``), a
    ``SendResult`` to return, or None for a normal success. ``statuses`` maps a sid to what
    ``fetch_status`` answers.
    """

    name = "recording"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[RecordedSend] = []
        self.statuses: dict[str, SendResult] = {}
        self._script: deque[BaseException | SendResult | None] = deque()

    def script(self, *outcomes: BaseException | SendResult | None) -> None:
        with self._lock:
            self._script.extend(outcomes)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.statuses.clear()
            self._script.clear()

    @property
    def sent(self) -> list[RecordedSend]:
        """The calls that succeeded."""
        return [call for call in self.calls if call.sid is not None]

    def send(
        self,
        to: str,
        body: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendResult:
        with self._lock:
            outcome = self._script.popleft() if self._script else None
            fields = dict(
                to=to,
                body=body,
                from_number=from_number,
                messaging_service_sid=messaging_service_sid,
                status_callback=status_callback,
            )
            if isinstance(outcome, BaseException):
                error = outcome if isinstance(outcome, SendError) else None
                self.calls.append(RecordedSend(sid=None, error=error, **fields))
                raise outcome
            result = outcome or SendResult(f"SMrec{uuid.uuid4().hex}", "queued")
            self.calls.append(RecordedSend(sid=result.sid, **fields))
            return result

    def fetch_status(self, sid: str) -> SendResult | None:
        with self._lock:
            return self.statuses.get(sid)


_recording = RecordingSender()
_twilio: dict[tuple, TwilioSender] = {}
_twilio_lock = threading.Lock()


def recording_sender() -> RecordingSender:
    """The process-wide RecordingSender that ``get_sender`` hands out for ``recording``."""
    return _recording


def reset_recording_sender() -> RecordingSender:
    _recording.reset()
    return _recording


def get_sender(settings: Settings) -> SmsSender:
    """The sender for ``settings.sms_transport`` (console, twilio or recording).

    Twilio senders are kept per configuration so their HTTP connection pool is reused.
    """
    transport = settings.sms_transport
    if transport == "console":
        return ConsoleSender()
    if transport == "recording":
        return _recording
    if transport == "twilio":
        key = (
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_timeout_seconds,
            settings.public_base_url,
            settings.twilio_messaging_service_sid,
        )
        with _twilio_lock:
            if key not in _twilio:
                _twilio[key] = TwilioSender.from_settings(settings)
            return _twilio[key]
    raise ValueError(f"unknown SMS transport {transport!r}")
