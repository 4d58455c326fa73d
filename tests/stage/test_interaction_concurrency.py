"""Votes sent at the same moment on PostgreSQL with real threads: each voter counts once."""

from __future__ import annotations

from typing import Any

import pytest

from madang.accounts.models import EditionRole
from madang.common import errors
from madang.stage.interaction import services
from madang.stage.interaction.voters import Voter
from madang.stage.models import PollKind, PollVote, Question, QuestionSettings, QuestionVote
from tests.common.concurrency import THREADS, run_at_once
from tests.factories import SessionFactory
from tests.stage.conftest import person_with

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session(settings: Any) -> Any:
    settings.STAGE_VOTE_RATE_LIMIT = 1000
    made = SessionFactory()
    QuestionSettings.objects.create(event=made.event, approval_required=False)
    return made


def test_one_voter_voting_from_many_tabs_at_once_counts_once(session: Any) -> None:
    question = services.ask_question(
        session=session, text="Q", voter=Voter(device="asker-0123456789")
    )
    voter = Voter(device="same-phone-0123456789")
    results = run_at_once(lambda _i: services.vote_question(question=question, voter=voter))
    refused = [r for r in results if isinstance(r, errors.Conflict)]
    assert len(refused) == THREADS - 1
    assert not [r for r in results if isinstance(r, Exception) and r not in refused]
    question.refresh_from_db()
    assert question.votes == 1 == QuestionVote.objects.count()


def test_many_voters_at_once_are_all_counted(session: Any) -> None:
    question = services.ask_question(
        session=session, text="Q", voter=Voter(device="asker-0123456789")
    )
    results = run_at_once(
        lambda i: services.vote_question(
            question=question, voter=Voter(device=f"phone-{i}-0123456789")
        )
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Question.objects.get(pk=question.pk).votes == THREADS


def test_poll_ballots_at_once_count_once_per_voter(session: Any) -> None:
    moderator = person_with(EditionRole.Role.MODERATOR, session.event)
    poll = services.create_poll(
        session=session, question="Q", options=["a", "b"], kind=PollKind.MULTIPLE, by=moderator
    )
    services.manage_poll(poll=poll, action="open", by=moderator)
    options = list(poll.options.values_list("pk", flat=True))
    results = run_at_once(
        lambda i: services.vote_poll(
            poll=poll, option_ids=options, voter=Voter(device=f"phone-{i % 3}-0123456789")
        )
    )
    assert len([r for r in results if isinstance(r, errors.Conflict)]) == THREADS - 3
    poll.refresh_from_db()
    assert poll.voters == 3 == PollVote.objects.count()
    assert list(poll.options.values_list("votes", flat=True)) == [3, 3]
