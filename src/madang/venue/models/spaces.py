"""A virtual venue space of an edition: which map, how many avatars per instance, which stage.

Where avatars stand and who is present is ephemeral (memory of the serving process, see
``engine.py``); the database keeps only how a space is set up.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField

from madang.common.models import TimestampedModel
from madang.venue.maps import MAP_CHOICES

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,49}$", _("Use a-z, 0-9 and hyphens."))


class VenueSpace(TimestampedModel):
    event = models.ForeignKey(
        "program.Event",
        on_delete=models.CASCADE,
        related_name="venue_spaces",
        verbose_name=_("edition"),
    )
    slug = models.SlugField(
        _("address name"),
        max_length=50,
        validators=[slug_validator],
        help_text=_("Used in the space's address, e.g. roundtable."),
    )
    name = I18nCharField(_("name"), max_length=120)
    map_key = models.CharField(_("map"), max_length=30, choices=MAP_CHOICES, default="roundtable")
    capacity = models.PositiveIntegerField(
        _("avatars per instance"),
        default=200,
        validators=[MinValueValidator(2), MaxValueValidator(2000)],
        help_text=_("When an instance is full, a new one opens; all share the stage and floor."),
    )
    stage = models.ForeignKey(
        "stage.Stage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="venue_spaces",
        verbose_name=_("stage shown"),
        help_text=_("Its stream plays in the stage zone."),
    )
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="hosted_venue_spaces",
        verbose_name=_("hosts"),
        help_text=_("Besides organisers and moderators, these people give the floor here."),
    )
    allow_guests = models.BooleanField(
        _("guests may enter"),
        default=True,
        help_text=_("Visitors who are not signed in enter with a guest name."),
    )
    is_open = models.BooleanField(_("open"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("venue space")
        verbose_name_plural = _("venue spaces")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="venue_space_slug_unique"),
        ]

    def __str__(self) -> str:
        return str(self.name)
