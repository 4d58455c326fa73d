"""Concurrent scans on PostgreSQL with real threads: a nonce counts once, a badge enters once."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from madang.checkin import badges, services
from madang.checkin.models import Scan, ScanResult
from tests.checkin.conftest import Site, make_badge
from tests.common.concurrency import THREADS, run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_nonce_sent_by_many_threads_is_stored_and_counted_once(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    nonce = uuid.uuid4()
    results = run_at_once(
        lambda _i: services.record_scan(
            entrance=site.east, code=code, nonce=nonce, scanned_at=None, staff=site.staff
        )
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert {r.pk for r in results} == {Scan.objects.get().pk}  # type: ignore[attr-defined]
    assert Scan.objects.get().result == ScanResult.ACCEPTED


def test_one_badge_scanned_at_many_entrances_at_once_is_let_in_once(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    entrances = [site.east, site.west]
    results = run_at_once(
        lambda i: services.record_scan(
            entrance=entrances[i % 2],
            code=code,
            nonce=uuid.uuid4(),
            scanned_at=None,
            staff=site.staff,
        )
    )
    assert not [r for r in results if isinstance(r, Exception)]
    counted = Counter(Scan.objects.values_list("result", flat=True))
    assert counted == {ScanResult.ACCEPTED: 1, ScanResult.REPEAT: THREADS - 1}
