from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from i18nfield.strings import LazyI18nString

from madang.program import models
from madang.program.enums import SessionStatus
from tests.factories import (
    SEOUL,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    SessionRoleFactory,
    TrackFactory,
    UserFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["ko", "en"]
MODELS = ["event", "venue", "room", "track", "session", "person", "organisation", "city"]


@pytest.fixture
def organiser(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def program():
    event = EventFactory()
    room = RoomFactory(event=event)
    track = TrackFactory(event=event)
    city = models.City.objects.create(
        name=LazyI18nString({"ko": "서울", "en": "Seoul"}), country="KR"
    )
    venue = VenueFactory(event=event, city=city)
    session = SessionFactory(event=event, room=room, track=track)
    person = PersonFactory(city=city)
    SessionRoleFactory(session=session, person=person)
    return {
        "event": event,
        "venue": venue,
        "room": room,
        "track": track,
        "session": session,
        "person": person,
        "organisation": person.organisation,
        "city": city,
    }


def manage(language: str, *parts: object) -> str:
    return "/".join([f"/{language}/manage/program", *map(str, parts)]) + "/"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", MODELS)
def test_changelist_add_and_change_pages_render_for_a_superuser(
    organiser, program, model, language
):
    obj = program[model]

    for url in (
        manage(language, model),
        manage(language, model, "add"),
        manage(language, model, obj.pk, "change"),
    ):
        response = organiser.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", ["timetable", "conflicts"])
def test_organiser_pages_render_in_both_languages(organiser, program, page, language):
    response = organiser.get(manage(language, "event", program["event"].pk, page))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert "<table" in html
    assert "<h1>" in html


def test_bilingual_inputs_are_labelled_with_their_language(organiser, program):
    response = organiser.get(manage("en", "session", program["session"].pk, "change"))

    html = response.content.decode()
    assert 'for="id_title_0"><span class="i18n-field-name">Title: </span>Korean' in html
    assert 'for="id_title_1"><span class="i18n-field-name">Title: </span>English' in html
    assert 'lang="ko"' in html
    assert "program/manage/admin.css" in html


def test_timetable_marks_conflicts_in_words_and_links_each_session(organiser):
    event = EventFactory()
    hall = RoomFactory(event=event, name=LazyI18nString({"ko": "큰홀", "en": "Big hall"}))
    first = SessionFactory(
        event=event, room=hall, title=LazyI18nString({"ko": "하나", "en": "<b>One</b>"})
    )
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, starts_at=None, ends_at=None, status=SessionStatus.DRAFT)

    response = organiser.get(manage("en", "event", event.pk, "timetable"))

    html = response.content.decode()
    assert "Conflict:" in html
    assert "Room double-booked" in html
    assert "Big hall" in html
    assert f'href="/en/manage/program/session/{first.pk}/change/"' in html
    assert "&lt;b&gt;One&lt;/b&gt;" in html
    assert "<b>One</b>" not in html
    assert "Sessions without a time" in html


def test_conflicts_page_lists_each_conflict_with_links(organiser):
    event = EventFactory()
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall)

    response = organiser.get(manage("en", "event", event.pk, "conflicts"))

    html = response.content.decode()
    assert "Room double-booked" in html
    assert f'href="/en/manage/program/room/{hall.pk}/change/"' in html
    assert "1 error" in html


def test_conflicts_page_of_a_clean_program_says_so(organiser, program):
    response = organiser.get(manage("en", "event", program["event"].pk, "conflicts"))

    assert "No conflicts" in response.content.decode()


def test_event_change_form_and_changelist_link_to_the_organiser_pages(organiser, program):
    event = program["event"]
    timetable = manage("en", "event", event.pk, "timetable")

    assert timetable in organiser.get(manage("en", "event", event.pk, "change")).content.decode()
    assert timetable in organiser.get(manage("en", "event")).content.decode()


@pytest.mark.parametrize("page", ["timetable", "conflicts"])
def test_organiser_pages_take_the_same_queries_for_a_large_program(
    organiser, page, django_assert_max_num_queries
):
    event = EventFactory()
    rooms = RoomFactory.create_batch(5, event=event)
    for index in range(150):
        session = SessionFactory(
            event=event,
            room=rooms[index % 5],
            track=TrackFactory(event=event) if index % 50 == 0 else None,
            starts_at=dt.datetime(2030, 10, 10 + index // 50, 8, 0, tzinfo=SEOUL)
            + dt.timedelta(hours=(index % 50) // 5),
        )
        SessionRoleFactory(session=session)

    with django_assert_max_num_queries(12):
        response = organiser.get(manage("en", "event", event.pk, page))

    assert response.status_code == 200


@pytest.mark.parametrize("page", ["timetable", "conflicts"])
def test_organiser_pages_send_anonymous_visitors_to_log_in(client, program, page):
    response = client.get(manage("en", "event", program["event"].pk, page))

    assert response.status_code == 302
    assert "/en/manage/login/" in response["Location"]


@pytest.mark.parametrize("page", ["timetable", "conflicts"])
def test_organiser_pages_are_forbidden_to_staff_without_permission(client, program, page):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(manage("en", "event", program["event"].pk, page))

    assert response.status_code == 403


@pytest.mark.parametrize("page", ["timetable", "conflicts"])
def test_organiser_pages_are_open_to_staff_who_may_view_editions(client, program, page):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_event"))
    client.force_login(user)

    response = client.get(manage("en", "event", program["event"].pk, page))

    assert response.status_code == 200


@pytest.mark.parametrize("object_id", ["999999", "not-a-number"])
def test_organiser_page_of_an_unknown_edition_is_not_found(organiser, object_id):
    assert organiser.get(manage("en", "event", object_id, "timetable")).status_code == 404


def session_form_data(session, **changes):
    room, track = session.room, session.track
    data = {
        "event": session.event_id,
        "slug": session.slug,
        "title_0": "새 제목",
        "title_1": "New title",
        "abstract_0": "새 요약",
        "abstract_1": "New abstract",
        "kind": "panel",
        "language": "en",
        "status": SessionStatus.PUBLISHED,
        "starts_at_0": "2030-10-11",
        "starts_at_1": "14:00:00",
        "ends_at_0": "2030-10-11",
        "ends_at_1": "15:30:00",
        "room": room.pk if room else "",
        "track": track.pk if track else "",
        "capacity": "80",
        "stream_url": "",
        "recording_url": "",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-MIN_NUM_FORMS": "0",
        "roles-MAX_NUM_FORMS": "1000",
        "roles-0-person": "",
        "roles-0-role": "speaker",
        "roles-0-position": "0",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_saving_a_session_through_the_change_form_keeps_both_languages(organiser, language):
    event = EventFactory()
    session = SessionFactory(event=event, track=TrackFactory(event=event))
    moderator = PersonFactory()

    response = organiser.post(
        manage(language, "session", session.pk, "change"),
        session_form_data(session, **{"roles-0-person": moderator.pk, "roles-0-role": "moderator"}),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert session.title.data == {"ko": "새 제목", "en": "New title"}
    assert session.abstract.localize("en") == "New abstract"
    assert session.starts_at == dt.datetime(2030, 10, 11, 14, 0, tzinfo=SEOUL)
    assert session.capacity == 80
    assert list(session.roles.values_list("person_id", "role")) == [(moderator.pk, "moderator")]


def test_session_form_explains_an_end_before_the_start(organiser):
    session = SessionFactory()

    response = organiser.post(
        manage("en", "session", session.pk, "change"),
        session_form_data(session, ends_at_1="13:00:00"),
    )

    assert response.status_code == 200
    assert "The session must end after it starts." in response.content.decode()


def test_session_form_refuses_a_room_of_another_edition(organiser):
    session = SessionFactory()
    foreign_room = RoomFactory()

    response = organiser.post(
        manage("en", "session", session.pk, "change"),
        session_form_data(session, room=foreign_room.pk),
    )

    assert response.status_code == 200
    assert "Choose one from the same edition as the session." in response.content.decode()


def test_session_search_finds_korean_and_english_titles(organiser):
    event = EventFactory()
    wanted = SessionFactory(
        event=event, title=LazyI18nString({"ko": "스마트 교통", "en": "Mobility"})
    )
    SessionFactory(event=event, title=LazyI18nString({"ko": "에너지", "en": "Energy"}))

    for term in ("교통", "mobility"):
        response = organiser.get(manage("en", "session"), {"q": term})
        assert list(response.context["cl"].result_list) == [wanted], term


def test_person_autocomplete_finds_people_by_korean_name(organiser, program):
    kim = PersonFactory(name=LazyI18nString({"ko": "김민지", "en": "Minji Kim"}))

    response = organiser.get(
        "/en/manage/autocomplete/",
        {
            "term": "민지",
            "app_label": "program",
            "model_name": "sessionrole",
            "field_name": "person",
        },
    )

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(kim.pk)]


def test_sessions_can_be_filtered_by_edition_day_room_track_type_and_status(organiser):
    event = EventFactory(starts_on=dt.date(2030, 10, 10), ends_on=dt.date(2030, 10, 12))
    room, track = RoomFactory(event=event), TrackFactory(event=event)
    wanted = SessionFactory(
        event=event,
        room=room,
        track=track,
        kind="panel",
        starts_at=dt.datetime(2030, 10, 11, 9, 0, tzinfo=SEOUL),
    )
    SessionFactory(
        event=event,
        room=room,
        track=track,
        kind="panel",
        starts_at=dt.datetime(2030, 10, 10, 9, 0, tzinfo=SEOUL),
    )
    SessionFactory(
        room=RoomFactory(), kind="panel", starts_at=dt.datetime(2030, 10, 11, 9, 0, tzinfo=SEOUL)
    )

    response = organiser.get(
        manage("en", "session"),
        {
            "event__id__exact": event.pk,
            "day": "2030-10-11",
            "room__id__exact": room.pk,
            "track__id__exact": track.pk,
            "kind__exact": "panel",
            "status__exact": "published",
        },
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


def test_session_changelist_shrugs_off_a_malformed_day(organiser, program):
    response = organiser.get(manage("en", "session"), {"day": "yesterday"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_session_changelist_action_publishes_clean_drafts(organiser):
    draft = SessionFactory(status=SessionStatus.DRAFT)

    response = organiser.post(
        manage("en", "session"),
        {"action": "check_and_publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.status == SessionStatus.PUBLISHED
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 session published."]


def test_session_changelist_action_refuses_to_publish_a_clash(organiser):
    event = EventFactory()
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    draft = SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)

    response = organiser.post(
        manage("en", "session"),
        {"action": "check_and_publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    assert draft.status == SessionStatus.DRAFT
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Not published: 1 conflict must be resolved first."
    ]


def test_event_changelist_action_publishes_a_clean_edition(organiser):
    event = EventFactory(is_published=False)
    SessionFactory(event=event)

    organiser.post(
        manage("en", "event"), {"action": "check_and_publish", "_selected_action": [event.pk]}
    )

    event.refresh_from_db()
    assert event.is_published is True


def test_event_changelist_action_refuses_an_edition_with_conflicts(organiser):
    event = EventFactory(is_published=False, name=LazyI18nString({"ko": "위크"}))

    response = organiser.post(
        manage("en", "event"),
        {"action": "check_and_publish", "_selected_action": [event.pk]},
        follow=True,
    )

    event.refresh_from_db()
    assert event.is_published is False
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{event}: Not published: 1 conflict must be resolved first."
    ]


def test_event_changelist_action_unpublishes(organiser):
    event = EventFactory(is_published=True)

    organiser.post(manage("en", "event"), {"action": "unpublish", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert event.is_published is False


def test_organisation_add_form_saves_both_languages(organiser):
    response = organiser.post(
        manage("ko", "organisation", "add"),
        {
            "name_0": "서울시",
            "name_1": "Seoul Metropolitan Government",
            "website": "seoul.go.kr",
            "country": "KR",
        },
    )

    assert response.status_code == 302
    saved = models.Organisation.objects.get()
    assert saved.name.data == {"ko": "서울시", "en": "Seoul Metropolitan Government"}
    assert saved.website == "https://seoul.go.kr"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page_name", ["timetable", "conflicts"])
def test_organiser_pages_have_no_axe_violations_in_a_real_browser(live_server, page_name):
    import os
    from pathlib import Path

    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("MADANG_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.skip(f"no Chromium at {chromium}")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    event = EventFactory()
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall, title=LazyI18nString({"ko": "충돌"}))
    user = UserFactory(username="organiser", is_staff=True, is_superuser=True)
    user.set_password("a long organiser password")
    user.save()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{live_server.url}/en/manage/login/")
        page.fill("#id_username", "organiser")
        page.fill("#id_password", "a long organiser password")
        page.click("input[type=submit]")
        for language in LANGUAGES:
            page.goto(f"{live_server.url}{manage(language, 'event', event.pk, page_name)}")
            assert page.locator("h1").count() == 1
            assert page.get_attribute("html", "lang") == language
            results = Axe().run(page, context="#content")
            assert results.violations_count == 0, results.generate_report()
        browser.close()


def test_session_times_are_entered_and_shown_in_the_editions_own_zone(organiser):
    zone = zoneinfo.ZoneInfo("America/Los_Angeles")
    event = EventFactory(time_zone="America/Los_Angeles")
    session = SessionFactory(event=event, starts_at=dt.datetime(2030, 10, 10, 9, 0, tzinfo=zone))

    form = organiser.get(manage("en", "session", session.pk, "change")).content.decode()
    response = organiser.post(
        manage("en", "session", session.pk, "change"), session_form_data(session)
    )

    assert 'value="09:00:00"' in form
    assert response.status_code == 302, response.content.decode()[:3000]
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2030, 10, 11, 14, 0, tzinfo=zone)
