import subprocess
import sys
from pathlib import Path

import pytest

from cocm.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_demo_defaults_need_no_configuration(tmp_path):
    settings = load_settings({"COCM_INSTANCE_PATH": str(tmp_path)})
    assert settings.mode == "demo"
    assert settings.database_url == f"sqlite:///{tmp_path / 'cocm.sqlite3'}"
    assert settings.redis_url is None
    assert settings.sms_transport == "console"
    # The generated key is kept, so a restart keeps everyone signed in.
    assert load_settings({"COCM_INSTANCE_PATH": str(tmp_path)}).secret_key == settings.secret_key
    assert len(settings.secret_key) >= 32


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"COCM_ENV": "production"}, "SECRET_KEY"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"PUBLIC_BASE_URL": "cocm.example.org"}, "PUBLIC_BASE_URL"),
        ({"SMS_TRANSPORT": "pigeon"}, "SMS_TRANSPORT"),
        ({"SMS_TRANSPORT": "twilio"}, "TWILIO_ACCOUNT_SID"),
        ({"COCM_ENV": "staging"}, "COCM_ENV"),
        ({"TWILIO_TIMEOUT_SECONDS": "soon"}, "TWILIO_TIMEOUT_SECONDS"),
    ],
)
def test_bad_settings_name_the_setting_in_one_line(tmp_path, env, names):
    with pytest.raises(ConfigError) as error:
        load_settings({"COCM_INSTANCE_PATH": str(tmp_path), **env})
    assert names in str(error.value)
    assert "\n" not in str(error.value)


def test_production_refuses_the_embedded_engines(tmp_path):
    base = {"COCM_ENV": "production", "SECRET_KEY": "x" * 40, "COCM_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="DATABASE_URL is required"):
        load_settings(base)
    with pytest.raises(ConfigError, match="REDIS_URL is required"):
        load_settings({**base, "DATABASE_URL": "postgresql://u@h/db"})


def test_postgres_urls_use_psycopg(tmp_path):
    settings = load_settings(
        {"DATABASE_URL": "postgresql://u:p@db:5432/cocm", "COCM_INSTANCE_PATH": str(tmp_path)}
    )
    assert settings.database_url.startswith("postgresql+psycopg://u:p@db:5432/cocm")


def _cocm(args, env, tmp_path):
    full_env = {"PATH": "/usr/bin:/bin", "COCM_INSTANCE_PATH": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", "from cocm.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"DATABASE_URL": "nonsense://"}, ["db", "upgrade"], "DATABASE_URL"),
        (
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            ["db", "upgrade"],
            "cannot reach the database",
        ),
        ({"COCM_ENV": "production"}, ["db", "upgrade"], "SECRET_KEY is required"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, ["run-all"], "cannot reach Redis"),
    ],
)
def test_command_line_prints_one_clear_line_not_a_traceback(tmp_path, env, args, expected):
    result = _cocm(args, env, tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cocm: ") and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_proxy_count_is_a_small_whole_number(tmp_path):
    base = {"COCM_INSTANCE_PATH": str(tmp_path)}
    assert load_settings({**base, "PROXY_COUNT": "1"}).proxy_count == 1
    assert load_settings(base).proxy_count == 0
    with pytest.raises(ConfigError, match="PROXY_COUNT"):
        load_settings({**base, "PROXY_COUNT": "many"})
