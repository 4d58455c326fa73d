"""Viewer leases: counted across workers in Redis, in one process without it."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from madang.stage import presence
from madang.stage.presence import ViewerLeases


def test_in_one_process_leases_count_renew_and_leave() -> None:
    leases = ViewerLeases("")
    assert [leases.watch(7, "a"), leases.watch(7, "b"), leases.watch(7, "a")] == [1, 2, 2]
    assert leases.watch(8, "a") == 1  # another stage
    assert leases.leave(7, "b") == 1
    assert leases.count(7) == 1


def test_the_count_is_published_at_most_once_per_interval() -> None:
    leases = ViewerLeases("")
    assert [leases.may_publish(7), leases.may_publish(7), leases.may_publish(8)] == [
        True,
        False,
        True,
    ]


@pytest.mark.redis
def test_two_workers_count_the_same_viewers_in_redis(monkeypatch: Any) -> None:
    url = os.environ["MADANG_REDIS_URL"]
    first, second = ViewerLeases(url), ViewerLeases(url)
    stage_id = 900_000 + os.getpid() % 1000
    first.leave(stage_id, "a")
    first.leave(stage_id, "b")
    assert first.watch(stage_id, "a") == 1
    assert second.watch(stage_id, "b") == 2
    assert first.count(stage_id) == second.count(stage_id) == 2
    assert [first.may_publish(stage_id), second.may_publish(stage_id)] == [True, False]
    later = time.time() + presence.LEASE_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert first.count(stage_id) == 0


def test_an_unreachable_redis_reads_as_an_unknown_count() -> None:
    leases = ViewerLeases("redis://127.0.0.1:1/0")
    assert (leases.watch(7, "a"), leases.count(7), leases.may_publish(7)) == (None, None, False)
