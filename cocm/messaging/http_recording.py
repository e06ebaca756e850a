"""A recording HTTP client for the Twilio SDK: the real SDK builds each request, nothing is sent.

``RecordingHttpClient`` records every request (method, url, data, auth, timeout) and answers from
a script of ``twilio.http.response.Response`` objects or exceptions (e.g. a requests timeout), so
tests exercise ``twilio.rest.Client`` itself: URL building, parameter names, error parsing.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    params: dict[str, Any] | None
    data: dict[str, Any] | None
    headers: dict[str, str] | None
    auth: tuple[str, str] | None
    timeout: float | None


class RecordingHttpClient(TwilioHttpClient):
    def __init__(self, *responses: Response | BaseException, timeout: float | None = None):
        super().__init__(pool_connections=False, timeout=timeout)
        self.requests: list[RecordedRequest] = []
        self._script: deque[Response | BaseException] = deque(responses)

    def script(self, *responses: Response | BaseException) -> None:
        self._script.extend(responses)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append(
            RecordedRequest(
                method=method.upper(),
                url=url,
                params=dict(params) if params else None,
                data=dict(data) if data else None,
                headers=dict(headers) if headers else None,
                auth=auth,
                timeout=self.timeout if timeout is None else timeout,
            )
        )
        if not self._script:
            raise AssertionError(f"no scripted answer for {method} {url}")
        answer = self._script.popleft()
        if isinstance(answer, BaseException):
            raise answer
        return answer


def message_response(
    sid: str = "SM" + "1" * 32,
    status: str = "queued",
    *,
    to: str = "+15005550006",
    error_code: int | None = None,
    status_code: int = 201,
) -> Response:
    """What Twilio answers for a created (201) or fetched (200) Message."""
    payload = {
        "sid": sid,
        "account_sid": "AC" + "0" * 32,
        "status": status,
        "to": to,
        "body": "",
        "error_code": error_code,
        "error_message": None,
        "num_segments": "1",
        "direction": "outbound-api",
    }
    return Response(status_code, json.dumps(payload))


def error_response(status_code: int, code: int, message: str = "error") -> Response:
    """A legacy Twilio error body (the SDK raises TwilioRestException)."""
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status_code,
    }
    return Response(status_code, json.dumps(payload))


def problem_response(status_code: int, code: int, title: str = "error") -> Response:
    """An RFC 9457 problem body (the SDK raises TwilioServiceException)."""
    payload = {
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": title,
        "status": status_code,
        "code": code,
    }
    return Response(status_code, json.dumps(payload))
