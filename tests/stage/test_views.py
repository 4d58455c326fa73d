"""The stage page, caption files, the captioner page and the caption API over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from madang.accounts.models import EditionRole
from madang.stage import services
from madang.stage.models import CaptionFile, CaptionLine
from tests.factories import SessionFactory
from tests.stage.conftest import person_with

pytestmark = pytest.mark.django_db


def url(stage: Any, rest: str = "", language: str = "en") -> str:
    return f"/{language}/{stage.event.slug}/stage/{stage.slug}/{rest}"


def test_the_stage_page_shows_the_session_on_now_and_the_player(
    client: Client, stage: Any, on_now: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        response = client.get(url(stage))
    page = response.content.decode()
    assert response.status_code == 200
    assert str(on_now.title.localize("en")) in page
    assert 'src="https://www.youtube-nocookie.com/embed/abcdefghijk?rel=0"' in page
    assert "English interpretation" in page
    assert "{# Q&amp;A" not in page and "{#" not in page


def test_the_stage_page_is_reached_by_room_number_and_is_bilingual(
    client: Client, stage: Any
) -> None:
    response = client.get(f"/ko/{stage.event.slug}/stage/{stage.room_id}/")
    assert response.status_code == 200
    assert '<html lang="ko"' in response.content.decode()


def test_without_javascript_the_query_string_chooses_the_track_and_sound_only(
    client: Client, stage: Any
) -> None:
    english = stage.tracks.get(language="en")
    page = client.get(url(stage) + f"?track={english.pk}&audio=1").content.decode()
    # The sound-only stream of the English track, not the floor's video.
    assert '<audio class="stage-audio"' not in page  # an HLS audio stream plays in <video>
    assert 'src="https://streams.example.org/en/audio.m3u8"' in page
    assert "<iframe" not in page
    assert f'value="{english.pk}" checked' in page


def test_the_sign_language_video_is_shown_on_request(client: Client, stage: Any) -> None:
    stage.sign_language_url = "https://streams.example.org/sign.m3u8"
    stage.save()
    assert 'class="stage-sign" data-sign hidden' in client.get(url(stage)).content.decode()
    page = client.get(url(stage) + "?sign=1").content.decode()
    assert 'src="https://streams.example.org/sign.m3u8"' in page


def test_unknown_and_unpublished_stages_are_not_found(client: Client, stage: Any) -> None:
    assert client.get(f"/en/{stage.event.slug}/stage/nothing-here/").status_code == 404
    stage.event.is_published = False
    stage.event.save()
    assert client.get(url(stage)).status_code == 404


def test_up_next_and_the_recording_of_the_session_that_ended(client: Client, stage: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    SessionFactory(
        event=stage.event,
        room=stage.room,
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now - dt.timedelta(hours=1),
        recording_url="https://video.example.org/recording",
    )
    later = SessionFactory(
        event=stage.event, room=stage.room, starts_at=now + dt.timedelta(minutes=30)
    )
    page = client.get(url(stage)).content.decode()
    assert "Up next" in page and str(later.title.localize("en")) in page
    assert 'href="https://video.example.org/recording"' in page
    assert "data-countdown=" in page


def test_the_session_page_links_to_its_rooms_stage(client: Client, stage: Any, on_now: Any) -> None:
    page = client.get(f"/en/{stage.event.slug}/sessions/{on_now.slug}/").content.decode()
    assert f'href="/en/{stage.event.slug}/stage/main-hall/">Watch live</a>' in page
    other = SessionFactory(event=stage.event)
    page = client.get(f"/en/{stage.event.slug}/sessions/{other.slug}/").content.decode()
    assert "Watch live" not in page


def test_caption_files_are_served_as_webvtt_tracks(
    client: Client, stage: Any, on_now: Any, captioner: Any
) -> None:
    vtt = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"
    caption_file = services.upload_caption_file(
        session=on_now, language="en", data=vtt, by=captioner
    )
    served = client.get(url(stage, f"captions/{caption_file.pk}.vtt"))
    assert (served.status_code, served["Content-Type"], served.content) == (
        200,
        "text/vtt; charset=utf-8",
        vtt,
    )
    stage.room.stream_url = "https://streams.example.org/floor.m3u8"
    stage.room.save()
    page = client.get(url(stage)).content.decode()
    vtt_url = f"{url(stage)}captions/{caption_file.pk}.vtt"
    assert f'<track kind="captions" srclang="en" label="English" src="{vtt_url}">' in page
    other = SessionFactory()
    elsewhere = CaptionFile.objects.create(session=other, language="en", content="WEBVTT\n")
    assert client.get(url(stage, f"captions/{elsewhere.pk}.vtt")).status_code == 404


# The captioner page ----------------------------------------------------------------------------


def test_the_captioner_page_needs_sign_in_and_the_caption_permission(
    client: Client, stage: Any
) -> None:
    response = client.get(url(stage, "captioner/"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(person_with(EditionRole.Role.ATTENDEE, stage.event))
    assert client.get(url(stage, "captioner/")).status_code == 403
    client.force_login(person_with(EditionRole.Role.MODERATOR, stage.event))
    assert client.get(url(stage, "captioner/")).status_code == 200


def test_a_captioner_sends_lines_with_and_without_javascript(
    client: Client, stage: Any, captioner: Any
) -> None:
    client.force_login(captioner)
    plain = client.post(url(stage, "captioner/"), {"language": "en", "text": "Hello"})
    assert plain.status_code == 302 and plain["Location"].endswith("?language=en")
    scripted = client.post(
        url(stage, "captioner/"),
        {"language": "ko", "text": "<b>안녕</b>"},
        headers={"Accept": "application/json"},
    )
    assert scripted.status_code == 201
    assert scripted.json()["line"]["text"] == "<b>안녕</b>"
    empty = client.post(
        url(stage, "captioner/"),
        {"language": "ko", "text": " "},
        headers={"Accept": "application/json"},
    )
    assert (empty.status_code, empty.json()) == (400, {"error": "Write the caption line first."})
    page = client.post(url(stage, "captioner/"), {"language": "ko", "text": ""})
    assert page.status_code == 400 and "Write the caption line first." in page.content.decode()
    assert list(CaptionLine.objects.values_list("text", flat=True)) == ["Hello", "<b>안녕</b>"]


def test_the_captioner_page_needs_its_csrf_token(stage: Any, captioner: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(captioner)
    assert client.post(url(stage, "captioner/"), {"language": "en", "text": "x"}).status_code == 403


def test_a_token_is_shown_once_and_can_be_revoked(
    client: Client, stage: Any, captioner: Any
) -> None:
    client.force_login(captioner)
    page = client.post(url(stage, "captioner/token/"), {"action": "issue"}).content.decode()
    token = page.split("<code data-caption-token>")[1].split("</code>")[0]
    assert token.startswith(f"cap_{stage.pk}_")
    assert token not in client.get(url(stage, "captioner/")).content.decode()
    client.post(url(stage, "captioner/token/"), {"action": "revoke"})
    stage.refresh_from_db()
    assert stage.caption_token_hash == ""


# The caption API -------------------------------------------------------------------------------


def api(client: Client, stage: Any, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        url(stage, "captions/"), data=data, content_type="application/json", headers=headers
    )


@pytest.fixture
def token(stage: Any, captioner: Any) -> str:
    return services.issue_caption_token(stage=stage, by=captioner)


def test_captioning_software_sends_lines_with_the_token(
    client: Client, stage: Any, token: str
) -> None:
    response = api(client, stage, {"language": "en", "text": "Good morning"}, token)
    assert response.status_code == 201
    assert response.json()["line"]["text"] == "Good morning"
    assert CaptionLine.objects.get().source == "api"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 400, 'Send a JSON object such as {"language": "ko", "text": "…"}.'),
        ([1, 2], 400, 'Send a JSON object such as {"language": "ko", "text": "…"}.'),
        ({"language": "en", "text": 5}, 400, '"language" and "text" must both be text.'),
        ({"language": "xx", "text": "hi"}, 400, "Captions are not offered in this language here."),
        ({"language": "en", "text": ""}, 400, "Write the caption line first."),
        (
            {"language": "en", "text": "x" * 3000},
            400,
            "A caption line may have at most 500 characters.",
        ),
        ("x" * 5000, 413, "The request is too large."),
    ],
)
def test_bad_input_gets_a_clear_error(
    client: Client, stage: Any, token: str, body: Any, status: int, error: str
) -> None:
    response = api(client, stage, body, token)
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert CaptionLine.objects.count() == 0


def test_a_missing_wrong_or_revoked_token_is_refused(
    client: Client, stage: Any, token: str, captioner: Any
) -> None:
    line = {"language": "en", "text": "hi"}
    assert api(client, stage, line, None).status_code == 401
    assert api(client, stage, line, "cap_1_guess").status_code == 403
    services.revoke_caption_token(stage=stage, by=captioner)
    assert api(client, stage, line, token).status_code == 403
    assert CaptionLine.objects.count() == 0


def test_the_api_errors_speak_the_language_of_the_address(
    client: Client, stage: Any, token: str
) -> None:
    response = client.post(
        url(stage, "captions/", language="ko"),
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] != '"language" and "text" must both be text.'


def test_the_api_is_rate_limited_per_stage(
    client: Client, stage: Any, token: str, settings: Any
) -> None:
    settings.STAGE_CAPTION_API_RATE_LIMIT = 3
    codes = [
        api(client, stage, {"language": "en", "text": f"line {n}"}, token).status_code
        for n in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    assert CaptionLine.objects.count() == 3


def test_wrong_tokens_do_not_use_up_the_stages_allowance(
    client: Client, stage: Any, token: str, settings: Any
) -> None:
    settings.STAGE_CAPTION_API_RATE_LIMIT = 2
    guesses = [
        api(client, stage, {"language": "en", "text": "x"}, "bad").status_code for _ in range(3)
    ]
    assert guesses == [403, 403, 429]
    assert api(client, stage, {"language": "en", "text": "real"}, token).status_code == 201
