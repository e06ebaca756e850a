"""WSGI entry points for gunicorn: ``cocm.wsgi:patient``, ``cocm.wsgi:staff``, ``:combined``."""

from __future__ import annotations

from cocm.cli_support import fail_on_config_error


def _patient():
    from patient_app import create_app

    return create_app()


def _staff():
    from staff_app import create_app

    return create_app()


def combined_app():
    """Both apps on one port: patient at /, staff at /staff (the demo)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    return DispatcherMiddleware(_patient(), {"/staff": _staff()})


def __getattr__(name: str):
    builders = {"patient": _patient, "staff": _staff, "combined": combined_app}
    if name in builders:
        return fail_on_config_error(builders[name])
    raise AttributeError(name)
