"""The audience page (no account, no JavaScript), the kiosk screen and the moderator console."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from madang.accounts.models import AuditEntry, EditionRole
from madang.stage.interaction import services, voters
from madang.stage.models import Poll, PollStatus, Question, QuestionStatus, QuestionVote

pytestmark = pytest.mark.django_db

Role = EditionRole.Role


def audience_url(session: Any, lang: str = "en") -> str:
    return f"/{lang}/{session.event.slug}/sessions/{session.pk}/audience/"


def console_url(session: Any, lang: str = "en") -> str:
    return f"/{lang}/{session.event.slug}/moderate/{session.pk}/"


def phone() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert found
    return found.group(1)


def test_a_phone_without_an_account_asks_without_javascript(on_now: Any) -> None:
    client = phone()
    url = audience_url(on_now)
    page = client.get(url)
    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert voters.DEVICE_COOKIE in page.cookies
    assert page.cookies[voters.DEVICE_COOKIE]["httponly"]
    token = csrf(client, url)
    answer = client.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "action": "ask",
            "text": "Is it <b>free</b>?",
            "name": "Mina",
        },
    )
    assert answer.status_code == 302
    question = Question.objects.get()
    assert (question.text, question.author, question.status) == (
        "Is it <b>free</b>?",
        None,
        QuestionStatus.PENDING,
    )
    assert question.asker.startswith("device:")
    follow = client.get(answer["Location"])
    assert "appears once a moderator approves it" in follow.content.decode()
    # Not shown before approval; escaped once shown.
    assert "Is it" not in follow.content.decode().split('id="questions"')[1]
    services.moderate_question(
        question=question, action="approve", by=_person(Role.MODERATOR, on_now)
    )
    shown = client.get(url).content.decode()
    assert "Is it &lt;b&gt;free&lt;/b&gt;?" in shown
    assert "<b>free</b>" not in shown


def _person(role: str, session: Any) -> Any:
    from tests.stage.conftest import person_with

    return person_with(role, session.event)


def test_the_form_is_refused_without_csrf(on_now: Any) -> None:
    client = phone()
    client.get(audience_url(on_now))
    answer = client.post(audience_url(on_now), {"action": "ask", "text": "x"})
    assert answer.status_code == 403
    assert Question.objects.count() == 0


def test_a_post_without_the_device_cookie_is_refused_clearly(on_now: Any) -> None:
    client = Client()
    answer = client.post(
        audience_url(on_now), {"action": "ask", "text": "x"}, HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 400
    assert "cookies" in answer.json()["error"]
    assert Question.objects.count() == 0


def test_a_forged_device_cookie_is_not_believed(on_now: Any) -> None:
    client = Client()
    client.cookies[voters.DEVICE_COOKIE] = "my-own-key-0123456789"
    page = client.get(audience_url(on_now))
    # A new, signed key replaces it.
    assert page.cookies[voters.DEVICE_COOKIE].value != "my-own-key-0123456789"


def test_votes_from_the_audience_page_count_once(on_now: Any) -> None:
    moderator = _person(Role.MODERATOR, on_now)
    question = services.ask_question(
        session=on_now, text="Q", voter=voters.Voter(device="someone-else-0123456")
    )
    services.moderate_question(question=question, action="approve", by=moderator)
    client = Client()
    client.get(audience_url(on_now))
    first = client.post(
        audience_url(on_now),
        {"action": "vote", "question": question.pk},
        HTTP_ACCEPT="application/json",
    )
    second = client.post(
        audience_url(on_now),
        {"action": "vote", "question": question.pk},
        HTTP_ACCEPT="application/json",
    )
    assert first.status_code == 200
    assert (second.status_code, second.json()["error"]) == (
        409,
        "You have already voted for this question.",
    )
    assert QuestionVote.objects.count() == 1
    page = client.get(audience_url(on_now)).content.decode()
    assert "You voted" in page


def test_a_poll_vote_without_javascript(on_now: Any) -> None:
    moderator = _person(Role.MODERATOR, on_now)
    poll = services.create_poll(
        session=on_now, question={"ko": "어디?", "en": "Where?"}, options=["A", "B"], by=moderator
    )
    client = Client()
    assert "Where?" not in client.get(audience_url(on_now)).content.decode()  # a draft
    services.manage_poll(poll=poll, action="open", by=moderator)
    page = client.get(audience_url(on_now)).content.decode()
    assert "Where?" in page and 'type="radio"' in page
    assert "어디?" in client.get(audience_url(on_now, "ko")).content.decode()
    option = poll.options.last()
    assert option is not None
    answer = client.post(
        audience_url(on_now), {"action": "poll", "poll": poll.pk, "option": option.pk}
    )
    assert answer.status_code == 302
    option.refresh_from_db()
    assert option.votes == 1
    page = client.get(audience_url(on_now)).content.decode()
    assert "The results are shown when the moderators reveal them." in page
    bad = client.post(
        audience_url(on_now),
        {"action": "poll", "poll": "abc"},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 404


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_bad_audience_input_is_a_translated_message(on_now: Any, lang: str) -> None:
    client = Client()
    client.get(audience_url(on_now, lang))
    answer = client.post(
        audience_url(on_now, lang),
        {"action": "ask", "text": "x" * 600},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400
    message = answer.json()["error"]
    if lang == "ko":
        assert any("\uac00" <= ch <= "\ud7a3" for ch in message)
    else:
        assert "at most 500 characters" in message
    odd = client.post(audience_url(on_now, lang), {"action": "dance"})
    assert odd.status_code == 302


def test_the_audience_page_of_an_unknown_or_hidden_session_is_404(on_now: Any) -> None:
    assert Client().get(f"/en/{on_now.event.slug}/sessions/99999/audience/").status_code == 404
    assert Client().get(f"/en/other-slug/sessions/{on_now.pk}/audience/").status_code == 404


def test_the_kiosk_shows_now_next_questions_and_a_qr_code_and_nothing_personal(
    stage: Any, on_now: Any
) -> None:
    from madang.stage.models import QuestionSettings

    QuestionSettings.objects.create(event=stage.event, approval_required=False)
    services.ask_question(
        session=on_now,
        text="Shown question",
        voter=voters.Voter(device="someone-0123456789"),
        display_name="Secret Name",
        anonymous=True,
    )
    page = Client().get(f"/en/{stage.event.slug}/kiosk/{stage.slug}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert str(on_now.title) in body
    assert "Shown question" in body
    assert "Secret Name" not in body
    assert "<svg" in body
    assert f"/en/{stage.event.slug}/sessions/{on_now.pk}/audience/" in body
    assert "Set-Cookie" not in page.headers or voters.DEVICE_COOKIE not in page.headers.get(
        "Set-Cookie", ""
    )
    assert Client().get(f"/ko/{stage.event.slug}/kiosk/{stage.slug}/").status_code == 200
    assert Client().get(f"/en/{stage.event.slug}/kiosk/nowhere/").status_code == 404


def test_the_kiosk_of_an_empty_room_says_so(stage: Any) -> None:
    page = Client().get(f"/en/{stage.event.slug}/kiosk/{stage.slug}/")
    assert page.status_code == 200
    assert "Nothing is on in this room right now." in page.content.decode()


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.MODERATOR])
def test_organisers_and_moderators_use_the_console(on_now: Any, role: str) -> None:
    client = Client()
    client.force_login(_person(role, on_now))
    page = client.get(console_url(on_now))
    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    created = client.post(
        console_url(on_now),
        {
            "action": "create-poll",
            "question_ko": "좋아요?",
            "question_en": "Like it?",
            "options_ko": "네\n아니요",
            "options_en": "Yes\nNo",
            "kind": "single",
        },
    )
    assert created.status_code == 302
    poll = Poll.objects.get()
    assert str(poll.question.localize("en")) == "Like it?"
    opened = client.post(console_url(on_now), {"action": "open", "poll": poll.pk})
    assert opened.status_code == 302
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN
    question = services.ask_question(
        session=on_now, text="Q", voter=voters.Voter(device="someone-0123456789")
    )
    approved = client.post(
        console_url(on_now),
        {"action": "approve", "question": question.pk},
        HTTP_ACCEPT="application/json",
    )
    assert approved.status_code == 200
    question.refresh_from_db()
    assert question.status == QuestionStatus.APPROVED
    assert AuditEntry.objects.filter(action="stage.question_approve").exists()
    mismatched = client.post(
        console_url(on_now),
        {"action": "create-poll", "question_en": "Q", "options_ko": "a\nb\nc", "options_en": "a"},
        HTTP_ACCEPT="application/json",
    )
    assert mismatched.status_code == 400


@pytest.mark.parametrize("role", [None, Role.ATTENDEE, Role.SPEAKER, Role.PROGRAM_EDITOR])
def test_everybody_else_is_refused_the_console(on_now: Any, role: str | None) -> None:
    client = Client()
    client.force_login(_person(role, on_now))  # type: ignore[arg-type]
    assert client.get(console_url(on_now)).status_code == 403
    question = services.ask_question(
        session=on_now, text="Q", voter=voters.Voter(device="someone-0123456789")
    )
    assert (
        client.post(console_url(on_now), {"action": "approve", "question": question.pk}).status_code
        == 403
    )
    question.refresh_from_db()
    assert question.status == QuestionStatus.PENDING


def test_the_console_asks_visitors_to_sign_in(on_now: Any) -> None:
    answer = Client().get(console_url(on_now))
    assert answer.status_code == 302
    assert "login" in answer["Location"]


def test_the_stage_page_stays_free_of_personal_state(stage: Any, on_now: Any) -> None:
    client = Client()
    client.force_login(_person(Role.MODERATOR, on_now))
    page = client.get(reverse("stage", kwargs={"slug": stage.event.slug, "key": stage.slug}))
    body = page.content.decode()
    assert f"/sessions/{on_now.pk}/audience/" in body
    assert '"qaTopic": "qa.' in body
    assert "moderation" not in body
    assert voters.DEVICE_COOKIE not in page.cookies


def test_the_session_page_links_to_the_audience_page(stage: Any, on_now: Any) -> None:
    page = Client().get(f"/en/{stage.event.slug}/sessions/{on_now.slug}/")
    assert audience_url(on_now) in page.content.decode()


def test_asking_too_often_from_one_phone_is_answered_429(on_now: Any, settings: Any) -> None:
    settings.STAGE_QUESTION_RATE_LIMIT = 1
    client = Client()
    client.get(audience_url(on_now))
    first = client.post(
        audience_url(on_now), {"action": "ask", "text": "one"}, HTTP_ACCEPT="application/json"
    )
    second = client.post(
        audience_url(on_now), {"action": "ask", "text": "two"}, HTTP_ACCEPT="application/json"
    )
    assert (first.status_code, second.status_code) == (200, 429)
    assert "Please wait a moment" in second.json()["error"]
    assert Question.objects.count() == 1


def test_every_word_the_pages_script_shows_is_translated() -> None:
    from django.utils import translation

    from madang.stage.interaction.views import labels

    with translation.override("en"):
        english = labels()
    with translation.override("ko"):
        korean = labels()
    untranslated = [name for name in english if english[name] == korean[name]]
    assert untranslated == []


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ko", ["질문하기", "익명으로 질문하기", "질문 보내기"]),
        ("en", ["Ask a question", "Ask anonymously"]),
    ],
)
def test_the_audience_page_speaks_the_pages_language(
    on_now: Any, lang: str, words: list[str]
) -> None:
    page = Client().get(audience_url(on_now, lang)).content.decode()
    assert f'<html lang="{lang}"' in page
    for word in words:
        assert word in page
