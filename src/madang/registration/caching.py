"""What the registration form needs of an edition, kept per process until the edition changes.

A registration POST needs the edition, its categories and the chosen category's questions: three
queries that return the same rows for every registrant. They are read once per program version
(``program.caching``) and kept in the per-process page store; saving or deleting a category or a
question bumps the version, like any program edit, so every worker reads them again at once.
The capacity is never taken from here: the service counts places under the category's lock,
on the row it has just locked, and checks there again that the category is open.

Without a readable version (Redis down) everything is read from the database every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from madang.program import caching
from madang.program.models import Event
from madang.registration.models import Category, Question


@dataclass(frozen=True)
class FormSetup:
    """A published edition with all its categories (in order) and their questions."""

    event: Event
    categories: tuple[Category, ...]
    questions: dict[int, tuple[Question, ...]] = field(default_factory=dict)

    def open_categories(self, now: datetime) -> list[Category]:
        """The categories open for registration at ``now``, as ``queries.open_categories``."""
        return [category for category in self.categories if category.is_open_at(now)]

    def questions_of(self, category: Category | None) -> list[Question]:
        """The category's questions in the order they are asked (none without a category)."""
        if category is None:
            return []
        return list(self.questions.get(category.pk, ()))


def form_setup(slug: str) -> FormSetup | None:
    """The registration set-up of the published edition ``slug``, or None when there is none."""
    edition = caching.published_edition(slug)
    if edition is None:
        return None
    key = caching.cache_key(edition.event_id, "registration-form", version=edition.version)
    setup: FormSetup | None = caching.remembered(key, lambda: _read(edition))
    return setup


def _read(edition: caching.PublishedEdition) -> FormSetup | None:
    event = edition.event or Event.objects.filter(pk=edition.event_id, is_published=True).first()
    if event is None:
        return None
    categories = tuple(Category.objects.filter(event=event).order_by("position", "id"))
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(category__event=event).order_by("position", "id"):
        questions.setdefault(question.category_id, []).append(question)
    return FormSetup(
        event=event,
        categories=categories,
        questions={pk: tuple(found) for pk, found in questions.items()},
    )


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Question)
def _form_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    event_id: int | None
    if isinstance(instance, Category):
        event_id = instance.event_id
    else:
        event_id = (
            Category.objects.filter(pk=instance.category_id)
            .values_list("event_id", flat=True)
            .first()
        )
    if event_id is not None:
        caching.bump_program_version(event_id)
