"""Check-in benchmark: 5,000 scans from 20 concurrent scanners through the real sync endpoint.

Creates its own PostgreSQL database (``madang_bench_checkin``, dropped at the end), builds an
edition with one hall, four entrances, 20 check-in staff and 2,000 badges, serves the site with
gunicorn as in production (``bench.settings``: the project plus ``/bench-hello/``), and has 20
threads, each signed in as its own staff member with a CSRF token, post one scan per request.
The mix is real: most scans are first entries, some are badges scanned at two entrances at
once, some resend an earlier nonce (a retry), a few are forged. Reports p50/p99 per scan,
throughput, 5xx, and double counts (a badge let into the hall twice, or a nonce stored twice:
both must be 0), beside a "hello" run with the same 20 threads before and after. The run
stops sending after eight minutes whatever it has done (a loaded machine), and says so.

    MADANG_REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/checkin_bench.py [--pace 2]

``MADANG_BENCH_POSTGRES`` is the server to use (default postgresql://postgres@127.0.0.1:5432),
``MADANG_BENCH_DATABASE`` the name of the database made on it (default madang_bench_checkin).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# MADANG_BENCH_DATABASE names it otherwise, so that two runs on one server do not collide.
DATABASE = os.environ.get("MADANG_BENCH_DATABASE") or "madang_bench_checkin"
SCANS = 5000
SCANNERS = 20
BADGES = 2000
WORKERS = 3  # the production set-up (Makefile `serve`, README "Production")
# Share of requests that resend an earlier nonce, scan a badge another scanner just scanned,
# or carry a forged code.
RESEND_SHARE = 0.08
CONTENDED_SHARE = 0.15
FORGED_SHARE = 0.03
TIME_BUDGET_SECONDS = 480.0
# Kept back from the scans for the closing hello run.
CLOSING_RUN_SECONDS = 60.0
GOAL_P99_MS = 100.0


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


# --- database and site ------------------------------------------------------------------------


def admin_connection() -> Any:
    import psycopg

    base = os.environ.get("MADANG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    return psycopg.connect(f"{base}/postgres", autocommit=True), base


def create_database() -> str:
    connection, base = admin_connection()
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{base}/{DATABASE}"


def drop_database() -> None:
    connection, _base = admin_connection()
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def server_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": os.pathsep.join(
                [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "MADANG_DATA_DIR": str(data_dir),
            "MADANG_DATABASE_URL": database_url,
            "MADANG_DEBUG": "0",
            "MADANG_SECRET_KEY": environment.get("MADANG_SECRET_KEY") or secrets.token_urlsafe(40),
            "MADANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MADANG_LOG_LEVEL": "WARNING",
        }
    )
    return environment


@dataclass
class Prepared:
    slug: str
    entrances: list[int]
    codes: list[str]
    sessions: list[str]
    hall_id: int


def prepare(environment: dict[str, str]) -> Prepared:
    """Migrate and build the edition in this process, then close its connections."""
    os.environ.update(environment)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connections
    from i18nfield.strings import LazyI18nString

    from madang.accounts.models import EditionRole, User
    from madang.checkin import badges
    from madang.checkin.models import Badge, Direction, Entrance
    from madang.program.models import Event, Room
    from madang.registration.enums import RegistrationStatus
    from madang.registration.models import Category, Registration

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    event = Event.objects.create(
        slug="checkin-bench",
        name=LazyI18nString({"ko": "체크인 벤치", "en": "Check-in bench"}),
        time_zone="Asia/Seoul",
        starts_on="2030-10-10",
        ends_on="2030-10-12",
        is_published=True,
    )
    hall = Room.objects.create(event=event, name=LazyI18nString({"ko": "A홀", "en": "Hall A"}))
    entrances = [
        Entrance.objects.create(
            event=event,
            name=LazyI18nString({"ko": f"{n}문", "en": f"Door {n}"}),
            room=hall,
            direction=Direction.IN,
        ).pk
        for n in range(1, 5)
    ]
    category = Category.objects.create(
        event=event, slug="citizens", name=LazyI18nString({"ko": "시민", "en": "Citizens"})
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            event=event,
            category=category,
            name=f"참가자 {n}",
            email=f"bench{n}@example.org",
            status=RegistrationStatus.CONFIRMED,
            client_token=secrets.token_urlsafe(16),
        )
        for n in range(BADGES)
    )
    created = Badge.objects.bulk_create(
        Badge(event=event, registration=registration) for registration in registrations
    )
    codes = [badges.badge_code(badge) for badge in created]
    sessions = []
    for n in range(SCANNERS):
        user = User.objects.create_user(username=f"scanner{n}", email=f"scanner{n}@example.org")
        EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.CHECKIN_STAFF)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    connections.close_all()
    return Prepared(event.slug, entrances, codes, sessions, hall.pk)


def count_doubles(prepared: Prepared, sent_nonces: int) -> tuple[int, int, dict[str, int]]:
    """(badges let in more than once, nonces stored more than once or lost, results)."""
    from django.db import connections
    from django.db.models import Count

    from madang.checkin.models import Scan, ScanResult

    accepted = (
        Scan.objects.filter(result=ScanResult.ACCEPTED, entrance__room_id=prepared.hall_id)
        .values("badge_id")
        .annotate(times=Count("id"))
    )
    doubles = sum(row["times"] - 1 for row in accepted if row["times"] > 1)
    stored = Scan.objects.count()
    distinct = Scan.objects.values("nonce").distinct().count()
    results = dict(Scan.objects.values_list("result").annotate(n=Count("id")).order_by())
    connections.close_all()
    return doubles, (stored - distinct) + abs(distinct - sent_nonces), results


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def gunicorn(environment: dict[str, str], data_dir: Path) -> Iterator[int]:
    port = free_port()
    log = data_dir / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "madang.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--worker-class", "sync", "--workers", str(WORKERS),
        "--preload", "--error-logfile", str(log), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=environment, cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise BenchError(f"gunicorn exited with {server.returncode}: see {log}")
            try:
                if request(port, "GET", "/bench-hello/", {})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("gunicorn did not answer within 30 s")
            time.sleep(0.1)
        yield port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:  # fmt: skip
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


# --- the load ---------------------------------------------------------------------------------


def csrf_for(port: int, prepared: Prepared, session_cookie: str) -> tuple[str, str]:
    """Open the scanning page as the staff member; return its CSRF token and the cookies."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    path = f"/en/{prepared.slug}/checkin/{prepared.entrances[0]}/"
    connection.request("GET", path, headers={"Cookie": session_cookie})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    if response.status != 200:
        raise BenchError(f"the scanning page answered {response.status}")
    cookie = response.getheader("Set-Cookie") or ""
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie)
    token = re.search(r'"csrfToken": "([^"]+)"', body)
    if csrf_cookie is None or token is None:
        raise BenchError("no CSRF token on the scanning page")
    return token.group(1), f"{session_cookie}; csrftoken={csrf_cookie.group(1)}"


def plan_scans(prepared: Prepared, rng: random.Random) -> list[list[dict[str, Any]]]:
    """SCANS scans split over SCANNERS queues, with contended badges, resends and forgeries."""
    queues: list[list[dict[str, Any]]] = [[] for _ in range(SCANNERS)]
    fresh = iter(rng.sample(prepared.codes, len(prepared.codes)))
    for index in range(SCANS):
        scanner = index % SCANNERS
        queue = queues[scanner]
        roll = rng.random()
        if roll < RESEND_SHARE and queue:
            queue.append(dict(rng.choice(queue)))  # the same nonce again: a retry
            continue
        if roll < RESEND_SHARE + FORGED_SHARE:
            code = rng.choice(prepared.codes)[:-4] + "AAAA"
        elif roll < RESEND_SHARE + FORGED_SHARE + CONTENDED_SHARE:
            # A badge the neighbouring scanner scans at about the same moment.
            neighbour = queues[(scanner + 1) % SCANNERS]
            code = neighbour[-1]["code"] if neighbour else rng.choice(prepared.codes)
        else:
            code = next(fresh, None) or rng.choice(prepared.codes)
        queue.append(
            {
                "nonce": str(uuid.uuid4()),
                "entrance": rng.choice(prepared.entrances),
                "code": code,
                "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )
    return queues


def drive(
    name: str, jobs: list[list[Callable[[http.client.HTTPConnection], int]]], port: int,
    deadline: float, pace: float = 0.0,
) -> Run:  # fmt: skip
    """Run each list of jobs in its own thread on its own keep-alive connection.

    With ``pace`` (requests per second per thread) each thread sends on a fixed schedule, as a
    person scanning badges one after another would, and a request's latency counts from its
    scheduled moment, so a server falling behind shows in the figures. Without it every thread
    sends its next request as soon as the last is answered (saturation).
    """
    run = Run(name)
    lock = threading.Lock()
    start = threading.Barrier(len(jobs) + 1)

    def scanner(own: list[Callable[[http.client.HTTPConnection], int]], number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies = []
        statuses: dict[int, int] = {}
        start.wait()
        first = time.perf_counter()
        for index, job in enumerate(own):
            if time.monotonic() > deadline:
                break
            began = time.perf_counter()
            if pace:
                # Scanners at different doors do not scan in step: each keeps its own phase
                # within the second, so the arrivals spread as a queue of people's would.
                scheduled = first + (index + number / len(jobs)) / pace
                if scheduled > began:
                    time.sleep(scheduled - began)
                began = scheduled
            try:
                status = job(connection)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                status = 599
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        with lock:
            run.latencies_ms.extend(latencies)
            for status, count in statuses.items():
                run.statuses[status] = run.statuses.get(status, 0) + count

    threads = [
        threading.Thread(target=scanner, args=(own, number)) for number, own in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


def hello_jobs(port: int) -> list[list[Callable[[http.client.HTTPConnection], int]]]:
    def hello(connection: http.client.HTTPConnection) -> int:
        return request(port, "GET", "/bench-hello/", {}, connection=connection)[0]

    return [[hello] * (SCANS // SCANNERS) for _ in range(SCANNERS)]


def scan_jobs(
    port: int, prepared: Prepared, queues: list[list[dict[str, Any]]],
    credentials: list[tuple[str, str]], answers: dict[str, set[str]],
) -> list[list[Callable[[http.client.HTTPConnection], int]]]:  # fmt: skip
    path = f"/en/{prepared.slug}/checkin/sync/"
    lock = threading.Lock()

    def job(item: dict[str, Any], token: str, cookie: str) -> Callable[..., int]:
        body = json.dumps({"scans": [item]}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Cookie": cookie,
            "Referer": "http://127.0.0.1/",
        }

        def send(connection: http.client.HTTPConnection) -> int:
            status, content = request(port, "POST", path, headers, body, connection=connection)
            if status == 200:
                result = json.loads(content)["results"][0]["result"]
                with lock:
                    answers.setdefault(item["nonce"], set()).add(result)
            return status

        return send

    return [[job(item, *credentials[n]) for item in queue] for n, queue in enumerate(queues)]


def report(hellos: list[Run], scans: Run, doubles: int, nonce_errors: int,
           inconsistent: int, results: dict[str, int]) -> str:  # fmt: skip
    measured = [h for h in hellos if h.latencies_ms] or hellos
    hello_rps = statistics.mean(h.throughput for h in measured) or 1.0
    hello_p99 = statistics.mean(h.percentile(0.99) for h in measured)
    p99 = scans.percentile(0.99)
    cache = "Redis" if os.environ.get("MADANG_REDIS_URL") else "local memory"
    met = p99 < GOAL_P99_MS and doubles == 0 and nonce_errors == 0 and scans.server_errors == 0
    lines = [
        f"# Check-in benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        f"- machine: {os.cpu_count()} cores; load average "
        + " / ".join(f"{n:.1f}" for n in os.getloadavg()),
        f"- server: gunicorn sync, {WORKERS} workers, madang.config.wsgi, DEBUG off, PostgreSQL "
        f"database {DATABASE}, cache {cache}",
        f"- load: {SCANNERS} scanner threads, each its own staff session and keep-alive "
        f"connection, one scan per POST to the sync endpoint; {len(scans.latencies_ms)} scans",
        "",
        "| run | requests | req/s | p50 ms | p99 ms | 5xx | other non-200 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in [hellos[0], scans, *hellos[1:]]:
        other = sum(c for s, c in run.statuses.items() if s != 200 and s < 500)
        lines.append(
            f"| {run.name} | {len(run.latencies_ms)} | {run.throughput:.0f} "
            f"| {run.percentile(0.5):.1f} | {run.percentile(0.99):.1f} | {run.server_errors} "
            f"| {other} |"
        )
    lines += [
        "",
        f"- scan throughput ÷ mean hello throughput: {scans.throughput / hello_rps:.2f}",
        f"- scan p99 ÷ mean hello p99: {p99 / hello_p99:.2f}" if hello_p99 else "",
        f"- results stored: {results}",
        f"- double counts (a badge let in twice): {doubles}; nonces stored twice or lost: "
        f"{nonce_errors}; resent nonces answered differently: {inconsistent}",
        f"- goal: p99 < {GOAL_P99_MS:.0f} ms, 0 double counts, 0 5xx: {'pass' if met else 'MISS'}",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="scans per second per scanner (default: as fast as answers come, i.e. saturation)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    data_dir = Path(tempfile.mkdtemp(prefix="madang-checkin-bench-"))
    try:
        print(f"Creating database {DATABASE} and the edition ...")
        environment = server_environment(data_dir, create_database())
        prepared = prepare(environment)
        queues = plan_scans(prepared, random.Random(args.seed))
        sent = {item["nonce"] for queue in queues for item in queue}
        print(f"Serving with gunicorn (sync, {WORKERS} workers) ...")
        with gunicorn(environment, data_dir) as port:
            credentials = [csrf_for(port, prepared, cookie) for cookie in prepared.sessions]
            # Warm every worker: a few hellos and a few scans not counted below.
            drive(
                "warm-up",
                [[lambda c: request(port, "GET", "/bench-hello/", {}, connection=c)[0]] * 20] * 4,
                port,
                deadline,
            )
            hellos = [drive("hello", hello_jobs(port), port, deadline)]
            print(
                f"  hello: {hellos[0].throughput:.0f} req/s, p99 {hellos[0].percentile(0.99):.1f}"
            )
            answers: dict[str, set[str]] = {}
            scans = drive(
                f"scan, {args.pace:g}/s per scanner" if args.pace else "scan, saturation",
                scan_jobs(port, prepared, queues, credentials, answers),
                port,
                deadline - CLOSING_RUN_SECONDS,
                pace=args.pace,
            )
            print(f"  scan: {scans.throughput:.0f} req/s, p99 {scans.percentile(0.99):.1f} ms")
            hellos.append(drive("hello", hello_jobs(port), port, deadline))
            print(
                f"  hello: {hellos[1].throughput:.0f} req/s, p99 {hellos[1].percentile(0.99):.1f}"
            )
        if len(scans.latencies_ms) < SCANS:
            print(f"  out of time: {len(scans.latencies_ms)} of {SCANS} scans sent")
            sent = set(answers) if answers else sent
        doubles, nonce_errors, results = count_doubles(prepared, len(sent))
        inconsistent = sum(1 for seen in answers.values() if len(seen) > 1)
        text = report(hellos, scans, doubles, nonce_errors, inconsistent, results)
        destination = REPO / "bench" / "results" / "checkin.md"
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        print()
        print(text)
        return 0 if doubles == 0 and nonce_errors == 0 and scans.server_errors == 0 else 1
    except BenchError as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if not args.keep:
            drop_database()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
