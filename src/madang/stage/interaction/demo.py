"""Questions and a poll for the demo: the first session of each demo edition's first stage.

Written straight to the database (no rate limits, no events: nobody is watching while
``madang demo`` runs), and only where the session has none yet, so loading again changes nothing.
"""

from __future__ import annotations

from i18nfield.strings import LazyI18nString

from madang.program.enums import SessionStatus
from madang.stage.models import (
    Poll,
    PollKind,
    PollOption,
    PollStatus,
    PollVote,
    Question,
    QuestionStatus,
    QuestionVote,
    Stage,
)

QUESTIONS = [
    (
        "How will the city keep the sensor data of citizens private?",
        "Jiwoo",
        QuestionStatus.ANSWERED,
        7,
    ),
    ("스마트 버스 정류장은 언제 우리 동네에도 생기나요?", "", QuestionStatus.APPROVED, 5),
    ("Can residents see the open data portal in English?", "Sam", QuestionStatus.APPROVED, 3),
    ("행사 발표 자료는 어디서 받을 수 있나요?", "민지", QuestionStatus.PENDING, 0),
]
POLL_QUESTION = {
    "ko": "어떤 스마트시티 서비스를 가장 자주 쓰시나요?",
    "en": "Which smart-city service do you use most?",
}
POLL_OPTIONS = [
    ({"ko": "버스 도착 안내", "en": "Bus arrival times"}, 12),
    ({"ko": "공공 와이파이", "en": "Public Wi-Fi"}, 8),
    ({"ko": "따릉이(공공자전거)", "en": "Public bikes"}, 5),
]


def load_demo_interaction(stages: list[Stage]) -> int:
    """Add questions and a revealed poll to the first session of each edition's first stage.

    Side effects: writes questions, votes, a poll and its ballots. Returns the sessions filled.
    """
    filled = 0
    seen_events: set[int] = set()
    for stage in stages:
        if stage.event_id in seen_events:
            continue
        seen_events.add(stage.event_id)
        session = (
            stage.room.sessions.filter(status=SessionStatus.PUBLISHED).order_by("starts_at").first()
        )
        if session is None or Question.objects.filter(session=session).exists():
            continue
        for number, (text, name, status, votes) in enumerate(QUESTIONS):
            question = Question.objects.create(
                session=session,
                asker=f"demo:asker-{number}",
                display_name=name,
                is_anonymous=not name,
                text=text,
                status=status,
                pinned=number == 1,
                votes=votes,
            )
            QuestionVote.objects.bulk_create(
                QuestionVote(question=question, voter=f"demo:{n}") for n in range(votes)
            )
        poll = Poll.objects.create(
            session=session,
            question=LazyI18nString(POLL_QUESTION),
            kind=PollKind.SINGLE,
            status=PollStatus.CLOSED,
            results_revealed=True,
            voters=sum(votes for _text, votes in POLL_OPTIONS),
        )
        voter = 0
        for position, (label, votes) in enumerate(POLL_OPTIONS):
            option = PollOption.objects.create(
                poll=poll, text=LazyI18nString(label), position=position, votes=votes
            )
            for _ in range(votes):
                ballot = PollVote.objects.create(poll=poll, voter=f"demo:{voter}")
                ballot.options.add(option)
                voter += 1
        filled += 1
    return filled
