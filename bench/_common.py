"""What the benchmarks share: the server's environment, gunicorn as in production, clean-up.

Every benchmark serves the site the way README's Production section recommends (gunicorn,
``madang.config.wsgi``, DEBUG off) with ``bench.settings``, which adds the baseline
``/bench-hello/`` view, and stops the server's whole process group however the run ends.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
HELLO_PATH = "/bench-hello/"


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


class Clock:
    def __init__(self, budget: float) -> None:
        self.started = time.monotonic()
        self.budget = budget

    def left(self) -> float:
        return self.budget - (time.monotonic() - self.started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def server_environment(data_dir: Path) -> dict[str, str]:
    """The environment of the set-up steps and of the server: production settings, bench URLs."""
    environment = dict(os.environ)
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": os.pathsep.join(
                [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "MADANG_DATA_DIR": str(data_dir),
            "MADANG_DEBUG": "0",
            "MADANG_SECRET_KEY": environment.get("MADANG_SECRET_KEY") or secrets.token_urlsafe(40),
            "MADANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MADANG_LOG_LEVEL": "WARNING",
        }
    )
    return environment


def setup_django(environment: dict[str, str]) -> None:
    """Configure Django in this process under the server's environment (once per run)."""
    os.environ.update(environment)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


@contextmanager
def gunicorn(
    environment: dict[str, str], data_dir: Path, *, worker_class: str, workers: int, threads: int
) -> Iterator[int]:
    """Serve madang.config.wsgi with gunicorn on a free loopback port; always stop it after."""
    with gunicorn_process(
        environment, data_dir, worker_class=worker_class, workers=workers, threads=threads
    ) as (port, _server):
        yield port


@contextmanager
def gunicorn_process(
    environment: dict[str, str], data_dir: Path, *, worker_class: str, workers: int, threads: int
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Like ``gunicorn``, and also yield the master process (to find its workers)."""
    port = free_port()
    log = data_dir / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "madang.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", worker_class,
        "--workers", str(workers),
        "--threads", str(threads),
        "--preload",
        "--error-logfile", str(log),
        "--log-level", "warning",
    ]  # fmt: skip
    # A session of its own, so the master and its workers stop together with one signal.
    server = subprocess.Popen(command, env=environment, cwd=REPO, start_new_session=True)
    try:
        wait_until_serving(server, port, log)
        yield port, server
    finally:
        stop(server)


def wait_until_serving(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            if fetch_status(port, HELLO_PATH) == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer within 30 s:\n{tail(log)}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def fetch_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine shows here."""
    return " / ".join(f"{n:.1f}" for n in os.getloadavg())


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so every `finally` runs and the server is stopped.
    raise SystemExit(128 + signum)
