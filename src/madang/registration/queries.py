"""Reusable reads for registration pages and the back office."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from madang.program.models import Event
from madang.registration.enums import PLACE_HOLDING, RegistrationStatus
from madang.registration.models import Category, ConsentRecord, Question, Registration


def open_categories(event: Event, *, now: datetime) -> QuerySet[Category]:
    """Categories of ``event`` open for registration at ``now``, each with ``places_taken``."""
    return (
        Category.objects.filter(event=event)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .order_by("position", "id")
        .annotate(
            places_taken=Count("registrations", filter=Q(registrations__status__in=PLACE_HOLDING))
        )
    )


def registration_by_reference(event: Event, reference: str) -> Registration | None:
    """The registration in ``event`` with this reference (case-insensitive), with its category."""
    return (
        Registration.objects.select_related("category", "event")
        .filter(event=event, reference=reference.upper())
        .first()
    )


def waitlist_position(registration: Registration) -> int | None:
    """Where a waitlisted registration stands in its category's queue (1 = next), else None."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(
            category_id=registration.category_id, status=RegistrationStatus.WAITLISTED
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, id__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def category_questions(category: Category | None) -> list[Question]:
    """The questions of ``category`` in the order they are asked (none without a category)."""
    if category is None:
        return []
    return list(Question.objects.filter(category=category).order_by("position", "id"))


def given_consents(registration: Registration) -> list[ConsentRecord]:
    """The consents a registrant gave, oldest first, withdrawn ones included (with the date)."""
    return list(registration.consents.filter(given=True).order_by("recorded_at", "pk"))
