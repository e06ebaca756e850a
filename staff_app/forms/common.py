"""Pieces every staff form shares: one-time tokens, PHQ-9/GAD-7 item radios, local times,
showing a domain error next to its field, and where to go after saving."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from wtforms import HiddenField, RadioField
from wtforms.validators import Optional

from cocm import instruments

try:  # WTForms 3.3+ deprecates (value, label) tuples as choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def options(pairs) -> list:
    """Choices for a select, radio or checkbox group from (value, label) pairs."""
    return [SelectChoice(v, label) if SelectChoice else (v, label) for v, label in pairs]


def int_or_none(value):
    """Coerce a select's value to int, with "" and None meaning nothing chosen."""
    if value in (None, "", "None"):
        return None
    return int(value)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenMixin:
    """A hidden one-time token so that the same form posted twice is saved once."""

    form_token = HiddenField()

    def ensure_token(self) -> None:
        if not self.form_token.data:
            self.form_token.data = new_token()


def item_fields(code: str, prefix: str) -> dict:
    """Radio groups for every item of ``code``, named ``<prefix>_<n>``, all optional."""
    fields = {}
    for item in instruments.get(code).items:
        fields[f"{prefix}_{item.number}"] = RadioField(
            f"{item.number}. {item.text['en']}",
            choices=options((o.score, f"{o.label['en']} ({o.score})") for o in item.options),
            coerce=int_or_none,
            validate_choice=False,
            validators=[Optional()],
        )
    return fields


def answers(form, code: str, prefix: str, scored_only: bool = False) -> list[int | None]:
    """The item answers of ``code`` in order, None where unanswered; the optional PHQ-9 item
    10 only when given."""
    instrument = instruments.get(code)
    items = instrument.scored_items if scored_only else instrument.items
    values = [form[f"{prefix}_{item.number}"].data for item in items]
    if len(values) > len(instrument.scored_items) and values[-1] is None:
        values = values[: len(instrument.scored_items)]
    return values


def item_names(code: str, prefix: str) -> list[str]:
    return [f"{prefix}_{item.number}" for item in instruments.get(code).items]


def show_error(form, field: str | None, message: str) -> None:
    """Put a domain error next to its field (or at the top of the form when it has none)."""
    target = getattr(form, field, None) if field else None
    if field and target is None and field != "form_token":
        # A group with no single field (the PHQ-9 answers): shown beside the group.
        if not hasattr(form, "section_errors"):
            form.section_errors = {}
        form.section_errors.setdefault(field, []).append(message)
        return
    if target is None or field == "form_token":
        form.form_errors.append(message)
        return
    target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]


def to_utc(value: datetime | None, zone: str) -> datetime | None:
    """A naive local time typed in ``zone`` as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def to_local(value: datetime | None, zone: str) -> datetime | None:
    """An aware time as naive local time in ``zone``, for a datetime-local input."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def chart_url(patient_id: int) -> str:
    """The patient's chart once it exists in this app, else the home page."""
    if "chart.show" in current_app.view_functions:
        return url_for("chart.show", patient_id=patient_id)
    return url_for("home.index")
