"""Settings read from the environment once, validated at start.

A missing or malformed setting raises ``ConfigError`` whose message is one line naming it; the
entry points print that line and stop instead of showing a traceback.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MODES = ("demo", "production", "test")
SMS_TRANSPORTS = ("console", "twilio", "recording")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    mode: str
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    public_base_url: str
    sms_transport: str
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_timeout_seconds: float = 10.0
    log_level: str = "INFO"
    proxy_count: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def embedded_database(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def https(self) -> bool:
        return self.public_base_url.startswith("https://")


def _database_url(raw: str | None, instance_path: Path) -> str:
    if not raw:
        return f"sqlite:///{instance_path / 'cocm.sqlite3'}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL (expected postgresql://user@host:5432/name)"
        ) from None
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise ConfigError(f"DATABASE_URL names an unsupported database {backend!r}")
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        if not url.database:
            raise ConfigError("DATABASE_URL has no database name")
    return url.render_as_string(hide_password=False)


def _redis_url(raw: str | None) -> str | None:
    if not raw:
        return None
    scheme = urlsplit(raw).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return raw


def _public_base_url(raw: str | None, mode: str) -> str:
    if not raw:
        if mode == "production":
            raise ConfigError(
                "PUBLIC_BASE_URL is required in production (e.g. https://cocm.example.org)"
            )
        return "http://localhost:5000"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_BASE_URL must be an absolute http(s) URL")
    return raw.rstrip("/")


def _secret_key(raw: str | None, mode: str, instance_path: Path) -> str:
    if raw:
        if len(raw) < 16:
            raise ConfigError("SECRET_KEY is too short (use at least 16 random characters)")
        return raw
    if mode == "production":
        raise ConfigError("SECRET_KEY is required in production (COCM_ENV=production)")
    # The embedded demo keeps a generated key beside its database so sign-ins survive restarts.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError naming the first bad one."""
    env = dict(os.environ if env is None else env)
    mode = env.get("COCM_ENV", "demo").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"COCM_ENV must be one of {', '.join(MODES)}, got {mode!r}")
    instance_path = Path(env.get("COCM_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    secret_key = _secret_key(env.get("SECRET_KEY"), mode, instance_path)
    database_url = _database_url(env.get("DATABASE_URL"), instance_path)
    redis_url = _redis_url(env.get("REDIS_URL"))
    if mode == "production" and database_url.startswith("sqlite"):
        raise ConfigError(
            "DATABASE_URL is required in production (the SQLite default is for demos)"
        )
    if mode == "production" and redis_url is None:
        raise ConfigError("REDIS_URL is required in production (the embedded Redis is for demos)")
    transport = env.get("SMS_TRANSPORT", "twilio" if mode == "production" else "console").lower()
    if transport not in SMS_TRANSPORTS:
        raise ConfigError(f"SMS_TRANSPORT must be one of {', '.join(SMS_TRANSPORTS)}")
    sid, token = env.get("TWILIO_ACCOUNT_SID"), env.get("TWILIO_AUTH_TOKEN")
    if transport == "twilio":
        if not sid or not sid.startswith("AC"):
            raise ConfigError("TWILIO_ACCOUNT_SID is required for SMS_TRANSPORT=twilio (starts AC)")
        if not token:
            raise ConfigError("TWILIO_AUTH_TOKEN is required for SMS_TRANSPORT=twilio")
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    proxy_count = env.get("PROXY_COUNT", "0").strip() or "0"
    if not proxy_count.isdigit() or int(proxy_count) > 5:
        raise ConfigError("PROXY_COUNT must be a whole number of trusted proxies from 0 to 5")
    return Settings(
        mode=mode,
        proxy_count=int(proxy_count),
        instance_path=instance_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        public_base_url=_public_base_url(env.get("PUBLIC_BASE_URL"), mode),
        sms_transport=transport,
        twilio_account_sid=sid,
        # In demo and test the console sender still checks inbound signatures with this token.
        twilio_auth_token=token or ("demo-auth-token" if mode != "production" else None),
        twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        twilio_timeout_seconds=_float(env, "TWILIO_TIMEOUT_SECONDS", 10.0),
        log_level=level,
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def use_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (entry points and tests)."""
    global _settings
    _settings = settings
