"""A real ASGI server (uvicorn, the project's ASGI application) for websocket tests.

The server runs in a thread of the test process, so it uses the test database (pytest-django's
in-memory SQLite is shared between threads; the tests use ``transactional_db`` so that their
rows are committed and visible to the server's threads) and the test's settings.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client


@dataclass
class Server:
    port: int

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live_settings(settings: Any) -> Any:
    """Short heartbeats and fast checks, so that tests take fractions of a second."""
    from madang.common import realtime
    from madang.live import limits

    settings.LIVE_HEARTBEAT_SECONDS = 0.3
    settings.LIVE_HEARTBEAT_TIMEOUT = 1.0
    settings.LIVE_RESYNC_CHECK_SECONDS = 0.2
    realtime.reset_store()
    limits.reset_counter()
    yield settings
    realtime.reset_store()
    limits.reset_counter()


@pytest.fixture
def server(transactional_db: None, live_settings: Any) -> Iterator[Server]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        "madang.config.asgi:application",
        log_level="warning",
        lifespan="off",
        ws_max_size=65536,
        ws_ping_interval=None,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield Server(port)
    instance.should_exit = True
    thread.join(timeout=5)
    sock.close()


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def run(coroutine: Any) -> Any:
    """Run a test's client side on a loop of its own (the server has its own thread)."""
    return asyncio.run(asyncio.wait_for(coroutine, 30))
