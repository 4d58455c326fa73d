"""Capacity and idempotency under real concurrent submissions, on PostgreSQL."""

from __future__ import annotations

import secrets
import threading
from collections import Counter

import pytest
from django.db import connection

from madang.common import errors
from madang.registration import services
from madang.registration.enums import RegistrationStatus
from madang.registration.models import Registration
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count, work):
    """Start ``count`` threads that call ``work(i)`` together; return results and errors.

    A submission told "busy" (the row lock was not granted in time, as on a loaded machine) is
    sent again, as the page asks its reader to: every racer ends with an answer.
    """
    barrier = threading.Barrier(count)
    results = [None] * count
    failures = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            for attempt in range(5):
                try:
                    results[index] = work(index)
                    break
                except errors.Busy:
                    if attempt == 4:
                        raise
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_forty_people_racing_for_the_last_five_places_never_oversell():
    category = CategoryFactory(capacity=20)
    for _ in range(15):
        RegistrationFactory(category=category, status=RegistrationStatus.CONFIRMED)

    results, failures = run_at_once(
        40,
        lambda i: (
            services.register_attendee(
                category=category,
                name=f"Racer {i}",
                email=f"racer{i}@example.org",
                language="ko",
                client_token=secrets.token_urlsafe(24),
            ).status
        ),
    )

    assert failures == []
    assert Counter(results) == {"confirmed": 5, "waitlisted": 35}
    assert Registration.objects.filter(category=category, status="confirmed").count() == 20


def test_one_submission_sent_ten_times_at_once_registers_once():
    category = CategoryFactory(capacity=5)
    token = secrets.token_urlsafe(24)

    results, failures = run_at_once(
        10,
        lambda i: (
            services.register_attendee(
                category=category,
                name="Kim Minji",
                email="minji@example.org",
                language="ko",
                client_token=token,
            ).pk
        ),
    )

    assert failures == []
    assert len(set(results)) == 1
    assert Registration.objects.count() == 1


def test_one_token_sent_at_once_to_two_categories_registers_once():
    first = CategoryFactory(capacity=5)
    second = CategoryFactory(capacity=5, event=first.event)
    token = secrets.token_urlsafe(24)

    results, failures = run_at_once(
        10,
        lambda i: (
            services.register_attendee(
                category=(first, second)[i % 2],
                name="Kim Minji",
                email=f"minji{i}@example.org",
                language="ko",
                client_token=token,
            ).pk
        ),
    )

    assert failures == []
    assert len(set(results)) == 1
    assert Registration.objects.count() == 1


def test_one_email_sent_at_once_to_two_categories_gets_one_registration():
    first = CategoryFactory(capacity=5)
    second = CategoryFactory(capacity=5, event=first.event)

    results, failures = run_at_once(
        10,
        lambda i: (
            services.register_attendee(
                category=(first, second)[i % 2],
                name="Kim Minji",
                email="Minji@example.org" if i % 2 else "minji@example.org",
                language="ko",
                client_token=secrets.token_urlsafe(24),
            ).pk
        ),
    )

    assert len([r for r in results if r is not None]) == 1
    assert [type(f).__name__ for f in failures] == ["Conflict"] * 9
    assert Registration.objects.count() == 1
