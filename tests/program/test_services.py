from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import translation
from i18nfield.strings import LazyI18nString

from madang.common import errors
from madang.program.caching import program_version
from madang.program.conflicts import ConflictKind
from madang.program.enums import RoomKind, SessionStatus
from madang.program.models import Event, Session
from madang.program.services import publish_event, publish_sessions, unpublish_event
from tests.factories import EventFactory, RoomFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="program", codename__in=codenames)
    )
    # A fresh instance: Django caches permissions on the user object.
    return type(user).objects.get(pk=user.pk)


def status_of(session: Session) -> str:
    return Session.objects.values_list("status", flat=True).get(pk=session.pk)


def test_publish_event_refuses_when_published_sessions_clash():
    event = EventFactory(is_published=False)
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall)

    with pytest.raises(errors.Conflict) as refused, translation.override("en"):
        publish_event(event=event, actor=user_with("change_event"))

    assert refused.value.message == "Not published: 1 conflict must be resolved first."
    assert Event.objects.get(pk=event.pk).is_published is False


def test_publish_event_refusal_counts_every_error():
    event = EventFactory(is_published=False, name=LazyI18nString({"ko": "위크"}))
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    SessionFactory(event=event, room=hall)

    with pytest.raises(errors.Conflict) as refused, translation.override("en"):
        publish_event(event=event, actor=user_with("change_event"))

    assert refused.value.message == "Not published: 2 conflicts must be resolved first."


def test_publish_event_succeeds_without_errors_and_reports_warnings():
    event = EventFactory(is_published=False)
    online = RoomFactory(event=event, kind=RoomKind.ONLINE, stream_url="")
    SessionFactory(event=event, room=online)

    result = publish_event(event=event, actor=user_with("change_event"))

    assert Event.objects.get(pk=event.pk).is_published is True
    assert event.is_published is True
    assert result.event_ids == (event.pk,)
    assert [w.kind for w in result.warnings] == [ConflictKind.ONLINE_ROOM_WITHOUT_STREAM]


def test_publish_event_ignores_conflicts_between_drafts():
    event = EventFactory(is_published=False)
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)
    SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)

    publish_event(event=event, actor=user_with("change_event"))

    assert Event.objects.get(pk=event.pk).is_published is True


def test_publish_event_is_denied_without_change_permission():
    event = EventFactory(is_published=False)

    with pytest.raises(errors.PermissionDenied):
        publish_event(event=event, actor=user_with("view_event", "change_session"))
    with pytest.raises(errors.PermissionDenied):
        publish_event(event=event, actor=AnonymousUser())

    assert Event.objects.get(pk=event.pk).is_published is False


def test_unpublish_event_hides_the_edition_and_needs_permission():
    event = EventFactory(is_published=True)

    with pytest.raises(errors.PermissionDenied):
        unpublish_event(event=event, actor=user_with("view_event"))
    unpublish_event(event=event, actor=user_with("change_event"))

    assert Event.objects.get(pk=event.pk).is_published is False


def test_publish_sessions_publishes_clean_drafts_and_makes_cache_stale(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    drafts = [
        SessionFactory(event=event, status=SessionStatus.DRAFT),
        SessionFactory(event=event, status=SessionStatus.DRAFT, room=RoomFactory(event=event)),
    ]
    already = SessionFactory(event=event, room=RoomFactory(event=event))
    before = program_version(event.pk)

    with django_capture_on_commit_callbacks(execute=True):
        result = publish_sessions(sessions=[*drafts, already], actor=user_with("change_session"))

    assert [status_of(s) for s in [*drafts, already]] == [SessionStatus.PUBLISHED] * 3
    assert result.sessions_published == 2
    assert result.event_ids == (event.pk,)
    assert program_version(event.pk) != before


def test_publish_sessions_refuses_a_session_that_clashes_with_a_published_one():
    event = EventFactory()
    hall = RoomFactory(event=event)
    SessionFactory(event=event, room=hall)
    clashing = SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)
    fine = SessionFactory(event=event, room=RoomFactory(event=event), status=SessionStatus.DRAFT)

    with pytest.raises(errors.Conflict):
        publish_sessions(sessions=[clashing, fine], actor=user_with("change_session"))

    # All or none: the clean one stays a draft too.
    assert [status_of(clashing), status_of(fine)] == [SessionStatus.DRAFT, SessionStatus.DRAFT]


def test_publish_sessions_refuses_a_session_without_a_time():
    event = EventFactory()
    unscheduled = SessionFactory(
        event=event, starts_at=None, ends_at=None, status=SessionStatus.DRAFT
    )

    with pytest.raises(errors.Conflict):
        publish_sessions(sessions=[unscheduled], actor=user_with("change_session"))

    assert status_of(unscheduled) == SessionStatus.DRAFT


def test_publish_sessions_is_not_blocked_by_other_drafts():
    event = EventFactory()
    hall = RoomFactory(event=event)
    chosen = SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)
    SessionFactory(event=event, room=hall, status=SessionStatus.DRAFT)

    publish_sessions(
        sessions=Session.objects.filter(pk=chosen.pk), actor=user_with("change_session")
    )

    assert status_of(chosen) == SessionStatus.PUBLISHED


def test_publish_sessions_checks_each_edition_on_its_own():
    first, second = EventFactory(), EventFactory()
    one = SessionFactory(event=first, status=SessionStatus.DRAFT)
    other = SessionFactory(event=second, status=SessionStatus.DRAFT)

    result = publish_sessions(sessions=[one, other], actor=user_with("change_session"))

    assert result.event_ids == tuple(sorted([first.pk, second.pk]))
    assert [status_of(one), status_of(other)] == [SessionStatus.PUBLISHED] * 2


def test_publish_sessions_is_denied_without_change_permission():
    draft = SessionFactory(status=SessionStatus.DRAFT)

    with pytest.raises(errors.PermissionDenied):
        publish_sessions(sessions=[draft], actor=user_with("view_session", "change_event"))

    assert status_of(draft) == SessionStatus.DRAFT
