"""No session cookie for the API: its requests get a throw-away session that is never saved.

A browser that is signed in to the staff pages sends its cookie along to /api/v1 (a viewer of
the OpenAPI description, say); the API neither reads nor refreshes it, and never sets one.
"""

from __future__ import annotations

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SessionInterface


class ApiSessions(SessionInterface):
    """Wraps the app's session interface; paths under ``prefix`` get no session cookie."""

    def __init__(self, inner: SessionInterface, prefix: str):
        self.inner = inner
        self.prefix = prefix

    def _api(self, req: Request) -> bool:
        return req.path == self.prefix or req.path.startswith(self.prefix + "/")

    def open_session(self, app: Flask, request: Request):
        if self._api(request):
            return SecureCookieSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if self._api(request):
            return None
        return self.inner.save_session(app, session, response)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def install(app: Flask, prefix: str) -> None:
    if not isinstance(app.session_interface, ApiSessions):
        app.session_interface = ApiSessions(app.session_interface, prefix)
