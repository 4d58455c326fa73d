"""Q&A and poll services: who may do what, rate limits, counts, events and the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from madang.accounts.models import AuditEntry, EditionRole, User
from madang.common import errors
from madang.live import groups
from madang.stage.interaction import events, services
from madang.stage.interaction.voters import Voter
from madang.stage.models import (
    Poll,
    PollKind,
    PollStatus,
    Question,
    QuestionSettings,
    QuestionStatus,
    QuestionVote,
)
from tests.factories import EventFactory, SessionFactory
from tests.stage.conftest import person_with

pytestmark = pytest.mark.django_db

Role = EditionRole.Role
ALLOWED = [Role.ORGANISER, Role.MODERATOR]
DENIED = [
    None,
    Role.PROGRAM_EDITOR,
    Role.CHECKIN_STAFF,
    Role.SPEAKER,
    Role.ATTENDEE,
    Role.DELEGATE,
]


def phone(name: str = "a") -> Voter:
    return Voter(device=f"device-key-{name}-0123456789", address="10.0.0.1")


@pytest.fixture
def session(on_now: Any) -> Any:
    return on_now


def ask(session: Any, text: str = "Why?", voter: Voter | None = None, **kwargs: Any) -> Any:
    return services.ask_question(session=session, text=text, voter=voter or phone(), **kwargs)


def published(capture: Any) -> list[tuple[str, str]]:
    """(group, event type) of the events published by the callbacks captured."""
    found = []
    for callback in capture:
        closure = callback.__closure__ or ()
        values = [cell.cell_contents for cell in closure]
        group = next(v for v in values if isinstance(v, str))
        event = next(v for v in values if hasattr(v, "type"))
        found.append((group, event.type))
    return found


def test_a_question_waits_for_approval_and_only_the_moderators_hear_of_it(
    session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as capture:
        question = ask(session, "  What about   <b>parks</b>?  ", display_name="Mina")
    assert question.status == QuestionStatus.PENDING
    assert question.text == "What about <b>parks</b>?"
    assert not question.is_anonymous
    assert published(capture) == [(groups.qa_moderation(session.pk), events.QUESTION_UPDATED)]


def test_without_approval_a_question_shows_at_once(
    session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    QuestionSettings.objects.create(event=session.event, approval_required=False)
    with django_capture_on_commit_callbacks() as capture:
        question = ask(session)
    assert question.status == QuestionStatus.APPROVED
    assert (groups.qa(session.pk), events.QUESTION_UPDATED) in published(capture)


def test_an_anonymous_question_keeps_no_name_public(session: Any) -> None:
    question = ask(session, display_name="Mina", anonymous=True)
    assert question.is_anonymous
    from madang.stage.interaction.queries import question_data

    assert question_data(question)["name"] is None


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("   ", "", "Write your question first."),
        ("x" * 501, "", "at most 500 characters"),
        ("ok", "n" * 41, "at most 40 characters"),
    ],
)
def test_bad_questions_are_refused_with_a_clear_message(
    session: Any, text: str, name: str, message: str
) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        ask(session, text, display_name=name)
    assert Question.objects.count() == 0


def test_nobody_known_cannot_ask(session: Any) -> None:
    with pytest.raises(errors.InvalidInput):
        ask(session, voter=Voter())


def test_questions_on_a_session_that_is_not_public_are_refused(db: None) -> None:
    hidden = SessionFactory(event=EventFactory(is_published=False))
    with pytest.raises(errors.NotFound):
        ask(hidden)


def test_asking_is_rate_limited_per_device(session: Any, settings: Any) -> None:
    settings.STAGE_QUESTION_RATE_LIMIT = 2
    ask(session, "one")
    ask(session, "two")
    with pytest.raises(errors.Busy):
        ask(session, "three")
    # Another phone in the same hall still may.
    ask(session, "four", voter=phone("b"))
    assert Question.objects.count() == 3


def test_one_address_is_limited_too(session: Any, settings: Any) -> None:
    settings.STAGE_QUESTION_RATE_LIMIT = 1
    settings.STAGE_ADDRESS_RATE_FACTOR = 2
    ask(session, "one", voter=phone("a"))
    ask(session, "two", voter=phone("b"))
    with pytest.raises(errors.Busy):
        ask(session, "three", voter=phone("c"))


def test_a_vote_counts_once_per_voter(
    session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    QuestionSettings.objects.create(event=session.event, approval_required=False)
    question = ask(session)
    with django_capture_on_commit_callbacks() as capture:
        services.vote_question(question=question, voter=phone("b"))
    with pytest.raises(errors.Conflict, match="already voted"):
        services.vote_question(question=question, voter=phone("b"))
    user = User.objects.create(username="voter")
    services.vote_question(question=question, voter=Voter(user=user))
    question.refresh_from_db()
    assert question.votes == 2 == QuestionVote.objects.filter(question=question).count()
    assert (groups.qa(session.pk), events.QUESTION_UPDATED) in published(capture)


def test_a_waiting_question_cannot_be_voted_for(session: Any) -> None:
    question = ask(session)
    with pytest.raises(errors.Conflict):
        services.vote_question(question=question, voter=phone("b"))
    assert QuestionVote.objects.count() == 0


@pytest.mark.parametrize("action", services.MODERATION_ACTIONS)
@pytest.mark.parametrize("role", ALLOWED)
def test_organisers_and_moderators_moderate_and_it_is_audited(
    session: Any, role: str, action: str
) -> None:
    question = ask(session)
    by = person_with(role, session.event)
    if action in ("pin", "unpin"):
        services.moderate_question(question=question, action="approve", by=by)
    changed = services.moderate_question(question=question, action=action, by=by)
    expected = {
        "approve": (QuestionStatus.APPROVED, False),
        "reject": (QuestionStatus.REJECTED, False),
        "pin": (QuestionStatus.APPROVED, True),
        "unpin": (QuestionStatus.APPROVED, False),
        "answer": (QuestionStatus.ANSWERED, False),
    }[action]
    assert (changed.status, changed.pinned) == expected
    entry = AuditEntry.objects.filter(action=f"stage.question_{action}").get()
    assert (entry.actor, entry.event_id, entry.object_id) == (
        by,
        session.event_id,
        str(question.pk),
    )


@pytest.mark.parametrize("action", services.MODERATION_ACTIONS)
@pytest.mark.parametrize("role", DENIED)
def test_everybody_else_may_not_moderate(session: Any, role: str | None, action: str) -> None:
    question = ask(session)
    with pytest.raises(errors.PermissionDenied):
        services.moderate_question(
            question=question, action=action, by=person_with(role, session.event)
        )
    question.refresh_from_db()
    assert question.status == QuestionStatus.PENDING
    assert not AuditEntry.objects.exists()


def test_a_moderator_of_another_edition_may_not_moderate(session: Any) -> None:
    question = ask(session)
    other = person_with(Role.MODERATOR, EventFactory())
    with pytest.raises(errors.PermissionDenied):
        services.moderate_question(question=question, action="approve", by=other)


def test_rejecting_a_shown_question_removes_it_from_the_public_topic(
    session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    question = ask(session)
    moderator = person_with(Role.MODERATOR, session.event)
    services.moderate_question(question=question, action="approve", by=moderator)
    with django_capture_on_commit_callbacks() as capture:
        services.moderate_question(question=question, action="reject", by=moderator)
    assert sorted(published(capture)) == [
        (groups.qa(session.pk), events.QUESTION_REMOVED),
        (groups.qa_moderation(session.pk), events.QUESTION_REMOVED),
    ]


def test_a_waiting_question_cannot_be_pinned(session: Any) -> None:
    question = ask(session)
    with pytest.raises(errors.Conflict):
        services.moderate_question(
            question=question, action="pin", by=person_with(Role.MODERATOR, session.event)
        )


def test_an_unknown_action_is_refused(session: Any) -> None:
    with pytest.raises(errors.InvalidInput):
        services.moderate_question(
            question=ask(session), action="delete", by=person_with(Role.ORGANISER, session.event)
        )


# Polls -----------------------------------------------------------------------------------------


def make_poll(session: Any, by: Any, kind: str = PollKind.SINGLE, **kwargs: Any) -> Poll:
    return services.create_poll(
        session=session,
        question={"ko": "어느 쪽?", "en": "Which one?"},
        options=["Bus", {"ko": "지하철", "en": "Subway"}, "Bike"],
        kind=kind,
        by=by,
        **kwargs,
    )


@pytest.mark.parametrize("role", ALLOWED)
def test_organisers_and_moderators_run_a_poll_and_each_step_is_audited(
    session: Any, role: str
) -> None:
    by = person_with(role, session.event)
    poll = make_poll(session, by)
    assert poll.status == PollStatus.DRAFT
    assert [str(o.text.localize("ko")) for o in poll.options.all()] == ["Bus", "지하철", "Bike"]
    for action, status, revealed in [
        ("open", PollStatus.OPEN, False),
        ("reveal", PollStatus.OPEN, True),
        ("close", PollStatus.CLOSED, True),
        ("hide", PollStatus.CLOSED, False),
    ]:
        poll = services.manage_poll(poll=poll, action=action, by=by)
        poll.refresh_from_db()
        assert (poll.status, poll.results_revealed) == (status, revealed)
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
        "stage.poll_close",
        "stage.poll_create",
        "stage.poll_hide",
        "stage.poll_open",
        "stage.poll_reveal",
    ]


@pytest.mark.parametrize("role", DENIED)
def test_everybody_else_may_not_create_or_run_polls(session: Any, role: str | None) -> None:
    person = person_with(role, session.event)
    with pytest.raises(errors.PermissionDenied):
        make_poll(session, person)
    poll = make_poll(session, person_with(Role.MODERATOR, session.event))
    for action in services.POLL_ACTIONS:
        with pytest.raises(errors.PermissionDenied):
            services.manage_poll(poll=poll, action=action, by=person)
    poll.refresh_from_db()
    assert poll.status == PollStatus.DRAFT


def test_opening_a_poll_closes_the_other_open_one(session: Any) -> None:
    by = person_with(Role.MODERATOR, session.event)
    first, second = make_poll(session, by), make_poll(session, by)
    services.manage_poll(poll=first, action="open", by=by)
    services.manage_poll(poll=second, action="open", by=by)
    first.refresh_from_db()
    assert first.status == PollStatus.CLOSED
    with pytest.raises(errors.Conflict):
        services.manage_poll(poll=first, action="open", by=by)


@pytest.mark.parametrize(
    "options", [["only one"], ["a", "  "], [str(n) for n in range(9)], ["a", "b" * 101]]
)
def test_bad_polls_are_refused(session: Any, options: list[str]) -> None:
    with pytest.raises(errors.InvalidInput):
        services.create_poll(
            session=session,
            question="Q?",
            options=options,
            by=person_with(Role.ORGANISER, session.event),
        )


def test_poll_votes_count_once_and_follow_the_kind(session: Any) -> None:
    by = person_with(Role.MODERATOR, session.event)
    single = make_poll(session, by)
    ids = list(single.options.values_list("pk", flat=True))
    with pytest.raises(errors.Conflict, match="not open"):
        services.vote_poll(poll=single, option_ids=[ids[0]], voter=phone())
    services.manage_poll(poll=single, action="open", by=by)
    with pytest.raises(errors.InvalidInput, match="one option"):
        services.vote_poll(poll=single, option_ids=ids[:2], voter=phone())
    with pytest.raises(errors.InvalidInput):
        services.vote_poll(poll=single, option_ids=[ids[0] + 1000], voter=phone())
    with pytest.raises(errors.InvalidInput):
        services.vote_poll(poll=single, option_ids=[], voter=phone())
    services.vote_poll(poll=single, option_ids=[ids[1]], voter=phone())
    with pytest.raises(errors.Conflict, match="already voted"):
        services.vote_poll(poll=single, option_ids=[ids[0]], voter=phone())
    services.vote_poll(poll=single, option_ids=[ids[1]], voter=phone("b"))
    single.refresh_from_db()
    assert single.voters == 2
    assert list(single.options.values_list("votes", flat=True)) == [0, 2, 0]

    several = make_poll(session, by, kind=PollKind.MULTIPLE)
    services.manage_poll(poll=several, action="open", by=by)
    options = list(several.options.values_list("pk", flat=True))
    services.vote_poll(poll=several, option_ids=options[:2], voter=phone())
    several.refresh_from_db()
    assert several.voters == 1
    assert list(several.options.values_list("votes", flat=True)) == [1, 1, 0]


def test_hidden_results_send_no_public_event_on_a_vote(
    session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    by = person_with(Role.MODERATOR, session.event)
    hidden, live = make_poll(session, by), make_poll(session, by, live_results=True)
    services.manage_poll(poll=hidden, action="open", by=by)
    with django_capture_on_commit_callbacks() as capture:
        services.vote_poll(
            poll=hidden,
            option_ids=[hidden.options.first().pk],
            voter=phone(),  # type: ignore[union-attr]
        )
    assert published(capture) == [(groups.polls_moderation(session.pk), events.POLL_UPDATED)]
    services.manage_poll(poll=live, action="open", by=by)
    with django_capture_on_commit_callbacks() as capture:
        services.vote_poll(
            poll=live,
            option_ids=[live.options.first().pk],
            voter=phone(),  # type: ignore[union-attr]
        )
    assert (groups.polls(session.pk), events.POLL_UPDATED) in published(capture)


def test_voting_is_rate_limited(session: Any, settings: Any) -> None:
    settings.STAGE_VOTE_RATE_LIMIT = 1
    QuestionSettings.objects.create(event=session.event, approval_required=False)
    first, second = ask(session, "a", voter=phone("x")), ask(session, "b", voter=phone("y"))
    services.vote_question(question=first, voter=phone())
    with pytest.raises(errors.Busy):
        services.vote_question(question=second, voter=phone())


def test_a_users_questions_are_in_their_data_and_lose_the_name_with_the_account(
    session: Any,
) -> None:
    from madang.accounts.privacy import delete_account, export_personal_data

    user = User.objects.create(username="asker")
    question = ask(session, "Mine?", voter=Voter(user=user), display_name="Ada")
    exported = export_personal_data(user=user)["questions"]
    assert [(q["text"], q["name_shown"]) for q in exported] == [("Mine?", "Ada")]
    delete_account(user=user)
    question.refresh_from_db()
    assert (question.author, question.display_name, question.is_anonymous) == (None, "", True)
