"""A Redis cache that a Redis outage cannot turn into a broken page.

django-redis already turns connection errors into cache misses when ``IGNORE_EXCEPTIONS`` is on,
but every call still waits for its socket timeout; a page that touches the cache five times
against a hung Redis would wait five timeouts. This backend adds a circuit breaker: the first
failure is logged and opens the circuit, and for ``CIRCUIT_SECONDS`` every call answers at once
as a miss (reads) or a no-op (writes). After that one call is let through to probe Redis again.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django_redis.cache import RedisCache

logger = logging.getLogger("madang.cache")

F = TypeVar("F", bound=Callable[..., Any])

# What each method returns while Redis is unreachable: what a cache that holds nothing returns.
_FALLBACKS: dict[str, Callable[..., Any]] = {
    "get": lambda *a, **kw: kw.get("default", a[1] if len(a) > 1 else None),
    "get_many": lambda *a, **kw: {},
    "has_key": lambda *a, **kw: False,
    "add": lambda *a, **kw: False,
    "set": lambda *a, **kw: False,
    "set_many": lambda *a, **kw: [],
    "touch": lambda *a, **kw: False,
    "delete": lambda *a, **kw: False,
    "delete_many": lambda *a, **kw: 0,
    "delete_pattern": lambda *a, **kw: 0,
    "clear": lambda *a, **kw: None,
    "incr": lambda *a, **kw: None,
    "decr": lambda *a, **kw: None,
    "ttl": lambda *a, **kw: None,
    "keys": lambda *a, **kw: [],
}


class _Circuit:
    """Whether one Redis server is to be skipped, shared by every cache and thread of a process.

    Several cache aliases may point at the same server ("default" and "versions"); one outage
    is then logged once and skipped by all of them together.
    """

    def __init__(self) -> None:
        self.open_until = 0.0
        self.lock = threading.Lock()


_circuits: dict[str, _Circuit] = {}
_circuits_lock = threading.Lock()


def _circuit_for(server: str) -> _Circuit:
    with _circuits_lock:
        return _circuits.setdefault(server, _Circuit())


class ResilientRedisCache(RedisCache):
    """django-redis with errors swallowed, logged once per outage, and a circuit breaker."""

    CIRCUIT_SECONDS = 15.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._circuit = _circuit_for(str(server))

    def get_or_set(self, key: Any, default: Any, timeout: Any = None, version: Any = None) -> Any:
        # Django's get_or_set calls add() then get(); during an outage both answer at once, and
        # the caller still gets a computed value rather than None.
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout=timeout, version=version)
        return value

    def _guarded(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        fallback = _FALLBACKS[name]
        circuit = self._circuit
        if time.monotonic() < circuit.open_until:
            return fallback(*args, **kwargs)
        try:
            return method(*args, **kwargs)
        except ValueError:
            # incr/decr of a key that is not there (it expired a moment ago) is Django's
            # contract, answered by Redis itself and handled by the caller: not an outage.
            if name in ("incr", "decr"):
                raise
            self._open_circuit()
        except Exception:  # any client error means "no cache", never "no page"
            self._open_circuit()
        return fallback(*args, **kwargs)

    def _open_circuit(self) -> None:
        """Skip Redis for CIRCUIT_SECONDS; log the error being handled once per outage."""
        error = sys.exc_info()[1]
        circuit = self._circuit
        with circuit.lock:
            first = time.monotonic() >= circuit.open_until
            circuit.open_until = time.monotonic() + self.CIRCUIT_SECONDS
        if first:
            logger.warning(
                "Redis cache unavailable (%s: %s); serving without cache for %.0f s",
                type(error).__name__,
                error,
                self.CIRCUIT_SECONDS,
            )


def _wrap(name: str) -> Callable[..., Any]:
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def guarded(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(name, functools.partial(original, self), *args, **kwargs)

    return guarded


for _name in _FALLBACKS:
    if hasattr(RedisCache, _name):
        setattr(ResilientRedisCache, _name, _wrap(_name))
