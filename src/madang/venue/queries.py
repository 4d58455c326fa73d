"""Reads for the virtual venue: the open spaces of a published edition."""

from __future__ import annotations

from django.db.models import QuerySet

from madang.program.models import Event
from madang.venue.models import VenueSpace


def public_spaces(event: Event) -> QuerySet[VenueSpace]:
    return VenueSpace.objects.filter(event=event, is_open=True).select_related(
        "stage", "stage__room"
    )


def public_space(edition_slug: str, slug: str) -> VenueSpace | None:
    """An open space of a published edition, or None."""
    return (
        VenueSpace.objects.filter(
            event__slug=edition_slug, event__is_published=True, is_open=True, slug=slug
        )
        .select_related("event", "stage", "stage__room", "stage__event")
        .first()
    )


def open_space_by_id(space_id: int) -> VenueSpace | None:
    return (
        VenueSpace.objects.filter(pk=space_id, event__is_published=True, is_open=True)
        .select_related("event")
        .first()
    )
