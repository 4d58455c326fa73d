"""Places in sessions with limited room, such as a showroom tour of 20 or a roundtable.

A session's ``capacity`` (program) is the number of places. A confirmed registrant books a
place; when the session is full they join its waiting list, which is ordered by creation and
moves up on its own when someone cancels (``registration.session_places``). A cancelled place
keeps its row, so a person who cancels and books again gets a new row and the history stays.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madang.common.models import TimestampedModel
from madang.program.models import Session
from madang.registration.models import CLIENT_TOKEN_MAX_LENGTH, Registration


class SessionPlaceStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses of a place that still counts: a person has at most one of these per session.
ACTIVE_PLACE = (SessionPlaceStatus.BOOKED, SessionPlaceStatus.WAITLISTED)


class SessionPlace(TimestampedModel):
    """One registrant's place, or place in line, in one session with limited places."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="places", verbose_name=_("session")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="session_places",
        verbose_name=_("registration"),
    )
    status = models.CharField(_("status"), max_length=12, choices=SessionPlaceStatus.choices)
    client_token = models.CharField(
        _("client token"), max_length=CLIENT_TOKEN_MAX_LENGTH, editable=False
    )
    booked_at = models.DateTimeField(_("booked"), null=True, blank=True)
    # Set when the place came from the waiting list, so the personal page can say so.
    promoted_at = models.DateTimeField(_("moved up from the waiting list"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("session place")
        verbose_name_plural = _("session places")
        constraints = [
            models.UniqueConstraint(
                fields=["client_token"], name="registration_session_place_token_unique"
            ),
            models.UniqueConstraint(
                fields=["session", "registration"],
                condition=Q(status__in=ACTIVE_PLACE),
                name="registration_session_place_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionPlaceStatus.values),
                name="registration_session_place_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionPlaceStatus.BOOKED) | Q(booked_at__isnull=False),
                name="registration_session_place_booked_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "status", "created_at", "id"],
                name="registration_session_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} · {self.session_id} · {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_PLACE
