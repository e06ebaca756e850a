"""`cocm create-api-token`: a bearer token for /api/v1, printed once."""

from __future__ import annotations

import click
from sqlalchemy import select


@click.command("create-api-token")
@click.option("--user", "email", required=True, help="the staff member's e-mail")
@click.option("--name", default=None, help="what the token is for, e.g. 'EHR sync'")
def create_api_token(email: str, name: str | None) -> None:
    """Create an API token acting as a staff member (with their roles and clinics).

    The token is printed once and stored only as a hash; an admin revokes it in the staff app.
    """
    from cocm import audit
    from cocm import db as database
    from cocm.api.tokens import TokenError, create_token
    from cocm.cli_support import fail_on_config_error
    from cocm.clock import utcnow
    from cocm.models import Staff
    from cocm.startup import connect_database

    # Bind the session as the app would; a bad DATABASE_URL fails with one line on first use.
    fail_on_config_error(lambda: connect_database(check=False))
    with database.session_scope() as session:
        staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
        if staff is None:
            raise click.ClickException(f"no staff member with e-mail {email}")
        try:
            token, secret = create_token(session, staff, name, utcnow())
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(
            session,
            "api_token_created",
            staff_id=staff.id,
            api_token_id=token.id,
            object_type="api_token",
            object_id=token.id,
            detail={"name": token.name, "prefix": token.prefix, "via": "cli"},
        )
        session.flush()
        click.echo(
            f"API token {token.name!r} for {staff.email} (shown once; keep it secret):", err=True
        )
        click.echo(secret)
