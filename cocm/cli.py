"""The `cocm` command: database, demo data, users, tokens, reports and the all-in-one runner."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from cocm.config import ConfigError
from cocm.redis_queue import RedisUnavailable


def _cli_app():
    from staff_app import create_app

    return create_app()


@click.group(
    cls=FlaskGroup, create_app=_cli_app, add_default_commands=False, add_version_option=False
)
def cli() -> None:
    """Collaborative care management service."""


@cli.group()
def db() -> None:
    """Database schema commands (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from cocm.migrate import upgrade

    upgrade(revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table)."""
    from cocm.migrate import downgrade

    downgrade(revision)
    click.echo(f"database at {revision}")


@cli.command("seed-demo")
@click.option("--patients", default=150, show_default=True, help="patients across both clinics")
def seed_demo(patients: int) -> None:
    """Load realistic synthetic demo data (running it twice adds nothing)."""
    from cocm.demo.seed import seed

    seed(patients=patients, echo=click.echo)


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--clinic", "clinic_slug", required=True, help="clinic slug")
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.password_option()
def create_user(
    email: str, full_name: str, clinic_slug: str, roles: tuple[str, ...], password: str
):
    """Create a staff member with one or more roles in a clinic."""
    from cocm import db as database
    from cocm.accounts import AccountError, create_staff

    with database.session_scope() as session:
        try:
            staff = create_staff(
                session,
                email=email,
                full_name=full_name,
                password=password,
                roles={clinic_slug: list(roles)},
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"created {staff.email} ({', '.join(roles)} at {clinic_slug})")


@cli.command("run-all")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="serve the web apps only")
def run_all(host: str, port: int, no_worker: bool) -> None:
    """Web (both apps on one port), worker and cron together on the embedded defaults."""
    from cocm.runner import run_all as run

    run(host=host, port=port, with_worker=not no_worker)


def main() -> None:
    try:
        cli.main(prog_name="cocm")
    except (ConfigError, RedisUnavailable) as exc:
        print(f"cocm: {exc}", file=sys.stderr)
        sys.exit(2)


from cocm.billing.cli import billing_report  # noqa: E402  (registered after the group exists)

cli.add_command(billing_report)

from cocm.api.cli import create_api_token  # noqa: E402  (registered after the group exists)

cli.add_command(create_api_token)
