"""Reads about accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from madang.accounts.models import EditionRole


def roles_of(user: Any) -> QuerySet[EditionRole]:
    """The roles ``user`` holds, newest edition first, with their editions loaded."""
    return (
        EditionRole.objects.filter(user_id=user.pk)
        .select_related("event")
        .order_by("-event__starts_on", "event_id", "role")
    )
