"""The worker entry point: settings and logging first, then an RQ worker on the named queues."""

from __future__ import annotations

import argparse

from cocm.cli_support import fail_on_config_error
from cocm.config import get_settings
from cocm.redis_queue import QUEUE_NAMES, check_reachable, connection
from cocm.startup import configure_logging, connect_database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="cocm-worker")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    args = parser.parse_args(argv)

    def _prepare():
        settings = get_settings()
        configure_logging(settings)
        connect_database(settings)
        check_reachable(settings)
        return settings

    settings = fail_on_config_error(_prepare)
    # Jobs run in this process (SimpleWorker), not in a work horse forked per job: a fork would
    # throw away the warm imports, the connection pool and SQLAlchemy's statement cache each time
    # (~0.3 s a job instead of a few ms). Jobs are short and idempotent; a crash only loses the
    # job in hand, which the outbox sweeper picks up again.
    from rq import SimpleWorker as Worker

    import jobs.messaging  # noqa: F401
    import jobs.periodic  # noqa: F401
    from cocm.messaging.senders import get_sender

    get_sender(settings)

    worker = Worker(list(QUEUE_NAMES), connection=connection(settings))
    worker.work(burst=args.burst, with_scheduler=True)


if __name__ == "__main__":
    main()
