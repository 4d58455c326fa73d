"""Several server processes on Redis: shared events, and surviving Redis and worker restarts.

The tests start their own throwaway redis-server (port 6390, no persistence, so a restart loses
every number and buffer, the worst case) and their own uvicorn processes on the test database,
which must therefore be PostgreSQL. The machine's shared Redis is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from madang.accounts.models import EditionRole, User
from madang.common import realtime
from madang.live import announcements, groups
from madang.live.client import LiveClient
from madang.live.services import post_announcement
from tests.factories import EventFactory
from tests.live.conftest import run, session_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# One server per parallel test process (pytest-xdist's gw0, gw1 …).
REDIS_PORT = int(os.environ.get("MADANG_TEST_OWN_REDIS_PORT", "6390")) + int(
    os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0
)
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class OwnRedis:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(REDIS_PORT)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Worker:
    """One uvicorn process serving the project's ASGI application."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "madang.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--lifespan",
                "off",
            ],
            env=self.env,
            cwd=REPO,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server to start a throwaway Redis")
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def workers(own_redis: OwnRedis, tmp_path: Path) -> Iterator[list[Worker]]:
    database = connection.settings_dict
    url = (
        f"postgresql://{database['USER']}:{database['PASSWORD'] or ''}@"
        f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = dict(
        os.environ,
        MADANG_DATABASE_URL=url,
        MADANG_REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
        MADANG_DATA_DIR=str(tmp_path),
        MADANG_LIVE_HEARTBEAT_SECONDS="1",
        MADANG_LIVE_HEARTBEAT_TIMEOUT="4",
        MADANG_LIVE_RESYNC_CHECK_SECONDS="0.5",
    )
    started = [Worker(free_port(), env), Worker(free_port(), env)]
    for worker in started:
        worker.start()
    yield started
    for worker in started:
        worker.kill()


def organiser_cookie(event: Any) -> str:
    user = User.objects.create(username=f"organiser-{event.slug}")
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    return session_cookie(user)


async def viewer(worker: Worker, topic: str) -> tuple[LiveClient, asyncio.Task[None]]:
    client = LiveClient(worker.url, origin=worker.origin, backoff_initial=0.1, backoff_max=1.0)
    client.follow(topic, apply=announcements.apply)
    task = asyncio.create_task(client.run())
    await client.wait_for(lambda c: c.topics[topic].ready, timeout=10)
    return client, task


async def post(worker: Worker, cookie: str, slug: str, text: str) -> tuple[str, dict[str, Any]]:
    client = LiveClient(worker.url, origin=worker.origin, cookie=cookie)
    task = asyncio.create_task(client.run())
    await client.wait_for(lambda c: c.connection is not None, timeout=10)
    await asyncio.sleep(0.1)
    reply = await client.request("announcements.post", {"edition": slug, "en": text}, timeout=10)
    await client.stop()
    await task
    return reply


def fresh(slug: str) -> dict[str, Any]:
    return announcements.snapshot(slug, None)


def test_two_processes_share_events_through_redis(workers: list[Worker]) -> None:
    event = EventFactory()
    topic = groups.announcements(event.slug)
    cookie = organiser_cookie(event)

    async def scenario() -> dict[str, Any]:
        client, task = await viewer(workers[1], topic)
        kind, _reply = await post(workers[0], cookie, event.slug, "from the first worker")
        assert kind == "live.ok"
        await client.wait_for(lambda c: len(c.topics[topic].data["announcements"]) == 1)
        await client.stop()
        await task
        return client.topics[topic].data

    data = run(scenario())
    assert data["announcements"][0]["text"]["en"] == "from the first worker"


def test_clients_resync_within_five_seconds_of_a_redis_restart(
    workers: list[Worker], own_redis: OwnRedis, settings: Any
) -> None:
    # This process stands for an HTTP worker (the back office) on the same Redis.
    settings.REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
    realtime.reset_store()
    event = EventFactory()
    organiser = User.objects.create(username="poster")
    EditionRole.objects.create(user=organiser, event=event, role=EditionRole.Role.MODERATOR)
    topic = groups.announcements(event.slug)
    cookie = organiser_cookie(event)

    async def scenario() -> float:
        clients = [await viewer(worker, topic) for worker in workers]
        await post(workers[0], cookie, event.slug, "before")
        own_redis.kill()
        # Written while Redis is down: stored, but its event cannot be numbered or sent.
        await asyncio.to_thread(post_announcement, event=event, text={"en": "during"}, by=organiser)
        own_redis.start()
        restarted = time.monotonic()
        expected = await asyncio.to_thread(fresh, event.slug)
        for client, _task in clients:
            await client.wait_for(lambda c: c.topics[topic].data == expected, timeout=5)
        elapsed = time.monotonic() - restarted
        for client, task in clients:
            await client.stop()
            await task
        return elapsed

    try:
        elapsed = run(scenario())
    finally:
        realtime.reset_store()
    assert elapsed < 5
    assert [a["text"]["en"] for a in fresh(event.slug)["announcements"]] == ["during", "before"]


def test_a_restarted_worker_s_clients_come_back_and_get_what_they_missed(
    workers: list[Worker],
) -> None:
    event = EventFactory()
    topic = groups.announcements(event.slug)
    cookie = organiser_cookie(event)

    async def scenario() -> LiveClient:
        client, task = await viewer(workers[0], topic)
        workers[0].kill()
        for n in range(2):
            await post(workers[1], cookie, event.slug, f"missed {n}")
        await asyncio.to_thread(workers[0].start)
        expected = await asyncio.to_thread(fresh, event.slug)
        await client.wait_for(lambda c: c.topics[topic].data == expected, timeout=5)
        await client.stop()
        await task
        return client

    client = run(scenario())
    state = client.topics[topic]
    assert client.connections == 2
    assert state.snapshots == 1  # the buffer in Redis covered the gap
    assert [kind for _seq, kind, _data in state.events] == ["announcement.posted"] * 2
