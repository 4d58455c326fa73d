"""Live fan-out benchmark: how long an organiser's action takes to reach thousands of viewers.

Serves the project with uvicorn exactly as the Makefile does (one process with the in-memory
channel layer; or two workers with the Redis layer), opens N websocket clients on loopback in a
few client processes, all following one topic, and has an organiser trigger M events through a
websocket command, as a stage page would. For every event and every client it measures the time
from the organiser's send to the client's receipt. A baseline from the same server in the same
run, one subscriber and no crowd, is reported beside it. See bench/README.md.

The trigger is pluggable (the section "The trigger" below): today an edition announcement.

    .venv/bin/python bench/live_bench.py              # 1,000 then 5,000 clients, both layers
    .venv/bin/python bench/live_bench.py --quick      # 1,000 clients, fewer announcements
    .venv/bin/python bench/live_bench.py --http       # page speed: one uvicorn vs gunicorn
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import multiprocessing
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

if not __package__:  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    REPO,
    BenchError,
    Clock,
    fetch_status,
    free_port,
    gunicorn,
    load_average,
    server_environment,
    setup_django,
    stop,
    stop_on_sigterm,
    tail,
)

RESULTS = REPO / "bench" / "results" / "live.md"
SLUG = "bench-live"
# The Redis database the Redis set-up uses and flushes (MADANG_BENCH_REDIS_URL names another).
REDIS_URL = os.environ.get("MADANG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PG_DATABASE = "madang_bench_live"
# The goal: from the organiser's action to the last viewer, p95 under one second.
GOAL_LAST_P95_S = 1.0
# Open connections at once while the crowd connects (the server's accept backlog is 2048).
CONNECT_CONCURRENCY = 200
# announcements.post costs 5 of a connection's 10 frames a second: one post every 0.6 s.
POST_INTERVAL_S = 0.6
TIME_BUDGET_S = 290.0  # --budget changes it
# --profile: run a one-process server under cProfile and write its statistics here.
PROFILE = {"path": ""}
PROFILED_SERVER = """
import cProfile, signal, sys, uvicorn
# uvicorn raises the signal again once it has stopped: end as an exception, so stats are written.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
path, port = sys.argv[1], int(sys.argv[sys.argv.index("--port") + 1])
deflate = sys.argv[sys.argv.index("--ws-per-message-deflate") + 1] == "true"
config = uvicorn.Config("madang.config.asgi:application", host="127.0.0.1", port=port,
                        ws_max_size=65536, access_log=False, log_level="warning",
                        ws_per_message_deflate=deflate)
cProfile.run("uvicorn.Server(config).run()", path)
"""


# --- The trigger: what the organiser does and what every viewer waits for --------------------
# Everything the benchmark knows about the event it times is in these definitions; to time
# another kind of event (opening a poll, say), change only them. ``prepare`` runs once in the
# benchmark's database before any server starts; the functions after it run in the organiser's
# and the viewers' processes and see only plain JSON.

TOPIC = "polls.0"  # what every viewer follows: ``prepare`` names the session's poll topic
TRIGGER = "opening a poll"  # a name for reports
# What ``prepare`` returned, once it has run (the organiser's side reads it).
FACTS: dict[str, Any] = {}
# Draft polls made beforehand; every event (baselines included, in every set-up) opens the next.
POLLS = 300
_OPENED = itertools.count()


def prepare(event: Any, organiser: Any) -> dict[str, Any]:
    """Make what the trigger needs in the database; facts for ``trigger_frame`` (JSON types).

    ``event`` is the published edition ``SLUG``; ``organiser`` holds the organiser's role in it
    and is the user whose websocket sends the trigger. A ``"topic"`` in the result replaces
    ``TOPIC``. A poll needs a published session and draft polls made by a moderator; every
    viewer follows the session's public poll topic, as the stage page and kiosk screens do.
    """
    from i18nfield.strings import LazyI18nString

    from madang.program.enums import SessionStatus
    from madang.program.models import Session
    from madang.stage.interaction import services

    start = dt.datetime(2030, 10, 10, 1, 0, tzinfo=dt.UTC)
    session = Session.objects.create(
        event=event, slug="bench-forum", title=LazyI18nString({"ko": "포럼", "en": "Forum"}),
        starts_at=start, ends_at=start + dt.timedelta(hours=1), status=SessionStatus.PUBLISHED,
    )  # fmt: skip
    polls = [
        services.create_poll(
            session=session, question=f"Question {index}", options=["Yes", "No"], by=organiser
        ).pk
        for index in range(POLLS)
    ]
    return {"topic": f"polls.{session.pk}", "polls": polls}


def trigger_frame(index: int, ref: int, facts: dict[str, Any]) -> list[Any]:
    """The organiser's command frame for the ``index``-th event (``ref`` must be echoed)."""
    opened = next(_OPENED)
    if opened >= len(facts["polls"]):
        raise SystemExit(f"more events than the {POLLS} polls made beforehand: raise POLLS")
    poll = facts["polls"][opened]
    return ["polls.manage", {"poll": poll, "action": "open", "ref": ref}]


def trigger_key(reply: dict[str, Any]) -> Any:
    """What identifies the event, from the ``data`` of the command's ``live.ok`` reply."""
    return int(reply["id"])


def receipt_key(event: dict[str, Any]) -> Any:
    """The same key from a viewer's ``live.event`` payload, or None for any other event.

    Opening a poll also closes the one open before it: only the opening counts.
    """
    if event["type"] == "poll.updated" and event["data"]["poll"]["status"] == "open":
        return event["data"]["poll"]["id"]
    return None


def receipt_stamp(event: dict[str, Any]) -> float | None:
    """When the server made the event (epoch seconds), if the event says; else None."""
    return None  # a poll carries no time: latency is from the organiser's send


# --- small helpers ----------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def raise_file_limit(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after it are fixed.
        fields = text[text.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(times.get(pid, 0.0) for pid in tree)


# --- the server -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Setup:
    name: str
    workers: int
    redis: bool

    def describe(self) -> str:
        layer = "Redis pub/sub layer" if self.redis else "in-memory layer"
        workers = "1 uvicorn process" if self.workers == 1 else f"{self.workers} uvicorn workers"
        return f"{layer}, {workers}"


@contextlib.contextmanager
def uvicorn_server(
    environment: dict[str, str], data_dir: Path, *, workers: int, deflate: bool = False
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """uvicorn serving madang.config.asgi as the Makefile's ``serve`` target does."""
    port = free_port()
    log = data_dir / f"uvicorn-{port}.log"
    command = [
        sys.executable, "-m", "uvicorn", "madang.config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--ws-max-size", "65536", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    elif PROFILE["path"]:
        # One process under cProfile; the statistics are written when it stops (SIGTERM).
        command[1:4] = ["-c", PROFILED_SERVER, PROFILE["path"]]
    # The Makefile turns permessage-deflate off (WS_DEFLATE); --server-deflate measures it on.
    command += ["--ws-per-message-deflate", "true" if deflate else "false"]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=environment, cwd=REPO, stdout=output, stderr=output,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise BenchError(f"uvicorn exited with {server.returncode}:\n{tail(log)}")
            with contextlib.suppress(OSError):
                if fetch_status(port, "/bench-hello/") == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchError(f"uvicorn did not answer within 60 s:\n{tail(log)}")
            time.sleep(0.2)
        yield port, server
    finally:
        stop(server)


# --- the clients (in their own processes) -----------------------------------------------------


async def _crowd(
    pipe: Connection, url: str, origin: str, count: int, deflate: bool, topic: str
) -> None:  # pragma: no cover - runs in a child process
    from websockets.asyncio.client import ClientConnection, connect

    loop = asyncio.get_running_loop()
    receipts: dict[Any, list[float]] = {}
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    ready = 0
    failed: list[str] = []
    sockets: list[ClientConnection] = []
    all_ready = asyncio.Event()

    async def one() -> None:
        nonlocal ready
        try:
            async with gate:
                ws = await connect(
                    url, origin=origin, open_timeout=60, ping_interval=None,  # type: ignore[arg-type]
                    max_size=2**20, compression="deflate" if deflate else None,
                )  # fmt: skip
                sockets.append(ws)
                await ws.send(json.dumps(["live.subscribe", {"topic": topic}]))
                while True:
                    kind, payload = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if kind == "live.subscribed":
                        break
                    if kind == "live.error":
                        raise BenchError(payload.get("code", "error"))
        except Exception as exc:  # counted and reported, never hidden
            failed.append(f"{type(exc).__name__}: {exc}"[:200])
            if ready + len(failed) == count:
                all_ready.set()
            return
        ready += 1
        if ready + len(failed) == count:
            all_ready.set()
        try:
            async for message in ws:
                received = time.time()
                text = message if isinstance(message, str) else message.decode()
                if text.startswith('["live.event"'):
                    _kind, payload = json.loads(text)
                    key = receipt_key(payload)
                    if key is not None:
                        receipts.setdefault(key, []).append(received)
                elif text.startswith('["live.ping"'):
                    _kind, payload = json.loads(text)
                    await ws.send(json.dumps(["live.pong", {"t": payload.get("t", 0)}]))
        except Exception:  # a dropped client shows as missing receipts
            return

    tasks = [loop.create_task(one()) for _ in range(count)]
    await all_ready.wait()
    pipe.send(("ready", ready, failed[:5], len(failed)))
    command = await loop.run_in_executor(None, pipe.recv)
    assert command == "start"
    cpu_start, wall_start = time.process_time(), time.monotonic()
    command = await loop.run_in_executor(None, pipe.recv)
    assert command == "report"
    cpu = time.process_time() - cpu_start
    wall = time.monotonic() - wall_start
    pipe.send(("report", receipts, cpu, wall))
    for task in tasks:
        task.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            ws.transport.abort()


def crowd_process(
    pipe: Connection, url: str, origin: str, count: int, deflate: bool, topic: str
) -> None:  # pragma: no cover - runs in a child process
    raise_file_limit(count + 200)
    asyncio.run(_crowd(pipe, url, origin, count, deflate, topic))


# --- one measurement --------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    setup: Setup
    clients: int
    connected: int
    connect_seconds: float
    events: int
    latencies: list[float]  # every (event, client) pair, seconds
    last: list[float]  # per event: until the last client had it
    first_stamp: list[float]  # per event: from the server's posted_at to the first receipt
    missing: int
    server_cpu: float  # share of one core during the publishing phase
    client_cpu: list[float]
    server_cpu_per_event: float  # CPU seconds of the server (all processes) per event
    baseline_p50: float  # the same path with one subscriber and no crowd, seconds
    ping_rtt_p50: float
    errors: list[str]

    @property
    def held(self) -> bool:
        return (
            self.connected == self.clients
            and self.missing == 0
            and percentile(self.last, 0.95) < GOAL_LAST_P95_S
        )


class Organiser:
    """The organiser's websocket (signed in) and one plain subscriber for the baseline."""

    def __init__(self, url: str, origin: str, cookie: str, deflate: bool) -> None:
        self.url, self.origin, self.cookie, self.deflate = url, origin, cookie, deflate
        self.facts = dict(FACTS)
        self.topic = str(FACTS.get("topic", TOPIC))
        self.ws: Any = None
        self.watcher: Any = None
        self.refs = 0
        self.receipts: dict[Any, float] = {}
        self.posted_at: dict[Any, float] = {}
        self.replies: dict[int, asyncio.Future[tuple[str, dict[str, Any]]]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Organiser:
        from websockets.asyncio.client import connect

        compression = "deflate" if self.deflate else None
        self.ws = await connect(
            self.url, origin=self.origin, additional_headers={"Cookie": self.cookie},  # type: ignore[arg-type]
            ping_interval=None, compression=compression,
        )  # fmt: skip
        self.watcher = await connect(
            self.url, origin=self.origin, ping_interval=None, compression=compression,  # type: ignore[arg-type]
        )  # fmt: skip
        await self.watcher.send(json.dumps(["live.subscribe", {"topic": self.topic, "ref": 1}]))
        loop = asyncio.get_running_loop()
        self.tasks = [
            loop.create_task(self._read_organiser()),
            loop.create_task(self._read_watcher()),
        ]
        await self.ping()  # the watcher is subscribed once it answers after the subscribe
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self.tasks:
            task.cancel()
        for ws in (self.ws, self.watcher):
            with contextlib.suppress(Exception):
                await ws.close()

    async def _read_organiser(self) -> None:
        async for text in self.ws:
            kind, payload = json.loads(text)
            if kind == "live.ping":
                await self.ws.send(json.dumps(["live.pong", {"t": payload.get("t", 0)}]))
            elif payload.get("ref") in self.replies:
                self.replies.pop(payload["ref"]).set_result((kind, payload))

    async def _read_watcher(self) -> None:
        async for text in self.watcher:
            received = time.time()
            kind, payload = json.loads(text)
            if kind == "live.ping":
                await self.watcher.send(json.dumps(["live.pong", {"t": payload.get("t", 0)}]))
            elif kind == "live.pong" and payload.get("t") in self.replies:
                self.replies.pop(payload["t"]).set_result((kind, payload))
            elif kind == "live.event" and (key := receipt_key(payload)) is not None:
                self.receipts[key] = received
                stamp = receipt_stamp(payload)
                if stamp is not None:
                    self.posted_at[key] = stamp

    async def ping(self) -> float:
        """One round trip on the watcher's connection, seconds."""
        self.refs += 1
        future = asyncio.get_running_loop().create_future()
        self.replies[self.refs] = future
        started = time.perf_counter()
        await self.watcher.send(json.dumps(["live.ping", {"t": self.refs}]))
        await asyncio.wait_for(future, 10)
        return time.perf_counter() - started

    async def post(self, index: int) -> tuple[Any, float]:
        """Trigger the ``index``-th event; its key and the wall-clock time it was sent."""
        self.refs += 1
        future = asyncio.get_running_loop().create_future()
        self.replies[self.refs] = future
        frame = trigger_frame(index, self.refs, self.facts)
        sent = time.time()
        await self.ws.send(json.dumps(frame))
        kind, payload = await asyncio.wait_for(future, 30)
        if kind != "live.ok":
            raise BenchError(f"the trigger was refused: {payload}")
        return trigger_key(payload["data"]), sent


def measure_baseline(port: int, cookie: str, deflate: bool, events: int = 8) -> tuple[float, float]:
    """Post → receipt with one subscriber and no crowd (p50), and the ping round trip (p50)."""
    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"

    async def run() -> tuple[float, float]:
        async with Organiser(url, origin, cookie, deflate) as organiser:
            return await baseline(organiser, events)

    return asyncio.run(run())


async def baseline(organiser: Organiser, events: int) -> tuple[float, float]:
    rtts = []
    for _ in range(20):  # spaced: a connection may send 10 frames a second
        rtts.append(await organiser.ping())
        await asyncio.sleep(0.12)
    latencies = []
    for index in range(events):
        number, sent = await organiser.post(index)
        deadline = time.monotonic() + 10
        while number not in organiser.receipts and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        if number in organiser.receipts:
            latencies.append(organiser.receipts[number] - sent)
        await asyncio.sleep(POST_INTERVAL_S)
    return statistics.median(latencies) if latencies else 0.0, statistics.median(rtts)


def measure_crowd(
    setup: Setup, port: int, server: subprocess.Popen[bytes], cookie: str, *, clients: int,
    events: int, processes: int, deflate: bool, base: tuple[float, float],
) -> Result:  # fmt: skip
    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    context = multiprocessing.get_context("spawn")
    shares = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    pipes: list[Connection] = []
    children = []
    started = time.monotonic()
    for share in shares:
        mine, theirs = context.Pipe()
        child = context.Process(
            target=crowd_process,
            args=(theirs, url, origin, share, deflate, str(FACTS.get("topic", TOPIC))),
            daemon=True,
        )
        child.start()
        pipes.append(mine)
        children.append(child)
    try:
        connected, errors = 0, []
        for pipe in pipes:
            if not pipe.poll(180):
                raise BenchError("the client processes did not connect within 3 minutes")
            _kind, ready, sample, failures = pipe.recv()
            connected += ready
            errors += sample
            if failures:
                errors.append(f"{failures} connections failed in one client process")
        connect_seconds = time.monotonic() - started
        print(f"    {connected}/{clients} connected and subscribed in {connect_seconds:.1f} s")
        result = asyncio.run(
            _publish(setup, port, server, cookie, pipes, clients, connected, connect_seconds,
                     events, errors, deflate, base)
        )  # fmt: skip
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    return result


async def _publish(
    setup: Setup, port: int, server: subprocess.Popen[bytes], cookie: str,
    pipes: list[Connection], clients: int, connected: int, connect_seconds: float, events: int,
    errors: list[str], deflate: bool, base: tuple[float, float],
) -> Result:  # fmt: skip
    base_p50, rtt = base
    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    async with Organiser(url, origin, cookie, deflate) as organiser:
        for pipe in pipes:
            pipe.send("start")
        cpu_before, wall_before = process_tree_cpu(server.pid), time.monotonic()
        sent: dict[Any, float] = {}
        for index in range(events):
            number, when = await organiser.post(index)
            sent[number] = when
            await asyncio.sleep(POST_INTERVAL_S)
        await asyncio.sleep(3.0)  # stragglers
        cpu_used = process_tree_cpu(server.pid) - cpu_before
        server_cpu = cpu_used / (time.monotonic() - wall_before)
        posted_at = dict(organiser.posted_at)
    latencies: list[float] = []
    last: list[float] = []
    first_stamp: list[float] = []
    client_cpu: list[float] = []
    received: dict[Any, list[float]] = {number: [] for number in sent}
    for pipe in pipes:
        pipe.send("report")
        _kind, receipts, cpu, wall = pipe.recv()
        client_cpu.append(cpu / wall if wall else 0.0)
        for number, times in receipts.items():
            if number in received:
                received[number].extend(times)
    missing = 0
    for number, times in received.items():
        missing += connected - len(times)
        if not times:
            continue
        latencies.extend(t - sent[number] for t in times)
        last.append(max(times) - sent[number])
        ordered = sorted(t - sent[number] for t in times)
        print(
            f"      event {number}: p50 {ms(percentile(ordered, 0.5))} ms, p95 "
            f"{ms(percentile(ordered, 0.95))} ms, last {ms(ordered[-1])} ms"
        )
        if number in posted_at:
            first_stamp.append(min(times) - posted_at[number])
    return Result(
        setup=setup, clients=clients, connected=connected, connect_seconds=connect_seconds,
        events=events, latencies=latencies, last=last, first_stamp=first_stamp, missing=missing,
        server_cpu=server_cpu, client_cpu=client_cpu, baseline_p50=base_p50, ping_rtt_p50=rtt,
        server_cpu_per_event=cpu_used / events if events else 0.0,
        errors=errors,
    )  # fmt: skip


# --- set-up -----------------------------------------------------------------------------------


def database_url() -> str:
    """The benchmark's own database: madang_bench_live on MADANG_DATABASE_URL's server."""
    configured = os.environ.get("MADANG_DATABASE_URL", "")
    if not configured.startswith("postgres"):
        return ""
    parts = urlsplit(configured)
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return urlunsplit(parts._replace(path=f"/{PG_DATABASE}"))


def prepare_database(environment: dict[str, str]) -> str:
    """Migrate, make the edition, its organiser and the trigger's needs; the organiser's cookie."""
    setup_django(environment)
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client
    from i18nfield.strings import LazyI18nString

    from madang.accounts.models import EditionRole, User
    from madang.program.models import Event

    call_command("migrate", interactive=False, verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    event = Event.objects.create(
        slug=SLUG, name=LazyI18nString({"ko": "라이브 벤치", "en": "Live bench"}),
        is_published=True,
        starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 12), time_zone="Asia/Seoul",
    )  # fmt: skip
    user, _ = User.objects.get_or_create(username="bench-organiser")
    EditionRole.objects.get_or_create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    FACTS.clear()
    FACTS.update(prepare(event, user))
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    connections.close_all()
    return cookie


def redis_reachable() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.flushdb()
        return True
    except Exception:  # no Redis: that configuration is left out
        return False


# --- the report -------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def report(results: list[Result], notes: list[str], deflate: bool, server_deflate: bool) -> str:
    lines = [
        f"# Live fan-out benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at the end {load_average()}",
        "- server: uvicorn serving madang.config.asgi as `make serve` does, DEBUG off; clients "
        "on 127.0.0.1 in separate processes (Python `websockets`"
        + (", offering permessage-deflate like browsers)" if deflate else ", no compression)")
        + "; the server's permessage-deflate "
        + ("on" if server_deflate else "off, as in the Makefile"),
        f"- trigger: {TRIGGER} (topic `{FACTS.get('topic', TOPIC)}`); latency: from the "
        "organiser's command frame leaving its client to each viewer's receipt of the event "
        "(one clock: the same machine)",
        "- last: per event, until the last viewer had it; baseline: the same path with "
        "one subscriber and no crowd, same server, same run",
        "",
        "| set-up | clients | connected | connect s | events | p50 ms | p95 ms | p99 ms "
        "| last p95 ms | baseline p50 ms | last p95 / baseline | server→first p50 ms "
        "| missing | server CPU | server CPU ms/event | client CPU | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = percentile(r.last, 0.95) / r.baseline_p50 if r.baseline_p50 else 0.0
        lines.append(
            f"| {r.setup.describe()} | {r.clients} | {r.connected} | {r.connect_seconds:.1f} "
            f"| {r.events} | {ms(percentile(r.latencies, 0.5))} "
            f"| {ms(percentile(r.latencies, 0.95))} | {ms(percentile(r.latencies, 0.99))} "
            f"| {ms(percentile(r.last, 0.95))} | {r.baseline_p50 * 1000:.1f} | {ratio:.0f}x "
            f"| {ms(percentile(r.first_stamp, 0.5))} | {r.missing} | {r.server_cpu:.0%} "
            f"| {ms(r.server_cpu_per_event)} "
            f"| {' + '.join(f'{c:.0%}' for c in r.client_cpu)} "
            f"| {'pass' if r.held else 'MISS'} |"
        )
    lines += [
        "",
        f"Goal: last viewer p95 < {GOAL_LAST_P95_S:.0f} s, every client connected, nothing "
        "missing. CPU: share of one core during the publishing phase (server: every process "
        "of the set-up; clients: each client process); CPU ms/event: the server's CPU time "
        "during that phase divided by the events, which a busy machine distorts less than "
        "latency. Ping round trip p50 with no load and "
        "the crowd's errors, if any:",
        "",
    ]
    for r in results:
        lines.append(
            f"- {r.setup.describe()}, {r.clients} clients: ping {r.ping_rtt_p50 * 1000:.2f} ms"
            + (f"; errors: {r.errors}" if r.errors else "")
        )
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


# --- the HTTP comparison (--http) -------------------------------------------------------------


def http_comparison(data_dir: Path, seconds: int) -> str:
    """The program page under `make demo`'s one uvicorn process, then 3 gunicorn sync workers."""
    from bench.http_bench import Target, prepare_site, run_wrk

    environment = server_environment(data_dir)
    environment.pop("MADANG_REDIS_URL", None)
    targets, facts = prepare_site(environment)
    program = next(t for t in targets if t.name == "program")
    hello = Target("hello", "/bench-hello/")
    rows = []
    for name in ("uvicorn, 1 process (make demo)", "gunicorn sync, 3 workers"):
        with contextlib.ExitStack() as stack:
            if name.startswith("uvicorn"):
                port, _server = stack.enter_context(
                    uvicorn_server(environment, data_dir, workers=1)
                )
            else:
                port = stack.enter_context(
                    gunicorn(environment, data_dir, worker_class="sync", workers=3, threads=1)
                )
            for target in (hello, program):
                run_wrk(port, target, 2)
            h1 = run_wrk(port, hello, seconds)
            p = run_wrk(port, program, seconds)
            h2 = run_wrk(port, hello, seconds)
            around = (h1.requests_per_second + h2.requests_per_second) / 2
            rows.append((name, around, p))
            print(
                f"  {name}: hello {around:.0f} req/s, program {p.requests_per_second:.0f} req/s, "
                f"p50 {p.p50_ms:.0f} ms, p99 {p.p99_ms:.0f} ms"
            )
    lines = [
        f"# Program page: one uvicorn process vs gunicorn, "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"{facts['edition']}; database {facts['database']}, cache {facts['cache']}; wrk 2 threads, "
        f"64 connections, {seconds} s runs; load average {load_average()}",
        "",
        "| server | hello req/s | program req/s | ratio to hello | p50 ms | p99 ms "
        "| non-2xx + socket errors (timeouts > 2 s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, around, p in rows:
        lines.append(
            f"| {name} | {around:.0f} | {p.requests_per_second:.0f} "
            f"| {p.requests_per_second / around if around else 0:.2f} | {p.p50_ms:.0f} "
            f"| {p.p99_ms:.0f} "
            f"| {p.non_2xx + p.socket_errors} |"
        )
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 clients, 8 announcements")
    parser.add_argument("--clients", type=int, nargs="+", help="crowd sizes (default 1000 5000)")
    parser.add_argument("--events", type=int, help="events (polls opened) per crowd (default 20)")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--setup", choices=["memory", "redis", "both"], default="both")
    parser.add_argument(
        "--no-deflate", action="store_true", help="clients offer no permessage-deflate"
    )
    parser.add_argument(
        "--server-deflate", action="store_true", help="permessage-deflate on in the server"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile a one-process server")
    parser.add_argument("--http", action="store_true", help="compare page serving instead")
    parser.add_argument("--seconds", type=int, default=10, help="wrk run length for --http")
    parser.add_argument(
        "--budget", type=float, default=TIME_BUDGET_S, help="seconds before crowds are left out"
    )
    args = parser.parse_args(argv)
    sizes = args.clients or ([1000] if args.quick else [1000, 5000])
    events = args.events or (8 if args.quick else 20)
    deflate = not args.no_deflate
    PROFILE["path"] = str(Path(args.profile).resolve()) if args.profile else ""

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    clock = Clock(args.budget)
    limit = raise_file_limit(max(sizes) + 1000)
    if limit < max(sizes) // max(1, args.processes) + 200:
        print(f"The open-file limit is {limit}; raise it (ulimit -n) for {max(sizes)} clients.")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="madang-live-bench-"))
    try:
        if args.http:
            print("Comparing page serving (wrk) ...")
            text = http_comparison(data_dir, args.seconds)
            target = RESULTS.with_name("live_http.md")
            target.parent.mkdir(exist_ok=True)
            target.write_text(text)
            print(f"\n{text}\nWritten to {target.relative_to(REPO)}")
            return 0
        environment = server_environment(data_dir)
        environment.pop("MADANG_REDIS_URL", None)
        environment["MADANG_LIVE_MAX_CONNECTIONS_PER_ADDRESS"] = str(max(sizes) * 2)
        pg = database_url()
        if pg:
            environment["MADANG_DATABASE_URL"] = pg
        else:
            environment.pop("MADANG_DATABASE_URL", None)
        print(f"Preparing {'PostgreSQL ' + PG_DATABASE if pg else 'SQLite'} in {data_dir} ...")
        cookie = prepare_database(environment)
        setups = []
        if args.setup in ("memory", "both"):
            setups.append(Setup("memory", 1, False))
        notes = [f"database: {'PostgreSQL' if pg else 'SQLite'}; open-file limit {limit}"]
        if args.setup in ("redis", "both"):
            if redis_reachable():
                setups.append(Setup("redis", 2, True))
            else:
                notes.append(f"Redis at {REDIS_URL} unreachable: its set-up was left out")
        results: list[Result] = []
        for setup in setups:
            server_env = dict(environment)
            if setup.redis:
                server_env["MADANG_REDIS_URL"] = REDIS_URL
                redis_reachable()  # flushes the benchmark's database
            print(f"{setup.describe()}:")
            with uvicorn_server(
                server_env, data_dir, workers=setup.workers, deflate=args.server_deflate
            ) as (
                port,
                server,
            ):
                base = measure_baseline(port, cookie, deflate)
                print(
                    f"  baseline: post → receipt p50 {base[0] * 1000:.1f} ms, "
                    f"ping {base[1] * 1000:.2f} ms"
                )
                for size in sizes:
                    if clock.left() < 40 + size / 100:
                        notes.append(f"{setup.describe()}, {size} clients: out of time, left out")
                        break
                    print(f"  {size} clients ...")
                    result = measure_crowd(
                        setup, port, server, cookie, clients=size, events=events,
                        processes=args.processes, deflate=deflate, base=base,
                    )  # fmt: skip
                    results.append(result)
                    print(
                        f"    last p95 {ms(percentile(result.last, 0.95))} ms, p50 "
                        f"{ms(percentile(result.latencies, 0.5))} ms, missing {result.missing}, "
                        f"server CPU {result.server_cpu:.0%} "
                        f"({ms(result.server_cpu_per_event)} ms/event), clients "
                        f"{' + '.join(f'{c:.0%}' for c in result.client_cpu)}"
                    )
                    if not result.held:
                        notes.append(
                            f"{setup.describe()}: {size} clients missed the goal; larger crowds "
                            "were not tried"
                        )
                        break
        text = report(results, notes, deflate, args.server_deflate)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text)
        print(f"\n{text}\nWritten to {RESULTS.relative_to(REPO)}")
        return 0
    except BenchError as exc:
        print(f"benchmark stopped: {exc}")
        return 1
    finally:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
