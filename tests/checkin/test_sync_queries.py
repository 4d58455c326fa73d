"""The work one sync request costs in queries: a batch does its edition-wide lookups once."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from madang.checkin import badges
from tests.checkin.conftest import Site, make_badge
from tests.checkin.test_views import item, post_scans

pytestmark = pytest.mark.django_db


def _reads_of(table: str, captured: list[dict[str, str]]) -> int:
    return sum(
        1 for q in captured if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    )


def test_a_batch_looks_up_entrances_and_permission_once(site: Site) -> None:
    client = Client()
    client.force_login(site.staff)
    first = badges.badge_code(make_badge(site.event, name="First Person"))
    second = badges.badge_code(make_badge(site.event, name="Second Person"))
    batch = [
        item(site, first),
        item(site, first, entrance=site.west.pk),
        item(site, second, entrance=site.gate.pk),
        item(site, second, entrance=site.exit.pk),
    ]
    # The first request of a process reads the edition's entrances; later ones find them kept.
    forged = item(site, "not a badge")
    with CaptureQueriesContext(connection) as first_run:
        post_scans(client, site, [forged])
    assert _reads_of("checkin_entrance", first_run.captured_queries) == 1
    with translation.override("en"), CaptureQueriesContext(connection) as run:
        results = post_scans(client, site, batch).json()["results"]
    assert [r["result"] for r in results] == ["accepted", "repeat", "accepted", "not_inside"]
    # The repeat names where the badge came in, from the entrances already at hand.
    assert "East" in results[1]["detail"]
    captured = run.captured_queries
    assert _reads_of("checkin_entrance", captured) == 0
    assert _reads_of("accounts_editionrole", captured) == 1
    assert _reads_of("program_event", captured) == 0
    # Per scan of a valid badge: the badge (locked), its last accepted scan, the insert.
    assert _reads_of("checkin_badge", captured) == 4
    assert _reads_of("checkin_scan", captured) == 4
    # The scan a repeat refers to is read alone: its entrance is one of those at hand.
    assert not any('FROM "checkin_scan"' in q["sql"] and "JOIN" in q["sql"] for q in captured)
    assert sum(1 for q in captured if q["sql"].startswith("INSERT")) == 4


def test_one_scan_costs_a_bounded_number_of_queries(site: Site) -> None:
    client = Client()
    client.force_login(site.staff)
    code = badges.badge_code(make_badge(site.event))
    post_scans(client, site, [item(site, code)])
    with CaptureQueriesContext(connection) as run:
        result = post_scans(client, site, [item(site, code, entrance=site.west.pk)]).json()
    assert result["results"][0]["result"] == "repeat"
    statements = [
        q["sql"]
        for q in run.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL"))
    ]
    # Session (read from the cache instead when Redis is set), user, permission, badge, last
    # scan, insert; the entrances are kept from the first request.
    expected = 5 if settings.SESSION_ENGINE.endswith("cached_db") else 6
    assert len(statements) == expected, statements


def test_an_entrance_edited_is_seen_by_the_next_scan(
    site: Site, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(site.staff)
    code = badges.badge_code(make_badge(site.event))
    with translation.override("en"):
        post_scans(client, site, [item(site, code)])
        with django_capture_on_commit_callbacks(execute=True):
            site.east.name = {"ko": "새 동문", "en": "New East Door"}
            site.east.save()
        again = post_scans(client, site, [item(site, code, entrance=site.west.pk)]).json()
        assert "New East Door" in again["results"][0]["detail"]
        # An entrance removed is unknown at once.
        with django_capture_on_commit_callbacks(execute=True):
            site.gate.scans.all().delete()
            gate = site.gate.pk
            site.gate.delete()
        gone = post_scans(client, site, [item(site, code, entrance=gate)]).json()
    assert gone["results"][0]["result"] == "error"
