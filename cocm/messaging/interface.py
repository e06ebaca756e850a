"""The SmsSender interface and the result of a send (implementations in ``senders``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SendResult:
    """The provider's id for the message and the status it reported (Twilio: "queued",
    "accepted", ...); ``error_code`` only comes back from ``fetch_status``."""

    sid: str
    status: str
    error_code: str | None = None


@runtime_checkable
class SmsSender(Protocol):
    name: str

    def send(
        self,
        to: str,
        body: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendResult: ...

    def fetch_status(self, sid: str) -> SendResult | None: ...
