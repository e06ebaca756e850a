"""Driving HTTP load at a server on 127.0.0.1 from Python threads, and serving a WSGI app with
gunicorn for it. Not a benchmark (no ``main``); ``bench.inbound`` uses it.

Each client thread keeps one keep-alive connection and sends prepared requests one after the
other, back to back or paced to a schedule. A paced request's latency counts from when it was
due to go, so a server that falls behind is charged for the wait (no coordinated omission).
Every loop is bounded in time.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, children, percentile

WORKERS, THREADS_PER_WORKER = 4, 4  # as in the Procfile
THREADS = 16  # client connections: one per server thread
# gunicorn closes a keep-alive connection idle for 2 s (its --keep-alive default). A client that
# sends less often (paced at a low rate on a busy machine) reconnects first, as HTTP clients'
# pools do, instead of writing into a connection the server already closed (counted an error).
IDLE_RECONNECT_SECONDS = 1.5


@dataclass(frozen=True)
class Prepared:
    """One POST, ready to go."""

    path: str
    body: bytes
    headers: dict


@dataclass
class Result:
    sent: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    last_done: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def p(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000


class Feed:
    """Hands out the prepared requests in order to any number of threads: each once, or over
    and over with ``cycle`` (the baseline stores replays as new rows; the patient app would
    answer them from its replay record, a different path)."""

    def __init__(self, requests: list[Prepared], cycle: bool = False):
        self._requests = requests
        self._cycle = cycle
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> Prepared | None:
        with self._lock:
            if self._next >= len(self._requests):
                if not self._cycle:
                    return None
                self._next = 0
            self._next += 1
            return self._requests[self._next - 1]


def _send(connection: http.client.HTTPConnection, request: Prepared) -> bool:
    connection.request("POST", request.path, body=request.body, headers=request.headers)
    response = connection.getresponse()
    data = response.read()
    return response.status == 200 and b"<Response" in data


def _client(port: int, feed: Feed, result: Result, lock: threading.Lock, schedule) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, sent, errors = [], 0, 0
    done = time.perf_counter()
    for due_at in schedule:
        request = feed.take()
        if request is None:
            break
        now = time.perf_counter()
        if due_at is not None and due_at > now:
            time.sleep(due_at - now)
        began = due_at if due_at is not None else time.perf_counter()
        if time.perf_counter() - done > IDLE_RECONNECT_SECONDS:
            connection.close()  # reconnects on the next request (counted in its latency)
        try:
            ok = _send(connection, request)
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        done = time.perf_counter()
        latencies.append(done - began)
        sent += 1
        errors += not ok
    connection.close()
    with lock:
        result.latencies += latencies
        result.sent += sent
        result.errors += errors
        result.last_done = max(result.last_done, done if sent else 0.0)


def load(port: int, feed: Feed, seconds: float, rate: float | None = None) -> Result:
    """THREADS clients for ``seconds``: back to back, or paced at ``rate`` requests a second
    in all (latency then counts from each request's due time)."""
    result, lock = Result(), threading.Lock()
    start = time.perf_counter() + 0.05
    end = start + seconds

    def back_to_back():
        while time.perf_counter() < end:
            yield None

    def paced(offset: int):
        step = THREADS / rate
        due = start + offset / rate
        while due < end:
            yield due
            due += step

    clients = [
        threading.Thread(
            target=_client,
            args=(port, feed, result, lock, back_to_back() if rate is None else paced(n)),
            daemon=True,
        )
        for n in range(THREADS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(seconds + 60)
    # Up to the last answer: a feed that ran dry must not count idle time.
    result.seconds = max(0.0, result.last_done - start)
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn serving ``app`` on a free port of 127.0.0.1, once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads"]
    command += [str(THREADS_PER_WORKER), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen(
        [*command, app], env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            connection.getresponse().read()
            if len(children(process.pid)) >= WORKERS:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"gunicorn did not start {app}:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
