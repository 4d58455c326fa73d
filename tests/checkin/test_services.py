"""Recording scans: signatures, revocation, repeats, exits and idempotency by nonce."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from madang.accounts.actors import SYSTEM
from madang.checkin import badges, queries, services
from madang.checkin.models import Scan, ScanResult
from madang.common import errors
from madang.registration.enums import RegistrationStatus
from tests.checkin.conftest import Site, make_badge
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

SEOUL = dt.timezone(dt.timedelta(hours=9))
AT_1042 = dt.datetime(2025, 10, 10, 10, 42, tzinfo=SEOUL)


def scan(site: Site, code: str, *, entrance=None, nonce=None, at=AT_1042) -> Scan:  # type: ignore[no-untyped-def]
    return services.record_scan(
        entrance=entrance or site.east,
        code=code,
        nonce=nonce or uuid.uuid4(),
        scanned_at=at,
        staff=site.staff,
    )


def test_valid_badge_is_accepted_with_name_and_category(site: Site) -> None:
    badge = make_badge(site.event, name="김민지")
    result = scan(site, badges.badge_code(badge))
    assert result.result == ScanResult.ACCEPTED
    with translation.override("en"):
        shown = queries.describe(queries.scan_with_details(result))
        assert shown["category"] == str(badge.registration.category.name)
    assert (shown["tone"], shown["name"]) == ("ok", "김민지")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: code[:-1],  # truncated signature
        lambda code: code[:40],  # truncated in the middle
        lambda code: code.replace("MB1.", "MB1.x", 1),  # secret changed, signature kept
        lambda code: code.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        lambda code: "",
        lambda code: "x" * 500,
        lambda code: "MB1.\x00.\ud800",
    ],
)
def test_forged_or_truncated_codes_are_refused_without_a_badge_lookup(site: Site, mangle) -> None:  # type: ignore[no-untyped-def]
    code = badges.badge_code(make_badge(site.event))
    with CaptureQueriesContext(connection) as queries_run:
        result = scan(site, mangle(code))
    assert result.result == ScanResult.FORGED
    assert result.badge is None
    assert not any("checkin_badge" in q["sql"] for q in queries_run.captured_queries)


def test_code_signed_with_another_key_is_forged(site: Site) -> None:
    badge = make_badge(site.event)
    foreign = signing.Signer(key="another site's key", salt="madang.checkin.badge", sep=".")
    code = foreign.sign(f"MB1.{badge.secret}")
    assert code != badges.badge_code(badge)
    assert scan(site, code).result == ScanResult.FORGED


def test_revoked_badge_is_refused_with_a_clear_message(site: Site) -> None:
    badge = make_badge(site.event, name="Revoked Person")
    badges.revoke_badges(badge.registration)
    result = scan(site, badges.badge_code(badge))
    assert result.result == ScanResult.REVOKED
    with translation.override("en"):
        shown = queries.describe(queries.scan_with_details(result))
    assert shown["tone"] == "bad"
    assert shown["title"] == "Badge revoked"
    assert "registration desk" in shown["detail"]
    assert shown["name"] == ""  # a refused badge shows no personal data
    with translation.override("ko"):
        korean = queries.describe(queries.scan_with_details(result))
    assert korean["title"] != "Badge revoked"


def test_reissued_badge_refuses_the_old_code_and_accepts_the_new(site: Site) -> None:
    old = make_badge(site.event)
    new = badges.reissue_badge(old.registration)
    assert scan(site, badges.badge_code(old)).result == ScanResult.REVOKED
    assert scan(site, badges.badge_code(new)).result == ScanResult.ACCEPTED


def test_badge_of_another_edition_is_refused(site: Site) -> None:
    other = make_badge(EventFactory())
    assert scan(site, badges.badge_code(other)).result == ScanResult.WRONG_EDITION


def test_unknown_secret_with_a_valid_signature_is_unknown(site: Site) -> None:
    badge = make_badge(site.event)
    code = badges.badge_code(badge)
    badge.delete()
    assert scan(site, code).result == ScanResult.UNKNOWN


def test_second_scan_says_when_and_where_the_first_was(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    first = scan(site, code, entrance=site.east, at=AT_1042)
    second = scan(site, code, entrance=site.west, at=AT_1042 + dt.timedelta(minutes=5))
    assert (first.result, second.result) == (ScanResult.ACCEPTED, ScanResult.REPEAT)
    assert second.previous_id == first.pk
    with translation.override("en"):
        shown = queries.describe(queries.scan_with_details(second))
    assert shown["tone"] == "warn"
    assert shown["detail"] == "Already checked in at 10:42 at Hall A East."


def test_exit_lets_the_badge_in_again_and_occupancy_follows(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    other = badges.badge_code(make_badge(site.event))
    assert scan(site, code).result == ScanResult.ACCEPTED
    assert scan(site, other).result == ScanResult.ACCEPTED
    assert scan(site, code, entrance=site.exit).result == ScanResult.ACCEPTED
    assert scan(site, code, entrance=site.exit).result == ScanResult.NOT_INSIDE
    occupancy = {h.room.pk if h.room else None: h for h in queries.hall_occupancy(site.event)}
    assert (occupancy[site.hall.pk].inside, occupancy[site.hall.pk].entered) == (1, 2)
    assert scan(site, code, entrance=site.west).result == ScanResult.ACCEPTED
    occupancy = {h.room.pk if h.room else None: h for h in queries.hall_occupancy(site.event)}
    assert occupancy[site.hall.pk].inside == 2
    assert occupancy[None].inside == 0  # the venue gate saw nobody


def test_exit_without_entering_is_not_counted(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    assert scan(site, code, entrance=site.exit).result == ScanResult.NOT_INSIDE
    occupancy = {h.room.pk if h.room else None: h for h in queries.hall_occupancy(site.event)}
    assert occupancy[site.hall.pk].inside == 0


def test_halls_are_counted_separately(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    assert scan(site, code, entrance=site.gate).result == ScanResult.ACCEPTED
    assert scan(site, code, entrance=site.east).result == ScanResult.ACCEPTED
    assert scan(site, code, entrance=site.gate).result == ScanResult.REPEAT


def test_same_nonce_returns_the_first_result_and_counts_once(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    nonce = uuid.uuid4()
    first = scan(site, code, nonce=nonce)
    again = scan(site, code, nonce=nonce)
    third = scan(site, code, nonce=str(nonce))
    assert first.pk == again.pk == third.pk
    assert again.result == ScanResult.ACCEPTED
    assert Scan.objects.count() == 1
    counts = {c.entrance.pk: c for c in queries.entrance_counts(site.event)}
    assert (counts[site.east.pk].accepted, counts[site.east.pk].repeats) == (1, 0)


def test_nonce_of_another_entrance_is_refused(site: Site) -> None:
    code = badges.badge_code(make_badge(site.event))
    nonce = uuid.uuid4()
    scan(site, code, nonce=nonce, entrance=site.east)
    with pytest.raises(errors.InvalidInput):
        scan(site, code, nonce=nonce, entrance=site.gate)


@pytest.mark.parametrize("nonce", ["", "not-a-uuid", "1234", None])
def test_bad_nonce_is_invalid_input(site: Site, nonce: object) -> None:
    with pytest.raises(errors.InvalidInput):
        services.record_scan(
            entrance=site.east,
            code="x",
            nonce=nonce,
            scanned_at=None,
            staff=site.staff,  # type: ignore[arg-type]
        )


def test_naive_or_far_future_scan_time_is_invalid_input(site: Site) -> None:
    with pytest.raises(errors.InvalidInput):
        scan(site, "x", at=dt.datetime(2025, 1, 1, 10, 0))
    with pytest.raises(errors.InvalidInput):
        scan(site, "x", at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))


def test_issue_missing_badges_covers_confirmed_on_site_only(site: Site) -> None:
    from tests.factories.registration import RegistrationFactory

    confirmed = RegistrationFactory(category__event=site.event)
    RegistrationFactory(category__event=site.event, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(category__event=site.event, category__participation="online")
    already = make_badge(site.event)
    assert services.issue_missing_badges(event=site.event, by=SYSTEM) == 1
    assert badges.active_badge(confirmed) is not None
    assert badges.active_badge(already.registration) == already
    assert services.issue_missing_badges(event=site.event, by=SYSTEM) == 0
