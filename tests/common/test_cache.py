"""A cache outage never breaks a page.

Redis is made unreachable in the two ways production sees: nothing listens on the port (the
connection is refused at once) and a server that accepts connections but never answers (every
call would wait for its socket timeout). Both run against the real ResilientRedisCache backend.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from madang.common.cache import ResilientRedisCache
from tests.factories import EventFactory, SessionFactory, SessionRoleFactory

SOCKET_TIMEOUT = 0.25


def redis_params(**overrides: Any) -> dict[str, Any]:
    """The production cache options (see config/settings.py), with a prefix of the test's own."""
    params: dict[str, Any] = {
        "TIMEOUT": 300,
        "KEY_PREFIX": f"madang-test-{uuid.uuid4().hex[:8]}",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
        },
    }
    params.update(overrides)
    return params


def resilient_caches(location: str) -> dict[str, dict[str, Any]]:
    # As settings.py does with MADANG_REDIS_URL: pages and program versions on one server.
    redis = {
        "BACKEND": "madang.common.cache.ResilientRedisCache",
        "LOCATION": location,
        **redis_params(),
    }
    pages = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return {"default": redis, "versions": redis, "pages": pages}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class SilentServer:
    """A TCP server that accepts every connection and never says a word: a hung Redis."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class Relay:
    """Forwards a local port to a real Redis and can be switched off and on: an outage that ends."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener.settimeout(0.05)
        self._spawn(self._accept, self._listener)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=2)
            for sock in (client, server):
                sock.settimeout(0.05)
                self._sockets.append(sock)
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            try:
                target.sendall(data)
            except OSError:
                return


@pytest.fixture
def refused_url() -> str:
    """A Redis URL on a port where nothing listens."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def hung_url(silent_server: SilentServer) -> str:
    """A Redis URL whose server accepts connections and never answers."""
    return f"redis://127.0.0.1:{silent_server.port}/0"


@pytest.fixture(params=["refused", "hung"])
def unreachable_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def redis_url() -> str:
    return str(django_settings.REDIS_URL)


@pytest.fixture
def live_cache(redis_url: str) -> Iterator[ResilientRedisCache]:
    """The backend on the real Redis, under a key prefix of its own that is removed afterwards."""
    backend = ResilientRedisCache(redis_url, redis_params())
    yield backend
    backend.delete_pattern("*")


def warnings_from_cache(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "madang.cache" and record.levelno == logging.WARNING
    ]


# --- The backend on its own ------------------------------------------------------------------


def test_get_returns_the_default_while_redis_is_unreachable(unreachable_url: str) -> None:
    backend = ResilientRedisCache(unreachable_url, redis_params())

    assert backend.get("missing") is None
    assert backend.get("missing", "fallback") == "fallback"
    assert backend.get("missing", default=42) == 42


def test_writes_report_failure_while_redis_is_unreachable(unreachable_url: str) -> None:
    backend = ResilientRedisCache(unreachable_url, redis_params())

    assert backend.set("key", "value") is False
    assert backend.add("key", "value") is False
    assert backend.delete("key") is False
    assert backend.get_many(["a", "b"]) == {}
    assert backend.has_key("key") is False


def test_get_or_set_computes_the_value_while_redis_is_unreachable(unreachable_url: str) -> None:
    backend = ResilientRedisCache(unreachable_url, redis_params())
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return "fresh"

    assert backend.get_or_set("key", compute) == "fresh"
    assert backend.get_or_set("key", "plain") == "plain"
    assert calls == [1]


def test_after_the_first_failure_calls_answer_without_waiting(unreachable_url: str) -> None:
    backend = ResilientRedisCache(unreachable_url, redis_params())
    backend.get("first")  # pays at most one socket timeout and opens the circuit

    started = time.monotonic()
    for n in range(10):
        assert backend.get(f"key-{n}", "default") == "default"
    elapsed = time.monotonic() - started

    # Without the circuit a hung Redis would cost 10 x 0.25 s here.
    assert elapsed < 0.5


def test_an_outage_is_logged_once_with_its_cause(
    unreachable_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = ResilientRedisCache(unreachable_url, redis_params())

    with caplog.at_level(logging.WARNING, logger="madang.cache"):
        for n in range(5):
            backend.get(f"key-{n}")
            backend.set(f"key-{n}", n)

    records = warnings_from_cache(caplog)
    assert len(records) == 1
    assert "Redis cache unavailable" in records[0].getMessage()


def test_the_circuit_lets_a_probe_through_once_it_has_cooled_down(hung_url: str) -> None:
    backend = ResilientRedisCache(hung_url, redis_params())
    backend.CIRCUIT_SECONDS = 0.05
    backend.get("first")
    time.sleep(0.1)

    # The probe goes to the (still hung) server again, so it waits one socket timeout.
    started = time.monotonic()
    assert backend.get("probe", "default") == "default"
    assert time.monotonic() - started >= SOCKET_TIMEOUT * 0.8


@pytest.mark.redis
def test_the_cache_works_again_when_redis_comes_back(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    target = urlsplit(redis_url)
    relay = Relay((target.hostname or "127.0.0.1", target.port or 6379))
    backend = ResilientRedisCache(f"redis://127.0.0.1:{relay.port}{target.path}", redis_params())
    backend.CIRCUIT_SECONDS = 0.1
    try:
        with caplog.at_level(logging.WARNING, logger="madang.cache"):
            assert backend.set("key", "during the outage") is False
        assert len(warnings_from_cache(caplog)) == 1

        relay.start()
        # Still inside the circuit: Redis is not asked yet.
        assert backend.get("key", "skipped") == "skipped"
        time.sleep(0.15)

        assert backend.set("key", "after the outage") is True
        assert backend.get("key") == "after the outage"
    finally:
        backend.delete_pattern("*")
        relay.stop()


# --- Against the real Redis -----------------------------------------------------------------


@pytest.mark.redis
def test_values_round_trip_through_redis(live_cache: ResilientRedisCache) -> None:
    value = {"title": {"ko": "세션", "en": "Session"}, "count": 3, "tags": ["a", "b"]}

    assert live_cache.set("program", value) is True
    assert live_cache.get("program") == value
    assert live_cache.get("absent", "default") == "default"


@pytest.mark.redis
def test_many_values_round_trip_and_delete_through_redis(live_cache: ResilientRedisCache) -> None:
    live_cache.set_many({"a": 1, "b": "two"})

    assert live_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": "two"}
    assert live_cache.delete("a") is True
    assert live_cache.get("a") is None
    assert live_cache.has_key("b") is True


@pytest.mark.redis
def test_add_and_get_or_set_store_in_redis(live_cache: ResilientRedisCache) -> None:
    assert live_cache.add("once", "first") is True
    assert live_cache.add("once", "second") is False
    assert live_cache.get_or_set("computed", lambda: "value") == "value"
    assert live_cache.get_or_set("computed", lambda: "other") == "value"
    live_cache.set("counter", 1)
    assert live_cache.incr("counter") == 2


@pytest.mark.redis
def test_the_site_cache_setting_uses_redis_through_the_resilient_backend(redis_url: str) -> None:
    with override_settings(CACHES=resilient_caches(redis_url)):
        assert isinstance(caches["default"], ResilientRedisCache)
        cache.set("setting-check", "stored")
        try:
            assert cache.get("setting-check") == "stored"
        finally:
            cache.delete("setting-check")


# --- Public pages during an outage ----------------------------------------------------------

PUBLIC_PAGES = [
    "home",
    "event-home",
    "program",
    "timetable",
    "session",
    "people",
    "person",
    "search",
    "schedule-json",
]


def public_url(name: str, *, event_slug: str, session_slug: str, person_slug: str) -> str:
    """The URL of the public page ``name`` for the given edition, session and person."""
    if name in ("home", "search"):
        url = reverse(name)
        return f"{url}?q=Session" if name == "search" else url
    if name == "session":
        return reverse(name, kwargs={"slug": event_slug, "session_slug": session_slug})
    if name == "person":
        return reverse(name, kwargs={"slug": event_slug, "person_slug": person_slug})
    return reverse(name, kwargs={"slug": event_slug})


def outage_page_url(name: str) -> str:
    """Create a small published edition and return the URL of page ``name`` in it."""
    role = SessionRoleFactory(session=SessionFactory(event=EventFactory(slug="outage")))
    try:
        return public_url(
            name,
            event_slug="outage",
            session_slug=role.session.slug,
            person_slug=role.person.slug,
        )
    except NoReverseMatch:
        pytest.skip(f"the page {name!r} has no URL yet")


def get_twice_during_outage(client: Client, url: str, location: str) -> None:
    # The same page rendered with working caches sets the scale: a loaded machine renders
    # slowly either way, while a stuck socket would add seconds to every cache call.
    started = time.monotonic()
    assert client.get(url).status_code == 200, url
    bound = max(1.0, 3 * (time.monotonic() - started) + 0.5)
    for alias in django_settings.CACHES:
        caches[alias].clear()
    with override_settings(CACHES=resilient_caches(location)):
        for _attempt in range(2):
            started = time.monotonic()
            response = client.get(url)
            elapsed = time.monotonic() - started

            assert response.status_code == 200, url
            # A bound on a hang, not a speed test: a stuck socket would take far longer.
            assert elapsed < bound, url


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_answers_while_nothing_listens_on_the_redis_port(
    name: str, refused_url: str, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    url = outage_page_url(name)

    with caplog.at_level(logging.WARNING, logger="madang.cache"):
        get_twice_during_outage(client, url, refused_url)

    # Pages that never touch the cache have nothing to log; the others log the outage once.
    records = warnings_from_cache(caplog)
    assert len(records) <= 1, url
    assert all("ConnectionError" in record.getMessage() for record in records)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_answers_while_redis_hangs(
    name: str,
    silent_server: SilentServer,
    hung_url: str,
    client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = outage_page_url(name)

    with caplog.at_level(logging.WARNING, logger="madang.cache"):
        get_twice_during_outage(client, url, hung_url)

    # The silent server saw a connection exactly when the page went to the cache.
    expected = 1 if silent_server.accepted else 0
    assert len(warnings_from_cache(caplog)) == expected, url


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["program", "timetable", "schedule-json"])
def test_cached_pages_log_the_outage(
    name: str, unreachable_url: str, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    url = outage_page_url(name)

    with caplog.at_level(logging.WARNING, logger="madang.cache"):
        get_twice_during_outage(client, url, unreachable_url)

    records = warnings_from_cache(caplog)
    assert len(records) == 1, url
    assert "serving without cache" in records[0].getMessage()


@pytest.mark.redis
def test_incr_of_an_expired_counter_is_not_an_outage(settings: Any) -> None:
    from django.core.cache import caches

    cache = caches["default"]
    cache.delete("counter-that-expired")
    with pytest.raises(ValueError):
        cache.incr("counter-that-expired")
    # The circuit stayed closed: the next write reaches Redis.
    assert cache.add("counter-that-expired", 1, timeout=5) is True
    assert cache.incr("counter-that-expired") == 2
