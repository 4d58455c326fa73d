"""factory-boy factories for registration categories and registrations."""

from __future__ import annotations

import secrets

import factory

from madang.registration.enums import (
    CategoryKind,
    Participation,
    RegistrationLanguage,
    RegistrationStatus,
)
from madang.registration.models import Category, Registration
from tests.factories import EventFactory, bilingual


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    event = factory.SubFactory(EventFactory)
    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: bilingual(f"시민 {n}", f"Citizens {n}"))
    kind = CategoryKind.CITIZEN
    participation = Participation.ON_SITE
    capacity = 100
    opens_at = None
    closes_at = None
    needs_approval = False
    position = factory.Sequence(lambda n: n)


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration written directly, for setting up states; tests of rules use the services."""

    class Meta:
        model = Registration

    category = factory.SubFactory(CategoryFactory)
    event = factory.SelfAttribute("category.event")
    name = factory.Sequence(lambda n: f"Attendee {n}")
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    language = RegistrationLanguage.KO
    status = RegistrationStatus.CONFIRMED
    client_token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
