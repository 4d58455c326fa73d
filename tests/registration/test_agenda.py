from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from madang.common.errors import NotFound
from madang.program.enums import SessionStatus
from madang.registration import agenda
from madang.registration.models import AgendaFeed, StarredSession
from tests.factories import EventFactory, SessionFactory, UserFactory, bilingual

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def session_page(session, language="en"):
    return url("session", language, slug=session.event.slug, session_slug=session.slug)


def at(hour, minute=0, zone=SEOUL):
    return dt.datetime(2030, 10, 10, hour, minute, tzinfo=zone)


def csrf_token_in(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def user():
    return UserFactory(username="minji")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


# --- services -----------------------------------------------------------------------------


def test_starring_twice_keeps_one_star_and_unstarring_twice_is_harmless(user):
    session = SessionFactory()
    first = agenda.star_session(user=user, session_id=session.pk)
    second = agenda.star_session(user=user, session_id=session.pk)
    assert first.pk == second.pk
    assert StarredSession.objects.filter(user=user).count() == 1
    assert agenda.unstar_session(user=user, session_id=session.pk) is True
    assert agenda.unstar_session(user=user, session_id=session.pk) is False
    assert not StarredSession.objects.exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda: SessionFactory(status=SessionStatus.DRAFT),
        lambda: SessionFactory(event=EventFactory(is_published=False)),
        lambda: SessionFactory(status=SessionStatus.DRAFT, starts_at=None, ends_at=None),
    ],
    ids=["draft", "unpublished-edition", "unscheduled"],
)
def test_sessions_outside_the_published_program_cannot_be_starred(user, make):
    session = make()
    with pytest.raises(NotFound):
        agenda.star_session(user=user, session_id=session.pk)
    assert not StarredSession.objects.exists()


def test_unknown_session_cannot_be_starred(user):
    with pytest.raises(NotFound):
        agenda.star_session(user=user, session_id=987654)


def test_overlapping_sessions_are_flagged_and_touching_ones_are_not(user):
    event = EventFactory()
    morning = SessionFactory(event=event, starts_at=at(10), ends_at=at(11))
    middle = SessionFactory(event=event, starts_at=at(10, 30), ends_at=at(11, 30))
    late = SessionFactory(event=event, starts_at=at(11), ends_at=at(12))
    alone = SessionFactory(event=event, starts_at=at(14), ends_at=at(15))
    for session in (late, alone, middle, morning):
        agenda.star_session(user=user, session_id=session.pk)

    (edition,) = agenda.agenda_for(user=user)
    overlaps = {e.session.pk: [o.pk for o in e.overlaps] for d in edition.days for e in d.entries}

    assert overlaps == {
        morning.pk: [middle.pk],
        middle.pk: [morning.pk, late.pk],
        late.pk: [middle.pk],
        alone.pk: [],
    }


def test_a_long_session_overlaps_every_session_inside_it():
    event = EventFactory()
    day = SessionFactory(event=event, starts_at=at(9), ends_at=at(18))
    inner = [
        SessionFactory(event=event, starts_at=at(hour), ends_at=at(hour + 1))
        for hour in (10, 12, 14)
    ]
    found = agenda.find_overlaps([*inner, day])
    assert [s.pk for s in found[day.pk]] == [s.pk for s in inner]
    assert all(found[s.pk] == [day] for s in inner)


def test_agenda_hides_sessions_unpublished_after_starring_and_other_users_stars(user):
    kept = SessionFactory()
    withdrawn = SessionFactory(event=kept.event)
    agenda.star_session(user=user, session_id=kept.pk)
    agenda.star_session(user=user, session_id=withdrawn.pk)
    agenda.star_session(user=UserFactory(), session_id=SessionFactory(event=kept.event).pk)
    withdrawn.status = SessionStatus.DRAFT
    withdrawn.save()

    (edition,) = agenda.agenda_for(user=user)
    assert [e.session.pk for d in edition.days for e in d.entries] == [kept.pk]


def test_rotating_a_feed_revokes_the_old_token_and_leaves_one_active(user):
    first = agenda.create_or_rotate_feed(user=user)
    second = agenda.create_or_rotate_feed(user=user)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.revoked_at is None
    assert second.token != first.token
    assert len(second.token) >= 43
    assert AgendaFeed.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert agenda.revoke_feed(user=user) is True
    assert agenda.revoke_feed(user=user) is False
    assert agenda.active_feed(user=user) is None


# --- the agenda page ----------------------------------------------------------------------


def test_agenda_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get(url("agenda"))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert "next=" in response["Location"]


def test_agenda_page_groups_by_edition_and_day_in_the_editions_zone_and_names_overlaps(
    signed_in, user
):
    seoul_week = EventFactory(name=bilingual("서울 위크", "Seoul Week"))
    berlin_week = EventFactory(
        name=bilingual("베를린 위크", "Berlin Week"),
        time_zone="Europe/Berlin",
        starts_on=dt.date(2031, 5, 5),
        ends_on=dt.date(2031, 5, 6),
    )
    talk = SessionFactory(
        event=seoul_week, title=bilingual("토론", "Debate"), starts_at=at(10), ends_at=at(11)
    )
    clash = SessionFactory(
        event=seoul_week, title=bilingual("워크숍", "Workshop"), starts_at=at(10, 30)
    )
    berlin = SessionFactory(
        event=berlin_week,
        title=bilingual("베를린", "Berlin talk"),
        starts_at=dt.datetime(2031, 5, 6, 9, 15, tzinfo=BERLIN),
        ends_at=dt.datetime(2031, 5, 6, 10, 0, tzinfo=BERLIN),
    )
    for session in (talk, clash, berlin):
        agenda.star_session(user=user, session_id=session.pk)

    response = signed_in.get(url("agenda"))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.index("Seoul Week") < html.index("Berlin Week")
    assert "Times are in Europe/Berlin." in html
    assert ">09:15</time>" in html  # Berlin's local time, not Seoul's
    assert re.search(r"Overlaps with</strong> <a [^>]+>Workshop</a>", html)
    assert re.search(r"Overlaps with</strong> <a [^>]+>Debate</a>", html)
    assert html.count('name="csrfmiddlewaretoken"') >= 4  # three unstar forms and the feed
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_agenda_page_query_count_does_not_grow_with_the_agenda(signed_in, user):
    event = EventFactory()
    agenda.star_session(user=user, session_id=SessionFactory(event=event).pk)
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(url("agenda")).status_code == 200
    for hour in range(11, 19):
        agenda.star_session(
            user=user, session_id=SessionFactory(event=event, starts_at=at(hour)).pk
        )
    agenda.star_session(user=user, session_id=SessionFactory().pk)  # another edition
    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(url("agenda")).status_code == 200
    assert len(many) == len(one)
    assert len(one) <= 5


def test_unstar_button_on_the_agenda_page_removes_the_session(signed_in, user):
    session = SessionFactory()
    agenda.star_session(user=user, session_id=session.pk)
    response = signed_in.post(url("agenda-unstar", session_id=session.pk), {"next": url("agenda")})
    assert response.status_code == 302
    assert response["Location"] == url("agenda")
    assert not StarredSession.objects.exists()


# --- star, unstar, the confirmation page ---------------------------------------------------


def test_confirmation_page_without_javascript_stars_the_session(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    session = SessionFactory(title=bilingual("세션", "Open data"))
    page = browser.get(url("agenda-star", session_id=session.pk), {"next": session_page(session)})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Open data" in html
    assert "no-store" in page["Cache-Control"]

    response = browser.post(
        url("agenda-star", session_id=session.pk),
        {"csrfmiddlewaretoken": csrf_token_in(html), "next": session_page(session)},
    )
    assert response.status_code == 302
    assert response["Location"] == session_page(session)
    assert StarredSession.objects.filter(user=user, session=session).exists()


def test_confirmation_page_asks_anonymous_visitors_to_log_in_first(client):
    session = SessionFactory()
    response = client.get(url("agenda-star", session_id=session.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("name", ["agenda-star", "agenda-unstar"])
def test_star_and_unstar_refuse_posts_without_a_csrf_token(user, name):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    session = SessionFactory()
    if name == "agenda-unstar":
        agenda.star_session(user=user, session_id=session.pk)
    response = browser.post(url(name, session_id=session.pk))
    assert response.status_code == 403
    expected = 1 if name == "agenda-unstar" else 0
    assert StarredSession.objects.count() == expected


@pytest.mark.parametrize("name", ["agenda-feed-rotate", "agenda-feed-revoke"])
def test_feed_buttons_refuse_posts_without_a_csrf_token(user, name):
    agenda.create_or_rotate_feed(user=user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(url(name))
    assert response.status_code == 403
    assert AgendaFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_starring_a_draft_by_post_is_not_found(signed_in):
    draft = SessionFactory(status=SessionStatus.DRAFT)
    assert signed_in.post(url("agenda-star", session_id=draft.pk)).status_code == 404
    assert signed_in.get(url("agenda-control", session_id=draft.pk)).status_code == 404
    assert not StarredSession.objects.exists()


@pytest.mark.parametrize(
    "next_value", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_star_never_redirects_off_site(signed_in, next_value):
    session = SessionFactory()
    response = signed_in.post(url("agenda-star", session_id=session.pk), {"next": next_value})
    assert response.status_code == 302
    assert response["Location"] == session_page(session)


def test_htmx_star_and_unstar_answer_with_the_control(signed_in, user):
    session = SessionFactory()
    starred = signed_in.post(url("agenda-star", session_id=session.pk), HTTP_HX_REQUEST="true")
    html = starred.content.decode()
    assert starred.status_code == 200
    assert "Remove from my agenda" in html
    assert 'role="status"' in html
    unstarred = signed_in.post(url("agenda-unstar", session_id=session.pk), HTTP_HX_REQUEST="true")
    assert "Add to my agenda" in unstarred.content.decode()
    assert not StarredSession.objects.exists()


# --- the public session page and the per-user control --------------------------------------


def test_public_session_page_is_the_same_for_a_user_who_starred_it_and_for_anyone(user):
    session = SessionFactory(title=bilingual("세션", "Mobility data"))
    agenda.star_session(user=user, session_id=session.pk)
    owner = Client()
    owner.force_login(user)

    as_owner = owner.get(session_page(session))
    as_anonymous = Client().get(session_page(session))

    assert as_owner.status_code == as_anonymous.status_code == 200
    assert as_owner.content == as_anonymous.content
    html = as_anonymous.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert "minji" not in html
    assert "Remove from my agenda" not in html
    control = url("agenda-control", session_id=session.pk)
    assert f'hx-get="{control}?next=' in html
    assert 'hx-trigger="load"' in html
    assert f'href="{url("agenda-star", session_id=session.pk)}?next=' in html


def test_public_session_page_rendered_first_for_anyone_holds_no_user_state_later(user):
    session = SessionFactory()
    anonymous = Client().get(session_page(session))
    agenda.star_session(user=user, session_id=session.pk)
    owner = Client()
    owner.force_login(user)
    assert owner.get(session_page(session)).content == anonymous.content


def test_program_list_links_each_session_to_its_confirmation_page_without_user_state(
    signed_in, user
):
    session = SessionFactory()
    agenda.star_session(user=user, session_id=session.pk)
    html = signed_in.get(url("program", slug=session.event.slug)).content.decode()
    assert f'href="{url("agenda-star", session_id=session.pk)}?next=' in html
    assert "csrfmiddlewaretoken" not in html


def test_control_shows_each_visitor_their_own_state(user):
    session = SessionFactory()
    agenda.star_session(user=user, session_id=session.pk)
    owner, other, anonymous = Client(), Client(), Client()
    owner.force_login(user)
    other.force_login(UserFactory(username="jisoo"))
    control = url("agenda-control", session_id=session.pk)

    mine = owner.get(control).content.decode()
    theirs = other.get(control).content.decode()
    nobody = anonymous.get(control)

    assert "Remove from my agenda" in mine and "In my agenda" in mine
    assert "Add to my agenda" in theirs and "In my agenda" not in theirs
    assert 'name="csrfmiddlewaretoken"' in mine and 'name="csrfmiddlewaretoken"' in theirs
    nobody_html = nobody.content.decode()
    assert "Log in to save to my agenda" in nobody_html
    assert "csrfmiddlewaretoken" not in nobody_html
    assert re.search(r'href="[^"]*next=', nobody_html)
    for response in (owner.get(control), nobody):
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


def test_control_is_translated_into_korean(signed_in):
    session = SessionFactory()
    html = signed_in.get(url("agenda-control", "ko", session_id=session.pk)).content.decode()
    with translation.override("ko"):
        assert translation.gettext("Add to my agenda") in html


# --- the private feed ---------------------------------------------------------------------


def test_feed_lists_the_owners_published_starred_sessions_only(signed_in, user):
    mine = SessionFactory(title=bilingual("나의 세션", "My session"), language="en")
    theirs = SessionFactory(title=bilingual("남의 세션", "Their session"), language="en")
    withdrawn = SessionFactory(title=bilingual("철회", "Withdrawn"), language="en")
    agenda.star_session(user=user, session_id=mine.pk)
    agenda.star_session(user=user, session_id=withdrawn.pk)
    agenda.star_session(user=UserFactory(), session_id=theirs.pk)
    withdrawn.status = SessionStatus.DRAFT
    withdrawn.save()

    assert signed_in.post(url("agenda-feed-rotate")).status_code == 302
    feed = agenda.active_feed(user=user)
    page = signed_in.get(url("agenda")).content.decode()
    assert feed.token in page
    assert "Keep this address secret" in page

    response = Client().get(url("agenda-feed", token=feed.token))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    assert "BEGIN:VCALENDAR" in body
    assert "SUMMARY:My session" in body
    assert str(mine.guid) in body
    assert "Their session" not in body
    assert "Withdrawn" not in body
    assert "TZID=Asia/Seoul" in body


def test_rotated_and_revoked_feed_addresses_stop_working(signed_in, user):
    signed_in.post(url("agenda-feed-rotate"))
    old = agenda.active_feed(user=user).token
    signed_in.post(url("agenda-feed-rotate"))
    new = agenda.active_feed(user=user).token
    anyone = Client()
    assert anyone.get(url("agenda-feed", token=old)).status_code == 404
    assert anyone.get(url("agenda-feed", token=new)).status_code == 200

    signed_in.post(url("agenda-feed-revoke"))
    assert anyone.get(url("agenda-feed", token=new)).status_code == 404
    assert "Create a private calendar address" in signed_in.get(url("agenda")).content.decode()


@pytest.mark.parametrize("token", ["unknown", "a" * 43, "-_-"])
def test_unknown_feed_tokens_are_not_found(client, token):
    assert client.get(url("agenda-feed", token=token)).status_code == 404


def test_agenda_is_a_reserved_edition_slug():
    from django.core.exceptions import ValidationError

    from madang.program.models import validate_not_reserved

    with pytest.raises(ValidationError):
        validate_not_reserved("agenda")
