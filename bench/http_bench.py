"""HTTP benchmark of the public pages under the production server set-up.

Builds a scaled synthetic edition in a temporary data directory, serves it with gunicorn exactly
as README's Production section recommends, and measures each page with wrk beside a Django
"hello" view served by the same server in the same run. Runs alternate hello, page, hello, ...
and each page is reported as a ratio to the mean of the hello runs on either side of it, which
cancels most of the noise of a shared machine. See bench/README.md.

    .venv/bin/python bench/http_bench.py               # what `make bench` runs
    .venv/bin/python bench/http_bench.py --compare     # sync vs gthread, several worker counts
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

if not __package__:  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    REPO,
    BenchError,
    Clock,
    fetch_status,
    gunicorn,
    server_environment,
    setup_django,
    stop_on_sigterm,
)

RESULTS = REPO / "bench" / "results" / "latest.md"
SERVER_RESULTS = REPO / "bench" / "results" / "servers.md"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

EDITION = {"slug": "scale", "sessions": 300, "people": 400, "rooms": 12, "days": 4, "seed": 0}
CONNECTIONS = 64
# What browsers and schedule apps send; `--identity` measures clients that accept no compression.
ACCEPT_ENCODING = {"value": "gzip, deflate, br"}
# The recommended production set-up (bench/README.md explains the measurements behind it).
DEFAULT_WORKER_CLASS = "sync"
DEFAULT_WORKERS = 3
DEFAULT_THREADS = 1
# Configurations --compare measures: (worker class, workers, threads per worker).
COMPARED_SERVERS = [
    ("sync", 2, 1),
    ("sync", 3, 1),
    ("sync", 5, 1),
    ("gthread", 2, 4),
    ("gthread", 3, 2),
]
# Goals: page name -> (least ratio to hello, largest p99 in ms or None).
GOALS: dict[str, tuple[float, float | None]] = {
    "program": (0.5, 100.0),
    "schedule.json": (0.8, None),
}
# The whole run stops starting new measurements after this many seconds.
TIME_BUDGET_SECONDS = 270.0


@dataclasses.dataclass
class Target:
    name: str
    path: str


@dataclasses.dataclass
class Measurement:
    """One wrk run."""

    name: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


@dataclasses.dataclass
class Row:
    target: Measurement
    hello_rps: float

    @property
    def ratio(self) -> float:
        return self.target.requests_per_second / self.hello_rps if self.hello_rps else 0.0


# --- wrk --------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise BenchError(f"cannot read wrk duration {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(name: str, path: str, output: str) -> Measurement:
    """Read requests/s, p50, p99 and error counts from ``wrk --latency`` output."""

    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, flags=re.MULTILINE)

    rps = find(r"^Requests/sec:\s+([\d.]+)")
    p50 = find(r"^\s+50%\s+(\S+)")
    p99 = find(r"^\s+99%\s+(\S+)")
    if rps is None or p50 is None or p99 is None:
        raise BenchError(f"unexpected wrk output:\n{output}")
    non_2xx = find(r"Non-2xx or 3xx responses:\s+(\d+)")
    errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return Measurement(
        name=name,
        path=path,
        requests_per_second=float(rps.group(1)),
        p50_ms=_duration_ms(p50.group(1)),
        p99_ms=_duration_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(port: int, target: Target, seconds: int) -> Measurement:
    url = f"http://127.0.0.1:{port}{target.path}"
    command = [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "2s"]
    if ACCEPT_ENCODING["value"]:
        command += ["-H", f"Accept-Encoding: {ACCEPT_ENCODING['value']}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise BenchError(f"wrk failed on {url}: {done.stderr.strip()}")
    return parse_wrk(target.name, target.path, done.stdout)


# --- the data and the server ------------------------------------------------------------------


def prepare_site(environment: dict[str, str]) -> tuple[list[Target], dict[str, str]]:
    """Migrate, build the scaled edition and collect static files; return the pages to measure.

    Runs in this process under the server's environment, then closes its database connections
    so the server's workers start with the database to themselves.
    """
    setup_django(environment)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.urls import NoReverseMatch, reverse
    from django.utils import translation

    from madang.program.demo_scale import build_scaled_edition
    from madang.program.enums import SessionStatus
    from madang.program.models import Session

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    event = build_scaled_edition(**EDITION)  # type: ignore[arg-type]
    built = time.monotonic() - started
    call_command("collectstatic", interactive=False, verbosity=0)
    session = (
        Session.objects.filter(event=event, status=SessionStatus.PUBLISHED)
        .order_by("starts_at", "id")
        .first()
    )
    wanted = [
        ("program", "program", {"slug": event.slug}, ""),
        ("timetable", "timetable", {"slug": event.slug}, f"?day={event.starts_on.isoformat()}"),
        (
            "session",
            "session",
            {"slug": event.slug, "session_slug": session.slug if session else ""},
            "",
        ),
        ("schedule.json", "schedule-json", {"slug": event.slug}, ""),
    ]
    targets = []
    with translation.override("en"):
        for label, url_name, kwargs, query in wanted:
            try:
                targets.append(Target(label, reverse(url_name, kwargs=kwargs) + query))
            except NoReverseMatch:
                print(f"  {label}: no URL named {url_name!r} yet, left out")
    facts = {
        "database": str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1],
        "cache": str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1],
        "edition": (
            f"{EDITION['sessions']} sessions, {EDITION['people']} people, "
            f"{EDITION['rooms']} rooms, {EDITION['days']} days (built in {built:.1f} s)"
        ),
    }
    connections.close_all()
    return targets, facts


# --- the runs ---------------------------------------------------------------------------------


def measure_interleaved(
    port: int, targets: Sequence[Target], *, seconds: int, warmup: int, clock: Clock
) -> tuple[list[Row], list[Measurement]]:
    """Warm every page up, then run hello, page 1, hello, page 2, ..., hello."""
    hello = Target("hello", "/bench-hello/")
    if fetch_status(port, hello.path) != 200:
        raise BenchError("the hello view does not answer 200")
    working = []
    for target in targets:
        status = fetch_status(port, target.path)
        if status == 200:
            working.append(target)
        else:
            print(f"  {target.name}: {target.path} answered {status}, not 200; left out")
    for target in [hello, *working]:
        run_wrk(port, target, warmup)
    hellos = [run_wrk(port, hello, seconds)]
    print(f"  hello: {hellos[-1].requests_per_second:.0f} req/s")
    rows = []
    for target in working:
        if clock.left() < 2 * seconds + 5:
            print(f"  out of time: {target.name} and later pages left out")
            break
        measured = run_wrk(port, target, seconds)
        hellos.append(run_wrk(port, hello, seconds))
        around = (hellos[-2].requests_per_second + hellos[-1].requests_per_second) / 2
        rows.append(Row(measured, around))
        print(
            f"  {target.name}: {measured.requests_per_second:.0f} req/s "
            f"({rows[-1].ratio:.2f}x hello), p99 {measured.p99_ms:.1f} ms; "
            f"hello {hellos[-1].requests_per_second:.0f} req/s"
        )
    return rows, hellos


def verdict(row: Row) -> tuple[str, str]:
    goal = GOALS.get(row.target.name)
    if goal is None:
        return "—", ""
    least_ratio, largest_p99 = goal
    text = f"≥ {least_ratio}x hello" + (f", p99 < {largest_p99:.0f} ms" if largest_p99 else "")
    met = row.ratio >= least_ratio and (largest_p99 is None or row.target.p99_ms < largest_p99)
    met = met and row.target.non_2xx == 0 and row.target.socket_errors == 0
    return text, "pass" if met else "MISS"


def markdown_report(
    rows: Sequence[Row], hellos: Sequence[Measurement], facts: dict[str, str], server: str,
    seconds: int,
) -> str:  # fmt: skip
    mean_hello = sum(h.requests_per_second for h in hellos) / len(hellos)
    # Other work on the machine shows here; a high figure makes every number below suspect.
    load_average = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    lines = [
        f"# HTTP benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average {load_average}",
        f"- server: gunicorn {server}, madang.config.wsgi, DEBUG off, on 127.0.0.1",
        f"- data: {facts['edition']}; database {facts['database']}, cache {facts['cache']}",
        f"- load: wrk, 2 threads, {CONNECTIONS} connections, {seconds} s per run after a warm-up, "
        f"Accept-Encoding: {ACCEPT_ENCODING['value'] or '(none)'}; "
        "runs alternate hello and page",
        "- ratio: page req/s ÷ mean req/s of the two hello runs beside it",
        "",
        "| page | path | req/s | hello req/s | ratio | p50 ms | p99 ms | non-2xx | socket errors "
        "| goal | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        m = row.target
        goal, result = verdict(row)
        lines.append(
            f"| {m.name} | `{m.path}` | {m.requests_per_second:.0f} | {row.hello_rps:.0f} "
            f"| {row.ratio:.2f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.non_2xx} "
            f"| {m.socket_errors} | {goal} | {result} |"
        )
    worst_p99 = max(h.p99_ms for h in hellos)
    lines.append(
        f"| hello ({len(hellos)} runs) | `/bench-hello/` | {mean_hello:.0f} | {mean_hello:.0f} "
        f"| 1.00 | {sum(h.p50_ms for h in hellos) / len(hellos):.1f} | {worst_p99:.1f} "
        f"| {sum(h.non_2xx for h in hellos)} | {sum(h.socket_errors for h in hellos)} | | |"
    )
    return "\n".join(lines) + "\n"


def compare_servers(
    environment: dict[str, str], data_dir: Path, targets: Sequence[Target], *, seconds: int,
    rounds: int, clock: Clock,
) -> str:  # fmt: skip
    """Measure hello and the first page under each compared server configuration.

    All configurations are started at once (an idle server costs no CPU) and measured in turn,
    round after round, so a burst of other work on the machine falls on every configuration
    alike. Each is reported by its median and its best run.
    """
    page = targets[0] if targets else Target("hello", "/bench-hello/")
    hello = Target("hello", "/bench-hello/")
    runs: dict[tuple[str, int, int], list[tuple[Measurement, Measurement]]] = {}
    with ExitStack() as servers:
        ports = {}
        for config in COMPARED_SERVERS:
            worker_class, workers, threads = config
            ports[config] = servers.enter_context(
                gunicorn(
                    environment, data_dir, worker_class=worker_class, workers=workers,
                    threads=threads,
                )
            )  # fmt: skip
            run_wrk(ports[config], hello, 1)
            run_wrk(ports[config], page, 2)
        for round_number in range(1, rounds + 1):
            if clock.left() < len(COMPARED_SERVERS) * (2 * seconds + 2):
                print(f"  out of time before round {round_number}")
                break
            for config, port in ports.items():
                h = run_wrk(port, hello, seconds)
                p = run_wrk(port, page, seconds)
                runs.setdefault(config, []).append((h, p))
                print(
                    f"  round {round_number}: {config[0]} {config[1]}x{config[2]}: hello "
                    f"{h.requests_per_second:.0f} req/s, page {p.requests_per_second:.0f} req/s, "
                    f"p99 {p.p99_ms:.0f} ms (load {os.getloadavg()[0]:.1f})"
                )
    lines = [
        f"# Server configurations, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"wrk, {CONNECTIONS} connections, {seconds} s per run, configurations in turn for "
        f"{len(next(iter(runs.values()), []))} rounds; page = `{page.path}`; "
        f"load average at the end {os.getloadavg()[0]:.1f}",
        "",
        "| worker class | workers | threads | hello req/s median (best) | page req/s median (best) "
        "| page p99 ms median | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (worker_class, workers, threads), measured in runs.items():
        hellos = [h.requests_per_second for h, _p in measured]
        pages = [p.requests_per_second for _h, p in measured]
        p99s = [p.p99_ms for _h, p in measured]
        errors = sum(h.non_2xx + p.non_2xx for h, p in measured)
        lines.append(
            f"| {worker_class} | {workers} | {threads} "
            f"| {statistics.median(hellos):.0f} ({max(hellos):.0f}) "
            f"| {statistics.median(pages):.0f} ({max(pages):.0f}) "
            f"| {statistics.median(p99s):.0f} | {errors} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="length of each warm-up run")
    parser.add_argument("--worker-class", default=DEFAULT_WORKER_CLASS, choices=["sync", "gthread"])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument(
        "--compare", action="store_true", help="compare server configurations instead"
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds of --compare")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument(
        "--identity",
        action="store_true",
        help="send no Accept-Encoding (by default runs send what browsers send)",
    )
    args = parser.parse_args(argv)
    if args.identity:
        ACCEPT_ENCODING["value"] = ""

    if not Path(WRK).exists():
        print("wrk is not installed. Install it with:\n\n    sudo apt-get install wrk\n")
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    clock = Clock(TIME_BUDGET_SECONDS)
    data_dir = Path(tempfile.mkdtemp(prefix="madang-bench-"))
    try:
        environment = server_environment(data_dir)
        print(f"Preparing the site in {data_dir} ...")
        targets, facts = prepare_site(environment)
        if args.compare:
            report = compare_servers(
                environment,
                data_dir,
                targets,
                seconds=args.seconds,
                rounds=args.rounds,
                clock=clock,
            )
        else:
            server = f"{args.worker_class}, {args.workers} workers" + (
                f" x {args.threads} threads" if args.worker_class == "gthread" else ""
            )
            print(f"Serving with gunicorn ({server}) ...")
            with gunicorn(
                environment,
                data_dir,
                worker_class=args.worker_class,
                workers=args.workers,
                threads=args.threads,
            ) as port:
                rows, hellos = measure_interleaved(
                    port, targets, seconds=args.seconds, warmup=args.warmup, clock=clock
                )
            report = markdown_report(rows, hellos, facts, server, args.seconds)
        destination = SERVER_RESULTS if args.compare else RESULTS
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(report, encoding="utf-8")
        print()
        print(report)
        took = time.monotonic() - clock.started
        print(f"Written to {destination.relative_to(REPO)} in {took:.0f} s")
        return 0
    except BenchError as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("benchmark interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
