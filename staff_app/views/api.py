"""/api/v1, the JSON API (its routes live in ``staff_app.api``)."""

from staff_app.api import bp

__all__ = ["bp"]
