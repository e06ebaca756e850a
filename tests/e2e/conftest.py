"""Browser tests: the combined demo app served on a free port, driven by headless Chromium.

The server runs on its own database (a scratch SQLite file, or a scratch PostgreSQL database when
DATABASE_URL is set) seeded with a small demo clinic, with real commits — the browser is a
separate client, so the rolled-back-transaction fixture cannot serve it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from cocm import config, db
from tests.support.scratch import migrate, scratch_database

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`"
        )
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_")
    page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
    context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(settings, engine, tmp_path_factory):
    """Base URL of the combined app (patient at /, staff at /staff) on a seeded scratch database."""
    from werkzeug.serving import make_server

    from cocm.demo.seed import seed
    from cocm.wsgi import combined_app

    url, drop = scratch_database(settings.database_url, tmp_path_factory.mktemp("e2e"), "e2e")
    port = _free_port()
    e2e_settings = dataclasses.replace(
        settings,
        database_url=url,
        public_base_url=f"http://127.0.0.1:{port}",
        sms_transport="console",
    )
    previous_engine = db._engine
    config.use_settings(e2e_settings)
    db._engine = None
    migrate(url)
    e2e_engine = db.configure(url)
    seed(patients=21, echo=lambda _line: None)
    server = make_server("127.0.0.1", port, combined_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        db.Session.remove()
        e2e_engine.dispose()
        db._engine = previous_engine
        db.session_factory.configure(bind=previous_engine)
        config.use_settings(settings)
        drop()


def sign_in(page, base_url: str, email: str, password: str = "demo-password-1") -> None:
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
