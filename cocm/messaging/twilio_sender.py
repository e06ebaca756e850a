"""TwilioSender: sends through the real Twilio SDK (``twilio.rest.Client``).

Every call carries a timeout (``TWILIO_TIMEOUT_SECONDS``) and its own status callback
(``PUBLIC_BASE_URL`` + ``/twilio/status``). Errors come back as ``TransientSendError`` or
``PermanentSendError`` classified by ``cocm.messaging.errors``; the SDK's own retries stay off so
that the outbox's backoff is the only retry policy.
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from cocm.config import Settings
from cocm.messaging.errors import PermanentSendError, TransientSendError, classify, normalize_code
from cocm.messaging.interface import SendResult

STATUS_PATH = "/twilio/status"


def status_callback_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + STATUS_PATH


class TwilioSender:
    """Sends with Twilio. ``http_client`` lets tests record the requests the SDK builds."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        timeout: float,
        public_base_url: str | None = None,
        messaging_service_sid: str | None = None,
        http_client: HttpClient | None = None,
    ):
        if http_client is None:
            http_client = TwilioHttpClient(timeout=timeout)
        elif http_client.timeout is None:
            http_client.timeout = timeout  # a call to Twilio never waits without a limit
        self.timeout = timeout
        self.default_messaging_service_sid = messaging_service_sid
        self.default_status_callback = (
            status_callback_url(public_base_url) if public_base_url else None
        )
        self.client = Client(account_sid, auth_token, http_client=http_client)

    @classmethod
    def from_settings(cls, settings: Settings, *, http_client: HttpClient | None = None):
        return cls(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            timeout=settings.twilio_timeout_seconds,
            public_base_url=settings.public_base_url,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            http_client=http_client,
        )

    def send(
        self,
        to: str,
        body: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendResult:
        """Create one Message. A clinic's number, its Messaging Service, or (neither given) the
        default Messaging Service is the sender."""
        service = messaging_service_sid or (
            None if from_number else self.default_messaging_service_sid
        )
        if not service and not from_number:
            raise PermanentSendError("no_sender", "no From number or Messaging Service configured")
        params: dict[str, str] = {"to": to, "body": body}
        if from_number:
            params["from_"] = from_number
        if service:
            params["messaging_service_sid"] = service
        callback = status_callback or self.default_status_callback
        if callback:
            params["status_callback"] = callback
        message = self._call(lambda: self.client.messages.create(**params))
        return SendResult(message.sid, str(message.status or "queued"))

    def fetch_status(self, sid: str) -> SendResult | None:
        """Twilio's current status and error code for one message."""
        message = self._call(lambda: self.client.messages(sid).fetch())
        return SendResult(message.sid, str(message.status), normalize_code(message.error_code))

    @staticmethod
    def _call(action):
        try:
            return action()
        except TwilioServiceException as exc:  # RFC 9457 problem details
            raise classify(exc.status, exc.code, exc.title or "Twilio error") from None
        except TwilioRestException as exc:
            raise classify(exc.status, exc.code, exc.msg or "Twilio error") from None
        except requests.Timeout:
            raise TransientSendError("timeout", "Twilio did not answer in time") from None
        except requests.RequestException as exc:
            raise TransientSendError("transport", type(exc).__name__) from None
        except TwilioException as exc:
            raise TransientSendError("twilio", type(exc).__name__) from None
