"""Registration under load: 2,000 concurrent attempts for 500 places through the real endpoint.

Creates a PostgreSQL database of its own, an edition with one category of 500 places, serves it
with gunicorn as README's Production section recommends, and fires 2,000 registration POSTs
(each with its own client token and email address) with 200 in flight from an asyncio client on
raw sockets. Counts answers by status, measures throughput and latency, then checks the
database: exactly the capacity confirmed, everyone else waitlisted, no duplicates. The same
client measures the ``/bench-hello/`` view before and after, and registration is reported as a
ratio to it. See bench/README.md.

    .venv/bin/python bench/registration_bench.py
    MADANG_REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/registration_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import http.client
import math
import os
import platform
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

if not __package__:  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    HELLO_PATH,
    REPO,
    BenchError,
    Clock,
    gunicorn_process,
    load_average,
    server_environment,
    setup_django,
    stop_on_sigterm,
)

RESULTS = REPO / "bench" / "results" / "registration.md"

# PostgreSQL on this machine (user postgres, trust authentication); the benchmark's own database
# is created on it and dropped afterwards.
POSTGRES_SERVER = os.environ.get("MADANG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# MADANG_BENCH_DATABASE names it otherwise, so that two runs on one server do not collide.
DATABASE_NAME = os.environ.get("MADANG_BENCH_DATABASE") or "madang_bench_registration"

SLUG = "bench-registration"
CATEGORY_SLUG = "citizens"
LANGUAGE = "en"  # the URL prefix; registrants choose ko or en for their messages below
DEFAULT_ATTEMPTS = 2000
DEFAULT_CAPACITY = 500
DEFAULT_IN_FLIGHT = 200
DEFAULT_WORKER_CLASS = "sync"
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 1
# One answer may take this long before the client gives up on it (a timeout, not an error: the
# server may still complete the request, and the database checks then show it).
REQUEST_TIMEOUT_SECONDS = 60.0
# Goals of the issue: throughput over the whole burst and p99 latency.
GOAL_REGISTRATIONS_PER_SECOND = 200.0
GOAL_P99_MS = 1000.0
# The run stops with an error rather than go on past this many seconds, and a burst stops
# sending after BURST_SECONDS (on a very busy machine), reporting how many it sent.
TIME_BUDGET_SECONDS = 300.0
BURST_SECONDS = 120.0
HELLO_SECONDS = 45.0
# Names in several scripts, with emoji, as real registrants type them.
NAMES = [
    "Attendee {n}",
    "김민준 {n}",
    "이서연 {n} 🎉",
    "Ana María Núñez {n}",
    "박지후 😀 {n}",
    "Nguyễn Thị Hoa {n}",
    "Олег {n}",
    "山田 花子 {n}",
]


# --- the client -------------------------------------------------------------------------------


@dataclasses.dataclass
class Reply:
    """One request's fate: its status (0 when no answer came), time taken, redirect target."""

    status: int
    seconds: float
    location: str = ""
    error: str = ""


@dataclasses.dataclass
class Burst:
    """One burst of requests with a fixed number in flight."""

    name: str
    path: str
    in_flight: int
    replies: list[Reply]
    wall_seconds: float
    client_cpu_seconds: float
    planned: int

    @property
    def per_second(self) -> float:
        return len(self.replies) / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def statuses(self) -> Counter[int]:
        return Counter(reply.status for reply in self.replies)

    @property
    def server_errors(self) -> int:
        return sum(1 for reply in self.replies if reply.status >= 500)

    @property
    def timeouts(self) -> int:
        return sum(1 for reply in self.replies if reply.error == "timeout")

    @property
    def socket_errors(self) -> int:
        return sum(1 for reply in self.replies if reply.status == 0 and reply.error != "timeout")

    def percentile_ms(self, fraction: float) -> float:
        """Latency below which ``fraction`` of the requests finished (nearest rank), in ms."""
        ordered = sorted(reply.seconds for reply in self.replies)
        if not ordered:
            return 0.0
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def client_cpu_share(self) -> float:
        """The client's CPU time as a share of one core over the burst."""
        return self.client_cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0


def _read_reply(raw: bytes, started: float) -> Reply:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if match is None:
        return Reply(0, time.perf_counter() - started, error="no status line")
    location = ""
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        if name.strip().lower() == "location":
            location = value.strip()
    return Reply(int(match.group(1)), time.perf_counter() - started, location=location)


async def _exchange(port: int, request: bytes) -> Reply:
    """Send one request on a new connection and read the answer until the server closes it."""
    started = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            raw = await reader.read(-1)
        return _read_reply(raw, started)
    except TimeoutError:
        return Reply(0, time.perf_counter() - started, error="timeout")
    except OSError as error:
        return Reply(0, time.perf_counter() - started, error=type(error).__name__)
    finally:
        if writer is not None:
            writer.close()


async def _fire(
    port: int, requests: Sequence[bytes], in_flight: int, seconds: float
) -> list[Reply]:
    replies: list[Reply | None] = [None] * len(requests)
    pending: Iterator[int] = iter(range(len(requests)))
    deadline = time.perf_counter() + seconds

    async def connection_slot() -> None:
        for index in pending:  # shared by every slot: each request is sent exactly once
            if time.perf_counter() > deadline:
                return  # out of time: the rest are not sent, and the report says so
            replies[index] = await _exchange(port, requests[index])

    await asyncio.gather(*(connection_slot() for _ in range(min(in_flight, len(requests)))))
    return [reply for reply in replies if reply is not None]


def fire(
    name: str,
    path: str,
    port: int,
    requests: Sequence[bytes],
    in_flight: int,
    seconds: float = BURST_SECONDS,
) -> Burst:
    """Send every request, ``in_flight`` at a time, and time the whole burst.

    Stops sending new requests after ``seconds``; the answers to those sent are awaited.
    """
    cpu_started = time.process_time()
    started = time.perf_counter()
    replies = asyncio.run(_fire(port, requests, in_flight, seconds))
    wall = time.perf_counter() - started
    return Burst(
        name, path, in_flight, replies, wall, time.process_time() - cpu_started, len(requests)
    )


def get_request(port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "User-Agent: madang-bench\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def post_request(port: int, path: str, fields: dict[str, str], csrf_cookie: str) -> bytes:
    body = urllib.parse.urlencode(fields).encode("ascii")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "User-Agent: madang-bench\r\nAccept: text/html\r\n"
        f"Origin: http://127.0.0.1:{port}\r\n"
        f"Referer: http://127.0.0.1:{port}{path}\r\n"
        f"Cookie: csrftoken={csrf_cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


@dataclasses.dataclass
class Attempt:
    client_token: str
    email: str
    request: bytes


def csrf_pair(port: int, path: str) -> tuple[str, str]:
    """GET the form once, as a browser would: the CSRF cookie and the form's token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept": "text/html"})
        response = connection.getresponse()
        page = response.read().decode("utf-8", errors="replace")
        if response.status != 200:
            raise BenchError(f"the registration form answered {response.status}, not 200")
        cookies = response.headers.get_all("Set-Cookie") or []
    finally:
        connection.close()
    cookie = next(
        (
            match.group(1)
            for header in cookies
            if (match := re.match(r"csrftoken=([^;]+)", header)) is not None
        ),
        None,
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if cookie is None or token is None:
        raise BenchError("the registration form set no CSRF cookie or token")
    if f'value="{CATEGORY_SLUG}"' not in page:
        raise BenchError(f"the form does not offer the category {CATEGORY_SLUG!r}")
    return cookie, token.group(1)


def registration_attempts(
    port: int, path: str, count: int, cookie: str, token: str
) -> list[Attempt]:
    """Distinct submissions: each its own client token, email address and name."""
    run = secrets.token_hex(3)
    attempts = []
    for n in range(count):
        client_token = secrets.token_urlsafe(24)
        # Mixed case on purpose: the service stores addresses in lower case.
        email = f"{'Bench' if n % 5 == 0 else 'bench'}.{run}.{n}@example.org"
        fields = {
            "csrfmiddlewaretoken": token,
            "client_token": client_token,
            "category": CATEGORY_SLUG,
            "name": NAMES[n % len(NAMES)].format(n=n),
            "email": email,
            "language": "ko" if n % 2 else "en",
        }
        attempts.append(
            Attempt(client_token, email.lower(), post_request(port, path, fields, cookie))
        )
    return attempts


# --- CPU accounting from /proc ----------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may hold spaces.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _all_pids() -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / _TICKS, total / _TICKS


@dataclasses.dataclass
class CpuSnapshot:
    server: dict[int, float]
    database: dict[int, float]
    client: float
    machine_busy: float
    machine_total: float


def cpu_snapshot(server_pid: int) -> CpuSnapshot:
    """CPU time so far of the gunicorn master and workers, of the PostgreSQL backends serving
    the benchmark's database, of this client, and of the whole machine."""
    server: dict[int, float] = {}
    database: dict[int, float] = {}
    for pid in _all_pids():
        if pid == server_pid or _parent(pid) == server_pid:
            target = server
        elif DATABASE_NAME in _cmdline(pid) and _cmdline(pid).startswith("postgres"):
            target = database
        else:
            continue
        seconds = _process_cpu(pid)
        if seconds is not None:
            target[pid] = seconds
    busy, total = _machine_busy()
    return CpuSnapshot(server, database, time.process_time(), busy, total)


@dataclasses.dataclass
class CpuUse:
    """CPU seconds used between two snapshots, and the wall time between them."""

    server: float
    database: float
    client: float
    machine_busy: float
    machine_capacity: float
    wall: float

    @property
    def other(self) -> float:
        return max(0.0, self.machine_busy - self.server - self.database - self.client)


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, wall: float) -> CpuUse:
    def spent(first: dict[int, float], last: dict[int, float]) -> float:
        # A process that started in between counts from zero; one that ended is not seen.
        return sum(seconds - first.get(pid, 0.0) for pid, seconds in last.items())

    return CpuUse(
        server=spent(before.server, after.server),
        database=spent(before.database, after.database),
        client=after.client - before.client,
        machine_busy=after.machine_busy - before.machine_busy,
        machine_capacity=after.machine_total - before.machine_total,
        wall=wall,
    )


# --- the database and the site ----------------------------------------------------------------


def database_url() -> str:
    return f"{POSTGRES_SERVER.rstrip('/')}/{DATABASE_NAME}"


def recreate_database(*, drop_only: bool = False) -> None:
    """Drop the benchmark's database and, unless ``drop_only``, create it empty."""
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_SERVER.rstrip('/')}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
            if not drop_only:
                admin.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg.OperationalError as error:
        raise BenchError(
            f"this benchmark needs PostgreSQL at {POSTGRES_SERVER} (user postgres): {error}"
        ) from error


@dataclasses.dataclass
class Site:
    event_id: int
    category_id: int
    facts: dict[str, str]


def prepare_site(environment: dict[str, str], *, capacity: int) -> Site:
    """Migrate, collect static files, create the edition and its category; note what runs."""
    setup_django(environment)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from i18nfield.strings import LazyI18nString

    from madang.program.models import Event
    from madang.registration.models import Category
    from madang.registration.signals import registration_changed

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.monotonic() - started
    call_command("collectstatic", interactive=False, verbosity=0)
    first_day = dt.date.today() + dt.timedelta(days=60)
    event = Event.objects.create(
        slug=SLUG,
        name=LazyI18nString({"ko": "등록 성능 시험", "en": "Registration benchmark"}),
        starts_on=first_day,
        ends_on=first_day + dt.timedelta(days=2),
        is_published=True,
    )
    category = Category.objects.create(
        event=event,
        slug=CATEGORY_SLUG,
        name=LazyI18nString({"ko": "시민", "en": "Citizens"}),
        capacity=capacity,
        opens_at=None,
        closes_at=None,
        needs_approval=False,
    )
    receivers = _receiver_names(registration_changed.receivers)
    facts = {
        "database": f"PostgreSQL {connections['default'].pg_version // 10000}"
        if hasattr(connections["default"], "pg_version")
        else str(settings.DATABASES["default"]["ENGINE"]),
        "conn_max_age": str(settings.DATABASES["default"].get("CONN_MAX_AGE")),
        "pool": "on" if settings.DATABASES["default"].get("OPTIONS", {}).get("pool") else "off",
        "cache": str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1],
        "email": str(settings.EMAIL_BACKEND).rsplit(".", 2)[-2],
        "celery": (
            "eager (in the request)"
            if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", None)
            else "queued to the broker (no worker runs in the benchmark)"
            if hasattr(settings, "CELERY_TASK_ALWAYS_EAGER")
            else "not configured"
        ),
        "receivers": ", ".join(receivers) or "none",
        "migrated": f"{migrated:.1f} s",
    }
    site = Site(event.pk, category.pk, facts)
    connections.close_all()
    return site


def _receiver_names(entries: Sequence[tuple[object, ...]]) -> list[str]:
    """Names of the functions connected to a signal (Django keeps weak or strong references)."""
    names = set()
    for entry in entries:
        reference = entry[1]
        target = reference() if isinstance(reference, weakref.ref) else reference
        if target is not None:
            names.add(
                f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}"
            )
    return sorted(names)


@dataclasses.dataclass
class Check:
    what: str
    expected: str
    found: str
    passed: bool


def check_database(
    site: Site, burst: Burst, attempts: Sequence[Attempt], capacity: int
) -> list[Check]:
    """What the database holds after the burst, against what the answers said."""
    from django.db import connections
    from django.db.models import Count, Max, Min
    from django.db.models.functions import Lower

    from madang.registration.enums import RegistrationStatus
    from madang.registration.models import Registration

    connections.close_all()  # the server may have run for a while: start a fresh connection
    rows = Registration.objects.filter(event_id=site.event_id)
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    total = rows.count()
    confirmed = by_status.get(RegistrationStatus.CONFIRMED, 0)
    waitlisted = by_status.get(RegistrationStatus.WAITLISTED, 0)
    registered = burst.statuses.get(302, 0)
    references = [
        match.group(1)
        for reply in burst.replies
        if reply.status == 302 and (match := re.search(r"/register/done/([^/]+)/", reply.location))
    ]
    stored_references = set(rows.values_list("reference", flat=True))
    emails = rows.annotate(lower_email=Lower("email")).values("lower_email").distinct().count()
    tokens = rows.values("client_token").distinct().count()
    sent_emails = {attempt.email for attempt in attempts}
    stored_emails = set(rows.annotate(e=Lower("email")).values_list("e", flat=True))
    order = rows.values("status").annotate(first=Min("created_at"), last=Max("created_at"))
    spans = {row["status"]: (row["first"], row["last"]) for row in order}
    confirmed_span = spans.get(RegistrationStatus.CONFIRMED)
    waitlisted_span = spans.get(RegistrationStatus.WAITLISTED)
    first_come = (
        confirmed_span is None or waitlisted_span is None or confirmed_span[1] <= waitlisted_span[0]
    )
    sent = len(burst.replies)  # fewer than the attempts prepared if the burst ran out of time
    # Every valid attempt the server received is stored; one the client gave up on may be too.
    expected_confirmed = min(capacity, total)
    checks = [
        Check(
            "confirmed", str(expected_confirmed), str(confirmed), confirmed == expected_confirmed
        ),
        Check(
            "waitlisted",
            str(total - expected_confirmed),
            str(waitlisted),
            waitlisted == total - expected_confirmed,
        ),
        Check(
            "other statuses",
            "0",
            str(total - confirmed - waitlisted),
            total == confirmed + waitlisted,
        ),
        Check(
            "rows: every 302, at most every request sent",
            f"{registered} to {sent}" if sent > registered else str(registered),
            str(total),
            registered <= total <= sent,
        ),
        Check(
            "every redirect names a stored registration, once",
            str(registered),
            str(len(set(references) & stored_references)),
            len(references) == len(set(references)) == registered
            and set(references) <= stored_references,
        ),
        Check("distinct email addresses", str(total), str(emails), emails == total),
        Check("distinct client tokens", str(total), str(tokens), tokens == total),
        Check(
            "stored addresses are the ones sent",
            "all",
            "all" if stored_emails <= sent_emails else "unknown ones",
            stored_emails <= sent_emails,
        ),
        Check(
            "first come, first served (every confirmation before every waitlisting)",
            "yes",
            "yes" if first_come else "no",
            first_come,
        ),
    ]
    connections.close_all()
    return checks


def check_result_pages(port: int, burst: Burst, sample: int = 6) -> Check:
    """Open a few of the result pages the redirects point to, first and last of the burst."""
    locations = [reply.location for reply in burst.replies if reply.status == 302]
    picked = locations[: sample // 2] + locations[-(sample // 2) :] if locations else []
    answers = []
    for location in picked:
        path = urllib.parse.urlsplit(location).path
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers={"Accept": "text/html"})
            response = connection.getresponse()
            response.read()
            answers.append(response.status)
        finally:
            connection.close()
    return Check(
        f"result pages opened ({len(picked)} of the redirects)",
        "all 200",
        ", ".join(str(a) for a in answers) or "none",
        bool(answers) and all(a == 200 for a in answers),
    )


# --- the report -------------------------------------------------------------------------------


def burst_row(burst: Burst) -> str:
    sent = str(len(burst.replies))
    if len(burst.replies) < burst.planned:
        sent += f" of {burst.planned} (time limit)"
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(burst.statuses.items()))
    return (
        f"| {burst.name} | `{burst.path}` | {sent} | {burst.in_flight} "
        f"| {burst.per_second:.0f} | {burst.percentile_ms(0.50):.0f} "
        f"| {burst.percentile_ms(0.95):.0f} | {burst.percentile_ms(0.99):.0f} "
        f"| {burst.percentile_ms(1.0):.0f} | {statuses} | {burst.server_errors} "
        f"| {burst.timeouts} | {burst.socket_errors} | {burst.client_cpu_share:.0%} |"
    )


def markdown_report(
    *,
    hellos: Sequence[Burst],
    registration: Burst,
    checks: Sequence[Check],
    cpu: CpuUse,
    site: Site,
    server: str,
    rate_limit: str,
    load: str,
) -> str:
    hello_rate = sum(h.per_second for h in hellos) / len(hellos)
    ratio = registration.per_second / hello_rate if hello_rate else 0.0
    p99 = registration.percentile_ms(0.99)
    facts = site.facts
    goals = [
        (
            f"registrations/s ≥ {GOAL_REGISTRATIONS_PER_SECOND:.0f}",
            f"{registration.per_second:.0f}",
            registration.per_second >= GOAL_REGISTRATIONS_PER_SECOND,
        ),
        (f"p99 < {GOAL_P99_MS:.0f} ms", f"{p99:.0f} ms", p99 < GOAL_P99_MS),
        ("5xx = 0", str(registration.server_errors), registration.server_errors == 0),
        (
            f"no timeouts ({REQUEST_TIMEOUT_SECONDS:.0f} s) or socket errors",
            str(registration.timeouts + registration.socket_errors),
            registration.timeouts + registration.socket_errors == 0,
        ),
    ]
    cores = cpu.machine_capacity / cpu.wall if cpu.wall else float(os.cpu_count() or 1)
    lines = [
        f"# Registration benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at the end {load}",
        f"- server: gunicorn {server}, madang.config.wsgi, DEBUG off, on 127.0.0.1",
        f"- database: {facts['database']} on 127.0.0.1 (database `{DATABASE_NAME}`), "
        f"CONN_MAX_AGE {facts['conn_max_age']}, pool {facts['pool']}; "
        f"cache {facts['cache']}",
        f"- per registration the tree also runs: registration_changed receivers "
        f"{facts['receivers']}; email backend {facts['email']}; Celery {facts['celery']}",
        f"- {rate_limit}",
        f"- client: asyncio on raw sockets in one process, a new connection per request "
        f"(sync workers close each one), {registration.in_flight} in flight, "
        f"{len(registration.replies)} POSTs with distinct client tokens, emails and names "
        "(Korean, emoji, other scripts), one CSRF cookie and token from one GET of the form",
        "- latency: from opening the connection to the server closing it, so time waiting in "
        "the listen queue counts; answer 0 = no answer (timeout or socket error)",
        f"- each burst stops sending after {BURST_SECONDS:.0f} s; a burst cut short says so "
        "and the database checks expect what was sent",
        "",
        "| run | path | requests | in flight | req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| answers | 5xx | timeouts | socket errors | client CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        burst_row(hellos[0]),
        burst_row(registration),
        *(burst_row(h) for h in hellos[1:]),
        "",
        f"**Registrations: {registration.per_second:.0f}/s, "
        f"{ratio:.2f}x hello** (mean hello {hello_rate:.0f} req/s over {len(hellos)} runs with the "
        "same client and concurrency); p50 "
        f"{registration.percentile_ms(0.5):.0f} ms, p99 {p99:.0f} ms.",
        "",
        "| goal | measured | result |",
        "|---|---:|---|",
        *(f"| {goal} | {found} | {'pass' if met else 'MISS'} |" for goal, found, met in goals),
        "",
        "| database check | expected | found | result |",
        "|---|---:|---:|---|",
        *(
            f"| {c.what} | {c.expected} | {c.found} | {'pass' if c.passed else 'FAIL'} |"
            for c in checks
        ),
        "",
        f"CPU during the registration burst ({cpu.wall:.1f} s, {cores:.0f} cores = "
        f"{cpu.machine_capacity:.1f} CPU-s):",
        "",
        "| where | CPU-s | share of the machine |",
        "|---|---:|---:|",
        *(
            f"| {label} | {seconds:.1f} | {seconds / cpu.machine_capacity:.0%} |"
            for label, seconds in [
                ("gunicorn (master and workers)", cpu.server),
                (f"PostgreSQL backends of `{DATABASE_NAME}`", cpu.database),
                ("benchmark client", cpu.client),
                ("everything else on the machine", cpu.other),
                ("idle", max(0.0, cpu.machine_capacity - cpu.machine_busy)),
            ]
            if cpu.machine_capacity
        ),
    ]
    return "\n".join(lines) + "\n"


# --- the run ----------------------------------------------------------------------------------


def summary(burst: Burst) -> str:
    return f"{burst.per_second:.0f} req/s, p99 {burst.percentile_ms(0.99):.0f} ms"


def hello_requests(port: int, count: int) -> list[bytes]:
    return [get_request(port, HELLO_PATH)] * count


def warm_up(port: int, form_path: str, workers: int) -> None:
    """A few requests per worker so every worker has its database connection and templates."""
    fire("warm-up", HELLO_PATH, port, hello_requests(port, 20 * workers), 4 * workers)
    form = fire("warm-up", form_path, port, [get_request(port, form_path)] * 10 * workers, workers)
    if form.statuses != Counter({200: len(form.replies)}):
        raise BenchError(f"the registration form answered {dict(form.statuses)} while warming up")


def run(args: argparse.Namespace, clock: Clock, data_dir: Path) -> tuple[str, bool]:
    rate_limit = args.attempts * 10
    environment = server_environment(data_dir)
    environment.update(
        {
            "MADANG_DATABASE_URL": database_url(),
            # Every attempt comes from 127.0.0.1; the production limit (10 per 10 minutes per
            # address) would turn all but the first ten into 429s.
            "MADANG_REGISTRATION_RATE_LIMIT": str(rate_limit),
            "MADANG_REGISTRATION_RATE_WINDOW": "600",
        }
    )
    # The console backend would print every message to this terminal; keep them in memory.
    environment.setdefault("MADANG_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    rate_note = (
        f"rate limit raised for the benchmark: MADANG_REGISTRATION_RATE_LIMIT={rate_limit} "
        "per 600 s (production default 10), because every attempt comes from 127.0.0.1"
    )
    print(f"Preparing the site in {data_dir} ...")
    site = prepare_site(environment, capacity=args.capacity)
    print(f"  {rate_note}")
    print(f"  per registration the tree also runs: {site.facts['receivers']}")
    server = f"{args.worker_class}, {args.workers} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    form_path = f"/{LANGUAGE}/{SLUG}/register/"
    print(f"Serving with gunicorn ({server}) ...")
    with gunicorn_process(
        environment,
        data_dir,
        worker_class=args.worker_class,
        workers=args.workers,
        threads=args.threads,
    ) as (port, process):
        warm_up(port, form_path, args.workers)
        cookie, token = csrf_pair(port, form_path)
        attempts = registration_attempts(port, form_path, args.attempts, cookie, token)
        hellos = [
            fire(
                "hello",
                HELLO_PATH,
                port,
                hello_requests(port, args.attempts),
                args.in_flight,
                seconds=HELLO_SECONDS,
            )
        ]
        print(f"  hello: {summary(hellos[-1])}")
        if clock.left() < 60:
            raise BenchError("out of time before the registration burst")
        before = cpu_snapshot(process.pid)
        registration = fire(
            "registration", form_path, port, [a.request for a in attempts], args.in_flight
        )
        cpu = cpu_use(before, cpu_snapshot(process.pid), registration.wall_seconds)
        print(
            f"  registration: {registration.per_second:.0f}/s, p99 "
            f"{registration.percentile_ms(0.99):.0f} ms, answers {dict(registration.statuses)}"
        )
        hellos.append(
            fire(
                "hello",
                HELLO_PATH,
                port,
                hello_requests(port, args.attempts),
                args.in_flight,
                seconds=HELLO_SECONDS,
            )
        )
        print(f"  hello: {summary(hellos[-1])}")
        result_pages = check_result_pages(port, registration)
        load = load_average()
    checks = [*check_database(site, registration, attempts, args.capacity), result_pages]
    report = markdown_report(
        hellos=hellos,
        registration=registration,
        checks=checks,
        cpu=cpu,
        site=site,
        server=server,
        rate_limit=rate_note,
        load=load,
    )
    sound = all(c.passed for c in checks) and registration.server_errors == 0
    return report, sound


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--attempts", type=int, default=DEFAULT_ATTEMPTS)
    parser.add_argument("--capacity", type=int, default=DEFAULT_CAPACITY)
    parser.add_argument("--in-flight", type=int, default=DEFAULT_IN_FLIGHT)
    parser.add_argument("--worker-class", default=DEFAULT_WORKER_CLASS, choices=["sync", "gthread"])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the temporary data directory"
    )
    args = parser.parse_args(argv)
    if args.attempts < 1 or args.capacity < 1 or args.in_flight < 1:
        parser.error("--attempts, --capacity and --in-flight must be positive")

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    clock = Clock(TIME_BUDGET_SECONDS)
    data_dir = Path(tempfile.mkdtemp(prefix="madang-bench-registration-"))
    created_database = False
    try:
        print(f"Creating the database {DATABASE_NAME} on {POSTGRES_SERVER} ...")
        recreate_database()
        created_database = True
        report, sound = run(args, clock, data_dir)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report, encoding="utf-8")
        print()
        print(report)
        took = time.monotonic() - clock.started
        print(f"Written to {RESULTS.relative_to(REPO)} in {took:.0f} s")
        if not sound:
            print("The database checks or the 5xx count FAILED; see above.", file=sys.stderr)
        return 0 if sound else 1
    except BenchError as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("benchmark interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if created_database:
                _drop_quietly()


def _drop_quietly() -> None:
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()
    try:
        recreate_database(drop_only=True)
    except BenchError as error:
        print(f"could not drop {DATABASE_NAME}: {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
