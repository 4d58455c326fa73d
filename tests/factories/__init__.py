"""factory-boy factories for the program; bilingual fields get both languages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from i18nfield.strings import LazyI18nString

from madang.accounts.models import User
from madang.program import models
from madang.program.enums import EventMode, SessionStatus

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def bilingual(ko: str, en: str) -> LazyI18nString:
    return LazyI18nString({"ko": ko, "en": en})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Event

    slug = factory.Sequence(lambda n: f"week{n}")
    name = factory.Sequence(lambda n: bilingual(f"스마트시티 위크 {n}", f"Smart City Week {n}"))
    tagline = bilingual("사람 중심의 기술", "Human-centred technology")
    mode = EventMode.HYBRID
    time_zone = "Asia/Seoul"
    starts_on = dt.date(2030, 10, 10)
    ends_on = dt.date(2030, 10, 12)
    is_published = True


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Venue

    event = factory.SubFactory(EventFactory)
    name = bilingual("코엑스", "COEX")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Room

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: bilingual(f"{n}홀", f"Hall {n}"))
    capacity = 200
    position = factory.Sequence(lambda n: n)


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Track

    event = factory.SubFactory(EventFactory)
    slug = factory.Sequence(lambda n: f"track-{n}")
    name = factory.Sequence(lambda n: bilingual(f"트랙 {n}", f"Track {n}"))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation

    name = factory.Sequence(lambda n: bilingual(f"기관 {n}", f"Organisation {n}"))
    country = "KR"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Person

    slug = factory.Sequence(lambda n: f"person-{n}")
    name = factory.Sequence(lambda n: bilingual(f"연사 {n}", f"Speaker {n}"))
    position = bilingual("교수", "Professor")
    organisation = factory.SubFactory(OrganisationFactory)
    country = "KR"
    biography = bilingual("소개", "Biography")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Session

    event = factory.SubFactory(EventFactory)
    slug = factory.Sequence(lambda n: f"session-{n}")
    title = factory.Sequence(lambda n: bilingual(f"세션 {n}", f"Session {n}"))
    abstract = bilingual("요약", "Abstract")
    language = "ko"
    starts_at = dt.datetime(2030, 10, 10, 10, 0, tzinfo=SEOUL)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=1))
    room = factory.SubFactory(RoomFactory, event=factory.SelfAttribute("..event"))
    status = SessionStatus.PUBLISHED


class SessionRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SessionRole

    session = factory.SubFactory(SessionFactory)
    person = factory.SubFactory(PersonFactory)
    role = "speaker"
