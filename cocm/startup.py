"""Start-up checks shared by the apps, the worker and the command line."""

from __future__ import annotations

import logging
import re

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cocm import db
from cocm.config import ConfigError, Settings, get_settings
from cocm.redis_queue import safe_url

_PHONE = re.compile(r"(?<![\w+(])[+(]?\d[\d\s().-]{8,}\d(?!\w)")


class MaskPhoneNumbers(logging.Filter):
    """Logs never carry a whole phone number: keep the last two digits only."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-2:], message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, MaskPhoneNumbers) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(MaskPhoneNumbers())
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Library chatter (Alembic plugin set-up, per-request lines) drowns the lines that matter.
    for noisy in ("alembic", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def connect_database(settings: Settings | None = None, *, check: bool = True):
    """Bind the session to the configured database; raise ConfigError if it cannot be reached."""
    settings = settings or get_settings()
    if settings.embedded_database:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    engine = db.configure(settings.database_url)
    if check:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise ConfigError(
                f"cannot reach the database at {safe_url(settings.database_url)}: {reason}"
            ) from None
    return engine
