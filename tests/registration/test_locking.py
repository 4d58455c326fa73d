from __future__ import annotations

import secrets
import threading

import pytest
from django.db import connection

from madang.common import errors
from madang.common.locking import capacity_lock
from madang.registration import services
from madang.registration.models import Category, Registration
from tests.factories.registration import CategoryFactory


@pytest.mark.django_db
def test_capacity_lock_yields_the_current_row():
    category = CategoryFactory(capacity=3)
    Category.objects.filter(pk=category.pk).update(capacity=7)
    with capacity_lock(Category, pk=category.pk) as locked:
        assert locked.capacity == 7


@pytest.mark.django_db
def test_capacity_lock_on_a_missing_row_is_not_found():
    with pytest.raises(errors.NotFound), capacity_lock(Category, pk=987654):
        pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registration_while_the_category_is_locked_too_long_is_busy_and_stores_nothing():
    category = CategoryFactory(capacity=5)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock():
        try:
            with capacity_lock(Category, pk=category.pk):
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with pytest.raises(errors.Busy) as caught:
            services.register_attendee(
                category=category,
                name="Kim",
                email="kim@example.org",
                language="ko",
                client_token=secrets.token_urlsafe(24),
            )
        assert caught.value.status_code == 503
    finally:
        release.set()
        holder.join()
    assert Registration.objects.count() == 0
