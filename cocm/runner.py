"""`cocm run-all`: the embedded Redis, a worker, the cron process and both web apps on one port."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

import click

from cocm.config import get_settings
from cocm.redis_queue import check_reachable, redis_url
from cocm.startup import configure_logging, connect_database


def run_all(host: str, port: int, with_worker: bool = True) -> None:
    settings = get_settings()
    configure_logging(settings)
    connect_database(settings)
    url = redis_url(settings)
    check_reachable(settings)
    children: list[subprocess.Popen] = []
    if with_worker:
        env = {**os.environ, "REDIS_URL": url}
        python = sys.executable
        children.append(subprocess.Popen([python, "-m", "jobs.worker"], env=env))
        rq = os.path.join(os.path.dirname(python), "rq")
        children.append(subprocess.Popen([rq, "cron", "jobs.cron_config", "--url", url], env=env))

    def _stop_children() -> None:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(_stop_children)
    from werkzeug.serving import run_simple

    from cocm.wsgi import combined_app

    app = combined_app()
    base = f"http://{host}:{port}"
    click.echo(f"\n  Patient app:  {base}/\n  Staff app:    {base}/staff/\n")
    run_simple(host, port, app, threaded=True, use_reloader=False)
