"""A large synthetic edition for benchmarks and load tests.

``build_scaled_edition`` writes a published, bilingual edition of any size in a few seconds: rooms
of both kinds, tracks, sessions laid out on a grid so no room is ever double-booked, one to four
people in each session, and a few drafts. The same slug and seed always give the same edition, so
two benchmark runs measure the same data.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
import zoneinfo
from collections.abc import Iterator, Sequence

from django.db import transaction
from i18nfield.strings import LazyI18nString

from madang.program import models
from madang.program.caching import bump_program_version
from madang.program.enums import EventMode, RoomKind, SessionKind, SessionRoleKind, SessionStatus

# The first day of every scaled edition: fixed, so builds are comparable across runs.
FIRST_DAY = dt.date(2030, 11, 4)
TIME_ZONE = "Asia/Seoul"
# Each room's day runs on a grid from DAY_STARTS for at most DAY_MINUTES.
DAY_STARTS = dt.time(9, 0)
DAY_MINUTES = 12 * 60
LONGEST_SLOT_MINUTES = 105
DURATIONS_MINUTES = (30, 45, 60, 90)

# Organisations carry this address so a re-run can find and replace exactly its own.
_ORGANISATION_SITE = "https://example.org/{slug}/organisations/"
_GUID_NAMESPACE = uuid.UUID("5f0c7f0e-6d1b-4f5e-9b43-2d8a4c6e0a11")

_TRACKS: tuple[tuple[str, str, str, str], ...] = (
    ("mobility", "모빌리티", "Mobility", "#1d4ed8"),
    ("energy", "에너지", "Energy", "#047857"),
    ("safety", "안전", "Public safety", "#b91c1c"),
    ("governance", "거버넌스", "Governance", "#6d28d9"),
    ("data", "데이터", "Urban data", "#0e7490"),
    ("health", "건강", "Health and care", "#a16207"),
)
_TOPICS: tuple[tuple[str, str], ...] = (
    ("자율주행 버스", "autonomous buses"),
    ("디지털 트윈", "digital twins"),
    ("탄소중립 건물", "carbon-neutral buildings"),
    ("스마트 가로등", "smart street lights"),
    ("공공 와이파이", "public Wi-Fi"),
    ("재난 대응", "disaster response"),
    ("시민 참여", "citizen participation"),
    ("고령자 돌봄", "care for older people"),
    ("수요응답형 교통", "demand-responsive transport"),
    ("도시 데이터 플랫폼", "urban data platforms"),
    ("스마트 그리드", "smart grids"),
    ("물 관리", "water management"),
    ("메타버스 행정", "public services in the metaverse"),
    ("보행 안전", "pedestrian safety"),
    ("드론 배송", "drone delivery"),
)
_ANGLES: tuple[tuple[str, str], ...] = (
    ("{topic}의 미래", "The future of {topic}"),
    ("{topic}: 도시의 경험", "{topic}: lessons from cities"),
    ("{topic} 실증 사례", "Pilots in {topic}"),
    ("{topic}을 위한 표준", "Standards for {topic}"),
    ("{topic}과 시민", "{topic} and citizens"),
    ("{topic} 투자 전략", "Investing in {topic}"),
)
_FAMILY_NAMES: tuple[tuple[str, str], ...] = (
    ("김", "Kim"),
    ("이", "Lee"),
    ("박", "Park"),
    ("최", "Choi"),
    ("정", "Jung"),
    ("강", "Kang"),
    ("조", "Cho"),
    ("윤", "Yoon"),
    ("장", "Jang"),
    ("임", "Lim"),
)
_GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("민준", "Minjun"),
    ("서연", "Seoyeon"),
    ("지호", "Jiho"),
    ("하윤", "Hayoon"),
    ("도현", "Dohyun"),
    ("지우", "Jiwoo"),
    ("은우", "Eunwoo"),
    ("수빈", "Subin"),
    ("예준", "Yejun"),
    ("채원", "Chaewon"),
    ("시우", "Siwoo"),
    ("다은", "Daeun"),
)
_FOREIGN_NAMES: tuple[tuple[str, str, str], ...] = (
    ("마리아 가르시아", "María García", "ES"),
    ("얀 코발스키", "Jan Kowalski", "PL"),
    ("아미나 벨로", "Amina Bello", "NG"),
    ("사토 유키", "Yuki Sato", "JP"),
    ("리 웨이", "Li Wei", "CN"),
    ("소피 마르탱", "Sophie Martin", "FR"),
    ("라일라 하산", "Layla Hassan", "AE"),
    ("누르 아지자", "Nur Aziza", "MY"),
)
_POSITIONS: tuple[tuple[str, str], ...] = (
    ("교수", "Professor"),
    ("시장", "Mayor"),
    ("최고기술책임자", "Chief technology officer"),
    ("연구원", "Researcher"),
    ("국장", "Director"),
    ("대표", "Founder"),
)
_KINDS: tuple[SessionKind, ...] = (
    SessionKind.LECTURE,
    SessionKind.LECTURE,
    SessionKind.LECTURE,
    SessionKind.FORUM,
    SessionKind.PANEL,
    SessionKind.PANEL,
    SessionKind.KEYNOTE,
    SessionKind.ROUNDTABLE,
    SessionKind.CITY_SESSION,
    SessionKind.WORKSHOP,
    SessionKind.SHOWROOM_TOUR,
)
_LANGUAGES = ("ko", "ko", "ko", "en", "en", "ja", "zh")


def _bilingual(ko: str, en: str) -> LazyI18nString:
    return LazyI18nString({"ko": ko, "en": en})


def _guid(slug: str, *parts: object) -> uuid.UUID:
    # Derived from the slug rather than random: the same build gives the same identifiers.
    return uuid.uuid5(_GUID_NAMESPACE, ":".join([slug, *map(str, parts)]))


def delete_scaled_edition(*, slug: str) -> None:
    """Delete the edition ``slug`` with the people and organisations a scaled build made for it.

    People are removed only when they no longer take part in any other edition. Runs in the
    caller's transaction when there is one.
    """
    with transaction.atomic():
        models.Event.objects.filter(slug=slug).delete()
        models.Person.objects.filter(
            slug__startswith=f"{slug}-person-", roles__isnull=True
        ).delete()
        models.Organisation.objects.filter(
            website__startswith=_ORGANISATION_SITE.format(slug=slug), people__isnull=True
        ).delete()


def build_scaled_edition(
    *,
    slug: str = "scale",
    sessions: int = 300,
    people: int | None = None,
    rooms: int = 12,
    days: int = 4,
    seed: int = 0,
) -> models.Event:
    """Build (or rebuild) a synthetic, published, bilingual edition of the given size.

    ``people`` defaults to four people for every three sessions. An edition with the same slug is
    deleted first, together with its people and organisations, in the same transaction. Rows are
    written with ``bulk_create``, which sends no ``post_save`` signals, so the edition's program
    version is bumped explicitly once the transaction commits.
    """
    if sessions < 1 or rooms < 1 or days < 1:
        raise ValueError("a scaled edition needs at least one session, room and day")
    people_count = round(sessions * 4 / 3) if people is None else people
    if people_count < 1:
        raise ValueError("a scaled edition needs at least one person")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible by design
    with transaction.atomic():
        delete_scaled_edition(slug=slug)
        event = _create_event(slug=slug, days=days)
        room_rows = _create_rooms(event, rooms=rooms, rng=rng)
        track_rows = _create_tracks(event)
        person_rows = _create_people(slug=slug, count=people_count, rng=rng)
        session_rows = _create_sessions(
            event, count=sessions, rooms=room_rows, tracks=track_rows, rng=rng
        )
        _create_roles(session_rows, person_rows, rng=rng)
        bump_program_version(event.pk)
    return event


def _create_event(*, slug: str, days: int) -> models.Event:
    return models.Event.objects.create(
        guid=_guid(slug, "event"),
        slug=slug,
        name=_bilingual(f"스마트시티 위크 ({slug})", f"Smart City Week ({slug})"),
        tagline=_bilingual("규모 시험용 합성 프로그램", "A synthetic program at scale"),
        description=_bilingual(
            "성능 측정을 위해 자동으로 만든 행사입니다.",
            "An edition generated automatically to measure performance.",
        ),
        mode=EventMode.HYBRID,
        time_zone=TIME_ZONE,
        starts_on=FIRST_DAY,
        ends_on=FIRST_DAY + dt.timedelta(days=days - 1),
        is_published=True,
    )


def _create_rooms(event: models.Event, *, rooms: int, rng: random.Random) -> list[models.Room]:
    venue = models.Venue.objects.create(
        event=event,
        name=_bilingual("코엑스", "COEX"),
        address=_bilingual("서울 강남구 영동대로 513", "513 Yeongdong-daero, Gangnam-gu, Seoul"),
    )
    rows = []
    for index in range(rooms):
        # Every fourth room, and the last when there are several, is online.
        online = rooms > 1 and (index % 4 == 3 or index == rooms - 1)
        number = index + 1
        if online:
            row = models.Room(
                event=event,
                guid=_guid(event.slug, "room", index),
                name=_bilingual(f"온라인 채널 {number}", f"Online channel {number}"),
                kind=RoomKind.ONLINE,
                stream_url=f"https://stream.example.org/{event.slug}/{number}",
                position=index,
            )
        else:
            row = models.Room(
                event=event,
                venue=venue,
                guid=_guid(event.slug, "room", index),
                name=_bilingual(f"{number}홀", f"Hall {number}"),
                kind=RoomKind.PHYSICAL,
                capacity=rng.choice((80, 120, 200, 400, 1000)),
                position=index,
            )
        rows.append(row)
    return models.Room.objects.bulk_create(rows)


def _create_tracks(event: models.Event) -> list[models.Track]:
    rows = [
        models.Track(event=event, slug=slug, name=_bilingual(ko, en), color=color)
        for slug, ko, en, color in _TRACKS
    ]
    return models.Track.objects.bulk_create(rows)


def _create_people(*, slug: str, count: int, rng: random.Random) -> list[models.Person]:
    site = _ORGANISATION_SITE.format(slug=slug)
    organisations = models.Organisation.objects.bulk_create(
        [
            models.Organisation(
                name=_bilingual(f"스마트도시 기관 {n}", f"Smart City Organisation {n}"),
                website=f"{site}{n}",
                country="KR",
            )
            for n in range(1, max(1, count // 8) + 1)
        ]
    )
    rows = []
    for n in range(1, count + 1):
        if rng.random() < 0.2:
            name_ko, name_en, country = rng.choice(_FOREIGN_NAMES)
        else:
            family_ko, family_en = rng.choice(_FAMILY_NAMES)
            given_ko, given_en = rng.choice(_GIVEN_NAMES)
            name_ko, name_en, country = f"{family_ko}{given_ko}", f"{given_en} {family_en}", "KR"
        position_ko, position_en = rng.choice(_POSITIONS)
        rows.append(
            models.Person(
                guid=_guid(slug, "person", n),
                slug=f"{slug}-person-{n:04d}",
                # The number keeps names apart: people pages and search show many namesakes.
                name=_bilingual(f"{name_ko} {n}", f"{name_en} {n}"),
                position=_bilingual(position_ko, position_en),
                organisation=rng.choice(organisations),
                country=country,
                biography=_bilingual(
                    f"{name_ko}은 도시 문제를 연구합니다.", f"{name_en} works on urban questions."
                ),
            )
        )
    return models.Person.objects.bulk_create(rows)


def _slot_plan(*, count: int, rooms: int, days: int) -> tuple[int, list[int]]:
    """Return the grid step in minutes and the durations that fit in it."""
    per_room_day = math.ceil(count / (rooms * days))
    step = min(LONGEST_SLOT_MINUTES, DAY_MINUTES // per_room_day)
    durations = [d for d in DURATIONS_MINUTES if d <= step] or [max(5, step)]
    return step, durations


def _create_sessions(
    event: models.Event,
    *,
    count: int,
    rooms: Sequence[models.Room],
    tracks: Sequence[models.Track],
    rng: random.Random,
) -> list[models.Session]:
    step, durations = _slot_plan(count=count, rooms=len(rooms), days=len(event.days))
    zone = zoneinfo.ZoneInfo(event.time_zone)
    cells = len(rooms) * len(event.days)
    # About one session in fifty is a draft; half of the drafts are not yet scheduled.
    drafts = set(rng.sample(range(count), k=count // 50))
    rows = []
    for index in range(count):
        # Round-robin over (day, room) cells fills every room on every day evenly; a cell's
        # sessions sit in consecutive grid steps, so a room never holds two at once.
        cell, slot = index % cells, index // cells
        day = event.days[cell // len(rooms)]
        room = rooms[cell % len(rooms)]
        topic_ko, topic_en = rng.choice(_TOPICS)
        angle_ko, angle_en = rng.choice(_ANGLES)
        title_en = angle_en.format(topic=topic_en)
        title_en = title_en[0].upper() + title_en[1:]
        kind = rng.choice(_KINDS)
        draft = index in drafts
        scheduled = not draft or index % 2 == 0
        starts_at = dt.datetime.combine(day, DAY_STARTS, tzinfo=zone) + dt.timedelta(
            minutes=slot * step
        )
        rows.append(
            models.Session(
                event=event,
                guid=_guid(event.slug, "session", index),
                slug=f"session-{index + 1:04d}",
                title=_bilingual(angle_ko.format(topic=topic_ko), title_en),
                abstract=_bilingual(
                    f"{topic_ko}에 대해 도시와 기업이 함께 이야기합니다.",
                    f"Cities and companies talk about {topic_en} together.",
                ),
                kind=kind,
                language=rng.choice(_LANGUAGES),
                starts_at=starts_at if scheduled else None,
                ends_at=(
                    starts_at + dt.timedelta(minutes=rng.choice(durations)) if scheduled else None
                ),
                room=room if scheduled else None,
                track=rng.choice(tracks),
                capacity=rng.choice((20, 30, 40)) if kind == SessionKind.WORKSHOP else None,
                stream_url=room.stream_url if scheduled else "",
                status=SessionStatus.DRAFT if draft else SessionStatus.PUBLISHED,
            )
        )
    return models.Session.objects.bulk_create(rows)


def _roles_for(kind: str, size: int) -> list[SessionRoleKind]:
    if kind == SessionKind.KEYNOTE:
        return [SessionRoleKind.KEYNOTE] * size
    if kind in (SessionKind.PANEL, SessionKind.FORUM, SessionKind.ROUNDTABLE) and size > 1:
        return [SessionRoleKind.MODERATOR] + [SessionRoleKind.PANELLIST] * (size - 1)
    if kind == SessionKind.SHOWROOM_TOUR:
        return [SessionRoleKind.HOST] * size
    return [SessionRoleKind.SPEAKER] * size


def _shuffled_forever(
    items: Sequence[models.Person], rng: random.Random
) -> Iterator[models.Person]:
    # Dealing from reshuffled decks puts everyone on the program before anyone appears twice.
    while True:
        deck = list(items)
        rng.shuffle(deck)
        yield from deck


def _create_roles(
    sessions: Sequence[models.Session], people: Sequence[models.Person], *, rng: random.Random
) -> None:
    deck = _shuffled_forever(people, rng)
    rows = []
    for session in sessions:
        size = min(rng.randint(1, 4), len(people))
        chosen: list[models.Person] = []
        while len(chosen) < size:
            person = next(deck)
            if person not in chosen:
                chosen.append(person)
        for position, (person, role) in enumerate(
            zip(chosen, _roles_for(session.kind, size), strict=True)
        ):
            rows.append(
                models.SessionRole(session=session, person=person, role=role, position=position)
            )
    models.SessionRole.objects.bulk_create(rows)
