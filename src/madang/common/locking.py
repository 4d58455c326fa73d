"""The one pattern for capacity: lock the capacity row late, re-check, then write.

Every service that hands out something limited (registration places, session seats, meeting
slots) opens ``capacity_lock`` on the row that holds the limit and counts and writes inside it.
The block is a durable transaction, so a caller can never fold it into a longer transaction
that would hold the lock for longer than the write needs.

PostgreSQL takes a row lock (``SELECT ... FOR UPDATE``) and gives up after ``LOCK_TIMEOUT``;
SQLite has no row locks, but the settings open every transaction with ``BEGIN IMMEDIATE``, which
takes the single writer lock at once, so writers are serialised before they count. Either way a
lock that cannot be had in time becomes ``Busy`` ("busy, please retry"), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connection, models, transaction
from django.utils.translation import gettext

from madang.common.errors import Busy, NotFound

_Row = TypeVar("_Row", bound=models.Model)

# Long enough for a queue of ordinary writers, short enough that a stuck one is reported.
LOCK_TIMEOUT = "2s"

# PostgreSQL's SQLSTATE for lock_timeout ("lock_not_available").
_PG_LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(error: OperationalError) -> bool:
    """Whether a database error means a lock was not granted in time."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


@contextmanager
def capacity_lock(model: type[_Row], *, pk: int) -> Iterator[_Row]:
    """Open a durable transaction, lock the capacity row ``model(pk=pk)`` and yield it fresh.

    Count and write inside the ``with`` block; the lock is released when the block commits or
    rolls back. Raises ``Busy`` when the lock is not granted within ``LOCK_TIMEOUT`` and
    ``NotFound`` when the row no longer exists.
    """
    try:
        with transaction.atomic(durable=True):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # SET LOCAL ends with the transaction, so pooled connections keep no trace.
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            try:
                row = model._default_manager.select_for_update().get(pk=pk)
            except model.DoesNotExist as exc:  # type: ignore[attr-defined]
                raise NotFound(gettext("This item no longer exists.")) from exc
            yield row
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise Busy(gettext("We are busy right now. Please try again in a moment.")) from exc
        raise
