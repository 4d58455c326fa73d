"""Virtual venue benchmark: N avatars walking at 5 moves a second in one instance.

Serves the project with uvicorn as the Makefile does (one process, in-memory layer), opens N
websocket clients on loopback in a few client processes, has each enter the plaza space (one
instance: its capacity is above N), go to a zone and walk back and forth, sending its position
five times a second. Every 25th avatar is a probe: its sends are timed, and every client that
receives a probe's position records when, so the delivery latency (send → receipt, across the
server's tick) is measured over every viewer of every probe. A baseline with 50 avatars runs on
the same server in the same run. See bench/README.md ("Virtual venue").

    .venv/bin/python bench/venue_bench.py                  # 1,000 avatars, then the baseline
    .venv/bin/python bench/venue_bench.py --avatars 300 --seconds 8
    .venv/bin/python bench/venue_bench.py --redis          # also two workers sharing Redis
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    REPO,
    BenchError,
    Clock,
    load_average,
    server_environment,
    setup_django,
    stop_on_sigterm,
)
from bench.live_bench import (
    PROFILE,
    percentile,
    process_tree_cpu,
    raise_file_limit,
    uvicorn_server,
)

RESULTS = REPO / "bench" / "results" / "venue.md"
SLUG = "bench-venue"
PROBE_EVERY = 25
MOVE_INTERVAL_S = 0.2  # 5 moves a second, the client's limit
CONNECT_CONCURRENCY = 100
GOAL_P95_S = 0.2
TIME_BUDGET_S = 110.0
# The benchmark's own Redis database (flushed); two uvicorn workers share it with --redis.
REDIS_URL = "redis://127.0.0.1:6379/13"
ZONES = ["stage", "audience", "booth-mobility", "booth-energy", "lounge"]
# Every so many tick frames a client process also parses one in full and compares.
CHECK_EVERY = 50
NO_PROBE = re.compile(r"(?!)")


async def _avatars(
    pipe: Connection, url: str, origin: str, space: int, first: int, count: int, seconds: float
) -> None:  # pragma: no cover - runs in a child process
    from bench.ws_client import Connection as Socket
    from bench.ws_client import connect

    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    probes: dict[str, int] = {}  # avatar id -> index, for the probes of this process
    sends: list[tuple[str, int, int, float]] = []
    receipts: list[tuple[str, int, int, float]] = []
    failures: list[str] = []
    sockets: list[Socket] = []
    joined = 0
    all_joined = asyncio.Event()
    start = asyncio.Event()
    stop_at = [0.0]
    rng = random.Random(first)
    # Every probe's position as the server writes it; set once the probes are known.
    probe_moves = [NO_PROBE]
    frames = [0, 0, 0]  # tick frames read, cross-checked with a full parse, mismatched
    mismatch: list[str] = []

    def done_joining() -> None:
        if joined + len(failures) == count:
            all_joined.set()

    async def reply(ws: Socket) -> dict[str, Any]:
        while True:
            kind, payload = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if kind == "live.ok":
                return payload["data"]  # type: ignore[no-any-return]
            if kind == "live.error":
                raise BenchError(payload.get("code", "error"))

    # Tick frames as they arrive, with their time of receipt, read once the loop has taken in
    # every socket that was ready: the reading of one frame does not delay the receipt time of
    # the next one, which arrived at the same moment on another connection.
    arrived: list[tuple[str, float, str]] = []

    def read_arrived() -> None:
        batch = arrived[:]
        arrived.clear()
        for text, received, me in batch:
            found = probe_receipts(probe_moves[0], text, me)
            frames[0] += 1
            if frames[0] % CHECK_EVERY == 0:
                # The same frame read in full: the fast reading must find exactly this.
                frames[1] += 1
                expected = [
                    (avatar_id, x, y)
                    for avatar_id, x, y in json.loads(text)[1]["m"]
                    if avatar_id in all_probes and avatar_id != me
                ]
                if sorted(expected) != sorted(found):
                    frames[2] += 1
                    mismatch[:] = [text[:300]]
            for avatar_id, x, y in found:
                receipts.append((avatar_id, x, y, received))

    def reader(ws: Socket, me: str) -> Any:
        def on_message(text: str, received: float) -> None:
            if text.startswith('["venue.tick"'):
                if not arrived:
                    loop.call_soon(read_arrived)
                arrived.append((text, received, me))
            elif text.startswith('["live.ping"'):
                _kind, payload = json.loads(text)
                ws.send(json.dumps(["live.pong", {"t": payload.get("t", 0)}]))

        return on_message

    async def one(index: int) -> None:
        nonlocal joined
        try:
            async with gate:
                ws = await connect(url, origin=origin, timeout=60)
                sockets.append(ws)
                ws.send(json.dumps(["venue.join", {"space": space, "name": f"a{index}", "ref": 1}]))
                me = (await reply(ws))["you"]
                await asyncio.sleep(0.4)  # the join cost 3 frames of the connection's budget
                zone = ZONES[index % len(ZONES)]
                ws.send(json.dumps(["venue.goto", {"zone": zone, "ref": 2}]))
                place = await reply(ws)
        except Exception as exc:  # counted and reported, never hidden
            failures.append(f"{type(exc).__name__}: {exc}"[:200])
            done_joining()
            return
        joined += 1
        probe = index % PROBE_EVERY == 0
        if probe:
            probes[me] = index
        done_joining()
        # From now on every frame is read as it arrives (what queued meanwhile first).
        on_message = reader(ws, me)
        while not ws.queue.empty():
            queued = ws.queue.get_nowait()
            if queued is not None:
                on_message(queued, time.time())
        ws.on_message = on_message
        await start.wait()
        # Back and forth along a row, 8 tiles each way, from a random phase.
        x, y = place["x"], place["y"]
        step, direction = rng.randrange(8), 1
        await asyncio.sleep(rng.random() * MOVE_INTERVAL_S)
        try:
            while time.time() < stop_at[0]:
                step += 1
                if step % 8 == 0:
                    direction = -direction
                x += direction
                sent = time.time()
                ws.send(f'["venue.move",{{"x":{x},"y":{y}}}]')
                if probe:
                    sends.append((me, x, y, sent))
                await asyncio.sleep(MOVE_INTERVAL_S - (time.time() - sent))
        except Exception:
            pass

    all_probes: set[str] = set()
    tasks = [loop.create_task(one(first + i)) for i in range(count)]
    await all_joined.wait()
    pipe.send(("ready", joined, failures[:5], len(failures), sorted(probes)))
    command, every_probe = await loop.run_in_executor(None, pipe.recv)
    assert command == "start"
    all_probes.update(every_probe)
    probe_moves[0] = probe_pattern(all_probes)
    cpu_start = time.process_time()
    stop_at[0] = time.time() + seconds
    start.set()
    await asyncio.sleep(seconds + 1.0)  # the last ticks arrive
    cpu = time.process_time() - cpu_start
    problems = [f"{ws.error}" for ws in sockets if ws.error][:3]
    lost = sum(1 for ws in sockets if not ws.open)
    if lost:
        problems.append(f"{lost} connections closed during the walk")
    if frames[2]:
        problems.append(
            f"{frames[2]} of {frames[1]} tick frames checked in full read otherwise: {mismatch[0]}"
        )
    pipe.send(("report", sends, receipts, cpu, frames[:2], problems))
    for task in tasks:
        task.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            ws.abort()


def probe_pattern(probe_ids: set[str]) -> re.Pattern[str]:
    """A probe's entry in a tick's moves, ``["<id>",x,y]`` as the server writes it.

    The ids are spelled as a tree of their common prefixes (``a(?:b|c)`` for ``ab`` and ``ac``):
    an entry of someone else then fails on its first characters, not once per probe.
    """
    if not probe_ids:
        return NO_PROBE
    return re.compile(r'\["(' + _prefix_tree(sorted(probe_ids)) + r')",(-?\d+),(-?\d+)\]')


def _prefix_tree(words: list[str]) -> str:
    """An expression matching exactly ``words`` (sorted, none empty), sharing prefixes."""
    groups: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    alternatives = [re.escape(first) + _prefix_tree(rest) for first, rest in groups.items()]
    if ends:
        alternatives.append("")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def probe_receipts(pattern: re.Pattern[str], text: str, me: str) -> list[tuple[str, int, int]]:
    """The probes' positions in the moves ("m") of a ``venue.tick`` frame, but ``me``'s own.

    Reads only the moves, which end where the events begin: moves hold nothing but
    ``[id, x, y]`` entries, so ``],"e":`` cannot occur inside them. A frame is parsed in full
    only now and then (``CHECK_EVERY``), to check that this reading finds the same.
    """
    end = text.find('],"e":')
    if end < 0:
        end = len(text)
    return [
        (found[1], int(found[2]), int(found[3]))
        for found in pattern.finditer(text, 0, end)
        if found[1] != me
    ]


def avatars_process(
    pipe: Connection, url: str, origin: str, space: int, first: int, count: int, seconds: float
) -> None:  # pragma: no cover - runs in a child process
    raise_file_limit(count + 200)
    asyncio.run(_avatars(pipe, url, origin, space, first, count, seconds))


def measure(
    port: int, server_pid: int, space: int, avatars: int, processes: int, seconds: float
) -> dict[str, Any]:
    url, origin = f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}"
    context = multiprocessing.get_context("spawn")
    processes = max(1, min(processes, avatars // 25 or 1))
    shares = [
        avatars // processes + (1 if i < avatars % processes else 0) for i in range(processes)
    ]
    pipes, children = [], []
    first = 0
    started = time.monotonic()
    for share in shares:
        mine, theirs = context.Pipe()
        child = context.Process(
            target=avatars_process,
            args=(theirs, url, origin, space, first, share, seconds),
            daemon=True,
        )
        child.start()
        first += share
        pipes.append(mine)
        children.append(child)
    try:
        joined, errors, probes = 0, [], []
        for pipe in pipes:
            if not pipe.poll(120):
                raise BenchError("the avatars did not enter within 2 minutes")
            _kind, ready, sample, failed, mine_probes = pipe.recv()
            joined += ready
            errors += sample
            probes += mine_probes
            if failed:
                errors.append(f"{failed} avatars failed to enter in one client process")
        entered = time.monotonic() - started
        cpu_before, wall_before = process_tree_cpu(server_pid), time.monotonic()
        for pipe in pipes:
            pipe.send(("start", probes))
        # The round trip of a ping while the crowd walks: what the server's loop adds to any frame.
        pings = ping_round_trips(port, count=max(5, int(seconds * 4)))
        sends: list[tuple[str, int, int, float]] = []
        receipts: list[tuple[str, int, int, float]] = []
        client_cpu = []
        frames = [0, 0]
        for pipe in pipes:
            if not pipe.poll(seconds + 60):
                raise BenchError("a client process did not report")
            _kind, its_sends, its_receipts, cpu, its_frames, problems = pipe.recv()
            sends += its_sends
            receipts += its_receipts
            client_cpu.append(cpu / (seconds + 1.0))
            frames = [a + b for a, b in zip(frames, its_frames, strict=True)]
            errors += problems
        server_cpu = (process_tree_cpu(server_pid) - cpu_before) / (time.monotonic() - wall_before)
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    latencies = match(sends, receipts)
    return {
        "avatars": avatars,
        "joined": joined,
        "entered_s": entered,
        "probes": len(probes),
        "moves_timed": len(sends),
        "latencies": latencies,
        "pings": pings,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "frames": frames,
        "errors": errors,
    }


def ping_round_trips(port: int, count: int = 20) -> list[float]:
    """Round trips of ``live.ping`` → ``live.pong`` on one more connection (the baseline)."""
    from websockets.asyncio.client import connect

    async def run() -> list[float]:
        trips = []
        async with connect(
            f"ws://127.0.0.1:{port}/ws/", origin="http://127.0.0.1:" + str(port),  # type: ignore[arg-type]
            ping_interval=None,
        ) as ws:  # fmt: skip
            for _ in range(count):
                sent = time.time()
                await ws.send(json.dumps(["live.ping", {"t": 1}]))
                while not str(await ws.recv()).startswith('["live.pong"'):
                    pass
                trips.append(time.time() - sent)
                await asyncio.sleep(0.12)  # a connection may send 10 frames a second
        return trips

    return asyncio.run(run())


def match(
    sends: list[tuple[str, int, int, float]], receipts: list[tuple[str, int, int, float]]
) -> list[float]:
    """Each receipt of a probe's position, less the time of the latest send of that position."""
    by_key: dict[tuple[str, int, int], list[float]] = {}
    for avatar_id, x, y, sent in sends:
        by_key.setdefault((avatar_id, x, y), []).append(sent)
    latencies = []
    for avatar_id, x, y, received in receipts:
        times = by_key.get((avatar_id, x, y))
        if not times:
            continue
        before = [sent for sent in times if sent <= received]
        if before:
            latencies.append(received - max(before))
    return latencies


def prepare(environment: dict[str, str], capacity: int) -> int:
    """Migrate and make a published edition with one plaza space; the space's id."""
    setup_django(environment)
    from django.core.management import call_command
    from django.db import connections
    from i18nfield.strings import LazyI18nString

    from madang.program.models import Event
    from madang.venue.models import VenueSpace

    call_command("migrate", interactive=False, verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    event = Event.objects.create(
        slug=SLUG, name=LazyI18nString({"ko": "베뉴 벤치", "en": "Venue bench"}),
        is_published=True,
        starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 12), time_zone="Asia/Seoul",
    )  # fmt: skip
    space = VenueSpace.objects.create(
        event=event,
        slug="plaza",
        name=LazyI18nString({"ko": "광장", "en": "Plaza"}),
        map_key="plaza",
        capacity=capacity,
    )
    connections.close_all()
    return int(space.pk)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def baseline_of(results: list[dict[str, Any]], result: dict[str, Any]) -> float:
    """The p95 of the first (baseline) run of the same set-up."""
    first = next(r for r in results if r["setup"] == result["setup"])
    return percentile(first["latencies"], 0.95)


def row(result: dict[str, Any], base_p95: float) -> str:
    lat = result["latencies"]
    p95 = percentile(lat, 0.95)
    ratio = f"{p95 / base_p95:.1f}x" if base_p95 else "-"
    return (
        f"| {result['setup']} | {result['avatars']} ({result['joined']} in) | {len(lat)} "
        f"| {ms(percentile(lat, 0.5))} | {ms(p95)} | {ms(percentile(lat, 0.99))} | {ratio} "
        f"| {result['server_cpu']:.0%} "
        f"| {' + '.join(f'{c:.0%}' for c in result['client_cpu'])} "
        f"| {ms(percentile(result['pings'], 0.5))} / {ms(percentile(result['pings'], 0.95))} |"
    )


def redis_reachable() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.flushdb()
        return True
    except Exception:  # no Redis: that set-up is left out
        return False


def run_setup(
    label: str,
    environment: dict[str, str],
    data_dir: Path,
    workers: int,
    space: int,
    args: argparse.Namespace,
    clock: Clock,
) -> list[dict[str, Any]]:
    results = []
    with uvicorn_server(environment, data_dir, workers=workers) as (port, server):
        for avatars in (args.baseline, args.avatars):
            if clock.left() < args.seconds + 20:
                print(f"  {avatars} avatars: out of time, left out")
                break
            print(f"  {avatars} avatars walking for {args.seconds:.0f} s ...")
            result = measure(port, server.pid, space, avatars, args.processes, args.seconds)
            result["setup"] = label
            lat = result["latencies"]
            print(
                f"    entered in {result['entered_s']:.1f} s; {len(lat)} deliveries timed; "
                f"p50 {ms(percentile(lat, 0.5))} ms, p95 {ms(percentile(lat, 0.95))} ms, "
                f"p99 {ms(percentile(lat, 0.99))} ms; server CPU {result['server_cpu']:.0%}; "
                f"client CPU {' + '.join(f'{c:.0%}' for c in result['client_cpu'])}; "
                f"ping p50 {ms(percentile(result['pings'], 0.5))} ms; "
                f"{result['frames'][0]} tick frames read, {result['frames'][1]} of them in full"
            )
            for error in result["errors"]:
                print(f"    {error}")
            results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--avatars", type=int, default=1000, help="avatars in the instance")
    parser.add_argument("--baseline", type=int, default=50, help="avatars of the baseline run")
    parser.add_argument("--seconds", type=float, default=15, help="walking time per run")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--redis", action="store_true", help=f"then two workers on Redis ({REDIS_URL})"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the one-process server")
    args = parser.parse_args(argv)
    PROFILE["path"] = str(Path(args.profile).resolve()) if args.profile else ""
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    clock = Clock(TIME_BUDGET_S * (2 if args.redis else 1))
    limit = raise_file_limit(args.avatars + 1000)
    if limit < args.avatars // max(1, args.processes) + 200:
        print(f"The open-file limit is {limit}; raise it (ulimit -n) for {args.avatars} avatars.")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="madang-venue-bench-"))
    try:
        environment = server_environment(data_dir)
        for name in ("MADANG_REDIS_URL", "MADANG_DATABASE_URL"):
            environment.pop(name, None)
        environment["MADANG_LIVE_MAX_CONNECTIONS_PER_ADDRESS"] = str(args.avatars * 2 + 100)
        print(f"Preparing SQLite in {data_dir} ...")
        space = prepare(environment, capacity=max(args.avatars, args.baseline) + 10)
        results = []
        setups = [("in-memory layer, 1 worker", 1, "")]
        if args.redis:
            if redis_reachable():
                setups.append(("Redis layer, 2 workers", 2, REDIS_URL))
            else:
                print(f"Redis at {REDIS_URL} unreachable: that set-up is left out")
        for label, workers, redis_url in setups:
            server_env = dict(environment)
            if redis_url:
                server_env["MADANG_REDIS_URL"] = redis_url
                redis_reachable()  # flushes the benchmark's database
            print(f"{label}:")
            results += run_setup(label, server_env, data_dir, workers, space, args, clock)
        lines = [
            f"# Virtual venue: avatars at 5 moves a second ({dt.date.today().isoformat()})",
            "",
            "- server: uvicorn as `make serve` runs it, DEBUG off; SQLite; clients "
            f"in {args.processes} processes on loopback; load average {load_average()}",
            f"- every {PROBE_EVERY}th avatar is a probe; latency = probe's send → each viewer's "
            "receipt of that position (through the server's tick)",
            f"- goal: p95 < {ms(GOAL_P95_S)} ms; ratio = p95 / p95 of the {args.baseline}-avatar "
            "baseline",
            "",
            "| set-up | avatars | deliveries timed | p50 ms | p95 ms | p99 ms | p95 ratio "
            "| server CPU | client CPU | ping p50 / p95 ms |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
            *(row(result, baseline_of(results, result)) for result in results),
        ]
        for result in results:
            for error in result["errors"]:
                lines.append(f"- {result['avatars']} avatars: {error}")
        lines.append("")
        for label, _workers, _url in setups:
            runs = [result for result in results if result["setup"] == label]
            if not runs:
                continue
            p95 = percentile(runs[-1]["latencies"], 0.95)
            verdict = "pass" if 0 < p95 < GOAL_P95_S else "MISS"
            lines.append(
                f"- goal (p95 < {ms(GOAL_P95_S)} ms at {runs[-1]['avatars']} avatars), "
                f"{label}: {verdict}"
            )
        text = "\n".join(lines) + "\n"
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
