"""Stages and caption files in the back office."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from madang.accounts.models import EditionRole
from madang.stage.models import CaptionFile, Stage
from tests.factories import RoomFactory, SessionFactory
from tests.factories.stage import StageFactory
from tests.stage.conftest import person_with

pytestmark = pytest.mark.django_db


def stage_form(room: Any, slug: str = "main-hall", **extra: str) -> dict[str, Any]:
    return {
        "room": room.pk,
        "slug": slug,
        "stream_kind": "auto",
        "sign_language_url": "",
        "tracks-TOTAL_FORMS": "1",
        "tracks-INITIAL_FORMS": "0",
        "tracks-MIN_NUM_FORMS": "0",
        "tracks-MAX_NUM_FORMS": "1000",
        "tracks-0-kind": "interpretation",
        "tracks-0-language": "en",
        "tracks-0-label_0": "영어 통역",
        "tracks-0-label_1": "English interpretation",
        "tracks-0-stream_url": "",
        "tracks-0-audio_url": "https://streams.example.org/en/audio.m3u8",
        "tracks-0-position": "1",
        **extra,
    }


def signed_in(role: str, event: Any) -> Client:
    client = Client()
    client.force_login(person_with(role, event))
    return client


def test_a_program_editor_sets_up_a_stage_with_a_language_track(
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = SessionFactory()
    client = signed_in(EditionRole.Role.PROGRAM_EDITOR, session.event)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/manage/stage/stage/add/", stage_form(session.room))
    assert response.status_code == 302, response.content.decode()[:2000]
    stage = Stage.objects.get()
    assert (stage.event, stage.room) == (session.event, session.room)
    assert [(t.language, str(t.label)) for t in stage.tracks.all()] == [
        ("en", "English interpretation")
    ]
    # The session page (cached until the program changes) now links to the stage.
    page = Client().get(f"/en/{session.event.slug}/sessions/{session.slug}/").content.decode()
    assert "Watch live" in page


def test_two_stages_of_an_edition_may_not_share_an_address_name() -> None:
    stage = StageFactory(slug="main-hall")
    other_room = RoomFactory(event=stage.event)
    client = signed_in(EditionRole.Role.ORGANISER, stage.event)
    response = client.post("/en/manage/stage/stage/add/", stage_form(other_room))
    assert response.status_code == 200
    assert "Another stage of this edition has this address name." in response.content.decode()
    assert Stage.objects.count() == 1


def test_a_caption_file_is_checked_on_upload() -> None:
    session = SessionFactory()
    client = signed_in(EditionRole.Role.MODERATOR, session.event)
    bad = SimpleUploadedFile("talk.vtt", b"WEBVTT\n\n00:05.000 --> 00:01.000\nHi\n")
    response = client.post(
        "/en/manage/stage/captionfile/add/",
        {"session": session.pk, "language": "en", "upload": bad},
    )
    assert response.status_code == 200
    assert "Line 3: a cue must end after it starts." in response.content.decode()
    good = SimpleUploadedFile("talk.vtt", b"WEBVTT\n\n00:01.000 --> 00:05.000\nHi\n")
    response = client.post(
        "/en/manage/stage/captionfile/add/",
        {"session": session.pk, "language": "en", "upload": good},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CaptionFile.objects.get().content == "WEBVTT\n\n00:01.000 --> 00:05.000\nHi\n"


def test_the_stage_list_links_to_the_captioner_page() -> None:
    stage = StageFactory(slug="main-hall")
    page = signed_in(EditionRole.Role.ORGANISER, stage.event).get("/en/manage/stage/stage/")
    assert f'href="/en/{stage.event.slug}/stage/main-hall/captioner/"' in page.content.decode()
