"""Register every blueprint found in an app's ``views`` package.

Each module in ``<app>/views/`` that defines ``bp`` is one area of the app; adding a file is all
it takes to add an area, so parallel work never edits a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_views(app: Flask, package: str) -> None:
    views = importlib.import_module(f"{package}.views")
    for info in sorted(pkgutil.iter_modules(views.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.views.{info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
