"""Stage services: caption lines, tokens and files, and viewer leases."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import translation

from madang.accounts.models import EditionRole
from madang.common import errors, realtime
from madang.common.realtime import store
from madang.live import groups
from madang.stage import presence, services
from madang.stage.models import CaptionFile, CaptionLine, CaptionSource
from tests.factories import EventFactory
from tests.stage.conftest import person_with

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"


@pytest.fixture(autouse=True)
def fresh_store() -> Any:
    realtime.reset_store()
    yield
    realtime.reset_store()


def test_a_caption_line_is_stored_with_the_session_on_stage_and_published(
    stage: Any, on_now: Any, captioner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        line = services.push_caption_line(
            stage=stage, language="ko", text="  안녕하세요,   여러분 ", by=captioner
        )
    stored = CaptionLine.objects.get()
    assert (stored.pk, stored.text, stored.session, stored.source, stored.written_by) == (
        line.pk,
        "안녕하세요, 여러분",
        on_now,
        CaptionSource.CAPTIONER,
        captioner,
    )
    group = groups.captions(stage.pk)
    published = store().since(group, store().state(group)[0], 0)
    assert published is not None
    assert [(p.type, p.data["line"]["text"]) for p in published] == [
        ("caption.line", "안녕하세요, 여러분")
    ]


@pytest.mark.parametrize("role", [None, EditionRole.Role.ATTENDEE, EditionRole.Role.SPEAKER])
def test_only_moderators_and_organisers_write_captions(stage: Any, role: str | None) -> None:
    with pytest.raises(errors.PermissionDenied):
        services.push_caption_line(
            stage=stage, language="ko", text="x", by=person_with(role, stage.event)
        )
    assert CaptionLine.objects.count() == 0


def test_a_role_in_another_edition_gives_no_right_to_caption(stage: Any) -> None:
    elsewhere = person_with(EditionRole.Role.ORGANISER, EventFactory())
    with pytest.raises(errors.PermissionDenied):
        services.push_caption_line(stage=stage, language="ko", text="x", by=elsewhere)


@pytest.mark.parametrize(
    ("language", "text", "message"),
    [
        ("ko", "   ", "Write the caption line first."),
        ("ko", "x" * 501, "A caption line may have at most 500 characters."),
        ("ja", "こんにちは", "Captions are not offered in this language here."),
    ],
)
def test_bad_lines_are_refused_with_a_clear_message(
    stage: Any, captioner: Any, language: str, text: str, message: str
) -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        services.push_caption_line(stage=stage, language=language, text=text, by=captioner)
    assert refused.value.message == message


def test_a_track_language_is_a_caption_language(stage: Any, captioner: Any) -> None:
    stage.tracks.create(kind="interpretation", language="zh", label={"en": "Chinese"})
    line = services.push_caption_line(stage=stage, language="zh", text="你好", by=captioner)
    assert line.language == "zh"


def test_a_token_works_until_it_is_replaced_or_revoked(stage: Any, captioner: Any) -> None:
    first = services.issue_caption_token(stage=stage, by=captioner)
    services.push_caption_line_with_token(stage=stage, token=first, language="en", text="one")
    second = services.issue_caption_token(stage=stage, by=captioner)
    assert first != second
    with pytest.raises(errors.PermissionDenied):
        services.push_caption_line_with_token(stage=stage, token=first, language="en", text="x")
    services.push_caption_line_with_token(stage=stage, token=second, language="en", text="two")
    services.revoke_caption_token(stage=stage, by=captioner)
    stage.refresh_from_db()
    with pytest.raises(errors.PermissionDenied):
        services.push_caption_line_with_token(stage=stage, token=second, language="en", text="x")
    assert list(CaptionLine.objects.values_list("text", "source")) == [
        ("one", CaptionSource.API),
        ("two", CaptionSource.API),
    ]
    # Only a hash is stored.
    assert second not in str(stage.__dict__)


def test_only_captioners_issue_tokens(stage: Any) -> None:
    with pytest.raises(errors.PermissionDenied):
        services.issue_caption_token(stage=stage, by=person_with(None, stage.event))


def test_a_caption_file_is_stored_and_replaced(on_now: Any, captioner: Any) -> None:
    services.upload_caption_file(session=on_now, language="en", data=VTT, by=captioner)
    services.upload_caption_file(
        session=on_now,
        language="en",
        data=b"\xef\xbb\xbf" + VTT.replace(b"Hello", b"Hi"),
        by=captioner,
    )
    assert list(CaptionFile.objects.values_list("language", "content")) == [
        ("en", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n")
    ]


def test_an_invalid_caption_file_is_refused_in_the_users_language(
    on_now: Any, captioner: Any
) -> None:
    with translation.override("en"), pytest.raises(errors.InvalidInput) as refused:
        services.upload_caption_file(
            session=on_now, language="en", data=b"not a caption file", by=captioner
        )
    assert refused.value.message == 'A WebVTT file must start with the line "WEBVTT".'
    assert CaptionFile.objects.count() == 0


def test_viewers_are_counted_by_lease_and_the_count_is_published_at_most_every_few_seconds(
    stage: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert services.watch_stage(stage_id=stage.pk, connection_id="a") == 1
        assert services.watch_stage(stage_id=stage.pk, connection_id="b") == 2
        assert services.watch_stage(stage_id=stage.pk, connection_id="a") == 2  # a renewal
    group = groups.stage_viewers(stage.pk)
    published = store().since(group, store().state(group)[0], 0)
    # The first count went out; the next two came within the interval.
    assert [p.data for p in published or []] == [{"count": 1}]
    assert services.leave_stage(stage_id=stage.pk, connection_id="a") == 1
    assert presence.leases().count(stage.pk) == 1


def test_a_lapsed_lease_stops_counting(stage: Any, monkeypatch: Any) -> None:
    services.watch_stage(stage_id=stage.pk, connection_id="a")
    later = time.time() + presence.LEASE_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert presence.leases().count(stage.pk) == 0
    assert services.watch_stage(stage_id=stage.pk, connection_id="b") == 1


def test_an_unpublished_stage_cannot_be_watched(stage: Any) -> None:
    stage.event.is_published = False
    stage.event.save()
    with pytest.raises(errors.NotFound):
        services.watch_stage(stage_id=stage.pk, connection_id="a")
