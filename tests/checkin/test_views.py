"""Check-in pages and endpoints over HTTP: permissions, sync, counts, rate limit, badge PDF."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from madang.accounts.models import EditionRole
from madang.checkin import badges
from madang.checkin.models import Scan, ScanResult
from madang.registration.enums import Participation, RegistrationStatus
from tests.checkin.conftest import Site, give_role, make_badge
from tests.factories import EventFactory, UserFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db
Role = EditionRole.Role


def url(name: str, site: Site, **kwargs: Any) -> str:
    with translation.override("en"):
        return reverse(name, kwargs={"slug": site.event.slug, **kwargs})


def post_scans(client: Client, site: Site, scans: list[dict[str, Any]]) -> Any:
    return client.post(
        url("checkin-sync", site),
        data=json.dumps({"scans": scans}),
        content_type="application/json",
    )


def item(site: Site, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "nonce": str(uuid.uuid4()),
        "entrance": site.east.pk,
        "code": code,
        "scanned_at": "2025-10-10T01:42:00Z",
        **extra,
    }


def user_with(site: Site, who: str) -> Any:
    if who == "anonymous":
        return None
    user = UserFactory()
    if who == "organiser":
        give_role(user, site.event, Role.ORGANISER)
    elif who == "checkin staff":
        give_role(user, site.event, Role.CHECKIN_STAFF)
    elif who == "attendee":
        give_role(user, site.event, Role.ATTENDEE)
    elif who == "staff of another edition":
        give_role(user, EventFactory(), Role.CHECKIN_STAFF)
    return user


WHO = ["anonymous", "attendee", "staff of another edition", "checkin staff", "organiser"]
ALLOWED = {"checkin staff", "organiser"}


@pytest.mark.parametrize("who", WHO)
def test_permission_matrix_of_pages_and_endpoints(site: Site, who: str) -> None:
    client = Client()
    user = user_with(site, who)
    if user is not None:
        client.force_login(user)
    code = badges.badge_code(make_badge(site.event))
    pages = [url("checkin", site), url("checkin-entrance", site, entrance_id=site.east.pk)]
    for page in pages:
        response = client.get(page)
        if who in ALLOWED:
            assert response.status_code == 200
        elif who == "anonymous":
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403
            assert b"check-in staff" in response.content
    counts = client.get(url("checkin-counts", site))
    synced = post_scans(client, site, [item(site, code)])
    expected = 200 if who in ALLOWED else 403
    assert (counts.status_code, synced.status_code) == (expected, expected)
    assert Scan.objects.count() == (1 if who in ALLOWED else 0)


def test_sync_needs_the_csrf_token(site: Site) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.staff)
    code = badges.badge_code(make_badge(site.event))
    assert post_scans(client, site, [item(site, code)]).status_code == 403
    page = client.get(url("checkin-entrance", site, entrance_id=site.east.pk))
    token = json.loads(
        page.content.decode()
        .split('id="checkin-config" type="application/json">')[1]
        .split("</script>")[0]
    )["csrfToken"]
    response = client.post(
        url("checkin-sync", site),
        data=json.dumps({"scans": [item(site, code)]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["result"] == "accepted"


def test_sync_answers_each_scan_and_a_resent_batch_counts_once(site: Site) -> None:
    client = Client()
    client.force_login(site.staff)
    badge = make_badge(site.event, name="مريم العتيبي")
    code = badges.badge_code(badge)
    revoked = make_badge(site.event)
    badges.revoke_badges(revoked.registration)
    batch = [
        item(site, code),
        item(site, code, entrance=site.west.pk),
        item(site, badges.badge_code(revoked)),
        item(site, code[:-3]),
    ]
    first = post_scans(client, site, batch).json()["results"]
    again = post_scans(client, site, batch).json()["results"]
    assert [r["result"] for r in first] == ["accepted", "repeat", "revoked", "forged"]
    assert first == again
    assert first[0]["name"] == "مريم العتيبي"
    assert "East" in first[1]["detail"]
    assert Scan.objects.count() == 4
    counts = client.get(url("checkin-counts", site)).json()
    east = next(e for e in counts["entrances"] if e["id"] == site.east.pk)
    assert (east["accepted"], east["refused"]) == (1, 2)
    hall = next(h for h in counts["halls"] if h["id"] == site.hall.pk)
    assert hall["inside"] == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"scans": []}',
        '{"scans": "x"}',
        json.dumps({"scans": [{"nonce": "x"}] * 51}),
        "\udcff",
    ],
)
def test_malformed_sync_bodies_get_a_translated_400(site: Site, body: str) -> None:
    client = Client()
    client.force_login(site.staff)
    response = client.post(
        url("checkin-sync", site),
        data=body.encode("utf-8", "surrogateescape"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_bad_items_are_refused_one_by_one(site: Site) -> None:
    client = Client()
    client.force_login(site.staff)
    other_entrance = EventFactory().entrances.create(name={"ko": "x", "en": "x"})
    code = badges.badge_code(make_badge(site.event))
    results = post_scans(
        client,
        site,
        [
            item(site, code, nonce="nope"),
            item(site, code, entrance=other_entrance.pk),
            item(site, code, scanned_at="yesterday"),
            item(site, code, scanned_at="2025-10-10T10:42:00"),
            "junk",
            item(site, 42),
            item(site, code),
        ],
    ).json()["results"]
    assert [r["result"] for r in results] == ["error"] * 5 + ["forged", "accepted"]
    assert all(r["detail"] for r in results)
    assert Scan.objects.count() == 2


def test_sync_is_rate_limited_per_user(site: Site, settings: Any) -> None:
    settings.CHECKIN_SYNC_RATE_LIMIT = 3
    client = Client()
    client.force_login(site.staff)
    code = badges.badge_code(make_badge(site.event))
    statuses = [post_scans(client, site, [item(site, code)]).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = UserFactory()
    give_role(other, site.event, Role.CHECKIN_STAFF)
    client.force_login(other)
    assert post_scans(client, site, [item(site, code)]).status_code == 200


def test_scan_page_shows_counts_and_escapes_names(site: Site) -> None:
    site.east.name = {"ko": "<b>동문</b>", "en": "<b>East</b>"}
    site.east.save()
    client = Client()
    client.force_login(site.staff)
    response = client.get(url("checkin-entrance", site, entrance_id=site.east.pk))
    assert response.status_code == 200
    assert b"<b>East</b>" not in response.content
    assert b"&lt;b&gt;East&lt;/b&gt;" in response.content
    assert b'aria-live="assertive"' in response.content
    assert b"checkin/checkin.js" in response.content
    missing = client.get(url("checkin-entrance", site, entrance_id=999999))
    assert missing.status_code == 404


def config_of(page: Any) -> dict[str, Any]:
    text = page.content.decode()
    return json.loads(  # type: ignore[no-any-return]
        text.split('id="checkin-config" type="application/json">')[1].split("</script>")[0]
    )


def test_a_code_posted_before_the_script_ran_is_handed_to_it_and_not_recorded(
    site: Site,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.staff)
    page_url = url("checkin-entrance", site, entrance_id=site.east.pk)
    page = client.get(page_url)
    assert config_of(page)["pending"] == ""
    token = config_of(page)["csrfToken"]
    code = badges.badge_code(make_badge(site.event))
    refused = client.post(page_url, {"code": code})
    assert refused.status_code == 403
    posted = client.post(page_url, {"code": f"  {code}\n", "csrfmiddlewaretoken": token})
    assert posted.status_code == 200
    assert config_of(posted)["pending"] == code
    assert Scan.objects.count() == 0
    script = '<script id="x">'
    escaped = client.post(page_url, {"code": script + "x" * 300, "csrfmiddlewaretoken": token})
    assert script.encode() not in escaped.content
    assert len(config_of(escaped)["pending"]) == 200


def test_a_posted_code_is_still_refused_to_others(site: Site) -> None:
    client = Client()
    client.force_login(user_with(site, "attendee"))
    page_url = url("checkin-entrance", site, entrance_id=site.east.pk)
    assert client.post(page_url, {"code": "MB1.x"}).status_code == 403


def test_registrant_downloads_their_badge_pdf(site: Site) -> None:
    registration = RegistrationFactory(category__event=site.event, name="김민지")
    response = Client().get(url("registration-badge-pdf", site, token=registration.manage_token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert badges.active_badge(registration) is not None


def test_badge_pdf_of_unknown_token_or_unconfirmed_registration_is_not_found(site: Site) -> None:
    waiting = RegistrationFactory(category__event=site.event, status=RegistrationStatus.WAITLISTED)
    online = RegistrationFactory(
        category__event=site.event, category__participation=Participation.ONLINE
    )
    client = Client()
    assert client.get(url("registration-badge-pdf", site, token="nope")).status_code == 404
    no_badge = client.get(url("registration-badge-pdf", site, token=waiting.manage_token))
    assert no_badge.status_code == 404
    assert b"confirmed" in no_badge.content
    assert (
        client.get(url("registration-badge-pdf", site, token=online.manage_token)).status_code
        == 404
    )


def test_badge_pdf_is_rate_limited(site: Site, settings: Any) -> None:
    settings.CHECKIN_BADGE_PDF_RATE_LIMIT = 1
    registration = RegistrationFactory(category__event=site.event)
    client = Client()
    target = url("registration-badge-pdf", site, token=registration.manage_token)
    assert client.get(target).status_code == 200
    assert client.get(target).status_code == 429


def test_registration_badge_partial_renders_qr_code_and_link(site: Site) -> None:
    from django.template.loader import render_to_string

    registration = RegistrationFactory(category__event=site.event)
    with translation.override("en"):
        html = render_to_string("checkin/_registration_badge.html", {"registration": registration})
    badge = badges.active_badge(registration)
    assert badge is not None
    assert "<svg" in html
    assert badges.badge_code(badge) in html
    assert f"/registration/{registration.manage_token}/badge.pdf" in html
    waiting = RegistrationFactory(category__event=site.event, status=RegistrationStatus.WAITLISTED)
    with translation.override("en"):
        html = render_to_string("checkin/_registration_badge.html", {"registration": waiting})
    assert "<svg" not in html
    assert "once your place is confirmed" in html


def test_scan_result_is_scanned_as_a_repeat_after_reissue_of_another(site: Site) -> None:
    # A scan of a code whose badge was revoked after it was queued is still refused.
    client = Client()
    client.force_login(site.staff)
    badge = make_badge(site.event)
    code = badges.badge_code(badge)
    badges.reissue_badge(badge.registration)
    result = post_scans(client, site, [item(site, code)]).json()["results"][0]
    assert result["result"] == ScanResult.REVOKED
