"""Connection leases in Redis: one process renews all of its connections' leases at once."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
import redis

from madang.live import limits
from madang.live.limits import ConnectionCounter, keeper_for_loop

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_counter(settings: Any) -> Any:
    settings.REDIS_URL = os.environ["MADANG_REDIS_URL"]
    limits.reset_counter()
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [ConnectionCounter._key(k) for k in ("test:user:1", "test:addr:x")]
    client.delete(*keys)
    yield limits.counter(), client, keys
    client.delete(*keys)
    limits.reset_counter()


def test_many_leases_are_renewed_together_and_a_released_one_stays_released(
    redis_counter: Any,
) -> None:
    counter, client, (user_key, address_key) = redis_counter
    assert counter.shared
    for connection in ("a", "b"):
        assert counter.acquire("test:user:1", connection, 8)
    assert counter.acquire("test:addr:x", "c", 50)
    counter.release("test:user:1", "b")
    for key in (user_key, address_key):  # leases about to lapse
        for member in client.zrange(key, 0, -1):
            client.zadd(key, {member: time.time() + 1})
    counter.refresh_many([("test:user:1", "a"), ("test:user:1", "b"), ("test:addr:x", "c")])
    ends = {
        member.decode(): score
        for key in (user_key, address_key)
        for member, score in client.zrange(key, 0, -1, withscores=True)
    }
    assert set(ends) == {"a", "c"}  # "b" was released and is not taken back
    assert all(end > time.time() + counter.lease_seconds - 5 for end in ends.values())


def test_the_process_keeper_renews_what_it_holds_and_nothing_it_dropped(
    redis_counter: Any,
) -> None:
    counter, client, (user_key, _address_key) = redis_counter

    async def scenario() -> None:
        keeper = keeper_for_loop()
        for connection in ("a", "b"):
            assert counter.acquire("test:user:1", connection, 8)
            keeper.hold("test:user:1", connection)
        keeper.drop("b")
        client.zadd(user_key, {"a": time.time() + 1, "b": time.time() + 1})
        await keeper.tick()
        scores = dict(client.zrange(user_key, 0, -1, withscores=True))
        assert scores[b"a"] > time.time() + counter.lease_seconds - 5
        assert scores[b"b"] < time.time() + 2
        keeper.drop("a")

    asyncio.run(scenario())
