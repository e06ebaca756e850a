"""Run Alembic from code, on the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from cocm.config import get_settings
from cocm.startup import connect_database

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(connection=None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(revision: str = "head") -> None:
    """Upgrade the configured database (checked reachable first, one clear line if not)."""
    engine = connect_database(get_settings())
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(revision: str) -> None:
    engine = connect_database(get_settings())
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
