"""Start threads that act at the same instant, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

THREADS = 12  # how many act at once unless told otherwise


def run_at_once(work: Callable[[int], object], threads: int = THREADS) -> list[object]:
    """Call ``work(i)`` for i < ``threads`` in threads released together; every outcome (a
    result or the exception raised), in the order they finished."""
    barrier = threading.Barrier(threads)
    results: list[object] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        try:
            barrier.wait()
            outcome: object = work(index)
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    started = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results
