"""The program of an edition: venues, rooms, tracks, sessions and the people in them.

Organiser text is bilingual through django-i18nfield (one JSON text column per field, one key
per language). Integrity that the database can hold is in ``Meta.constraints``.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from functools import cached_property

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from i18nfield.fields import I18nCharField, I18nTextField

from madang.common.models import TimestampedModel
from madang.program.enums import (
    SPOKEN_LANGUAGES,
    EventMode,
    RoomKind,
    SessionKind,
    SessionRoleKind,
    SessionStatus,
)

# First path segments of the public site that an edition's slug must not take.
RESERVED_SLUGS = frozenset(
    {
        "manage",
        "admin",
        "search",
        "archive",
        "api",
        "static",
        "media",
        "prefs",
        "accounts",
        "agenda",
        "sitemap.xml",
        "robots.txt",
        "i18n",
        "healthz",
        "ws",
    }
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(_("%(value)s is reserved by the site."), params={"value": value})


class Event(TimestampedModel):
    """One edition of the week, e.g. Seoul Smart City Week 2021."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(
        _("short name"), max_length=40, unique=True, validators=[validate_not_reserved]
    )
    name = I18nCharField(_("name"))
    tagline = I18nCharField(_("theme"), blank=True)
    description = I18nTextField(_("description"), blank=True)
    mode = models.CharField(
        _("format"), max_length=10, choices=EventMode.choices, default=EventMode.HYBRID
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_time_zone]
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    is_published = models.BooleanField(_("published"), default=False)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def days(self) -> list[date]:
        count = (self.ends_on - self.starts_on).days + 1
        return [self.starts_on + timedelta(days=i) for i in range(count)]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    @property
    def has_ended(self) -> bool:
        """Whether the last day is over in the edition's own zone."""
        return timezone.localdate(timezone=self.zone) > self.ends_on


class City(models.Model):
    name = I18nCharField(_("name"))
    country = CountryField(_("country"))

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="city_unique_in_country"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.country.code}"


class Organisation(TimestampedModel):
    name = I18nCharField(_("name"))
    website = models.URLField(_("website"), blank=True)
    country = CountryField(_("country"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return str(self.name)


class Venue(TimestampedModel):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="venues", verbose_name=_("edition")
    )
    name = I18nCharField(_("name"))
    address = I18nCharField(_("address"), blank=True)
    city = models.ForeignKey(
        City, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("city")
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return str(self.name)


class Room(TimestampedModel):
    """A hall or meeting room on site, or an online room with a stream."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("edition")
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rooms",
        verbose_name=_("venue"),
    )
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = I18nCharField(_("name"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=RoomKind.choices, default=RoomKind.PHYSICAL
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    stream_url = models.URLField(_("stream URL"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="room_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)


class Track(TimestampedModel):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("edition")
    )
    slug = models.SlugField(_("short name"), max_length=60)
    name = I18nCharField(_("name"))
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#1d4ed8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1d4ed8."))],
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="track_slug_unique_in_event"),
        ]

    def __str__(self) -> str:
        return str(self.name)


class Person(TimestampedModel):
    """Someone on the program. Only public fields appear on the site; ``email`` never does."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    name = I18nCharField(_("name"))
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    position = I18nCharField(_("position"), blank=True)
    city = models.ForeignKey(
        City, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("city")
    )
    country = CountryField(_("country"), blank=True)
    biography = I18nTextField(_("biography"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="people/", blank=True)
    photo_alt = I18nCharField(_("photo description"), blank=True)
    email = models.EmailField(_("email (never shown publicly)"), blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return str(self.name)


class Session(TimestampedModel):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("edition")
    )
    guid = models.UUIDField(default=uuid.uuid4, unique=True)
    slug = models.SlugField(_("short name"), max_length=120)
    title = I18nCharField(_("title"))
    abstract = I18nTextField(_("abstract"), blank=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=SessionKind.choices, default=SessionKind.LECTURE
    )
    language = models.CharField(
        _("spoken language"), max_length=8, choices=SPOKEN_LANGUAGES, default="ko"
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    room = models.ForeignKey(
        Room,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("room"),
    )
    track = models.ForeignKey(
        Track,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("track"),
    )
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    stream_url = models.URLField(_("stream URL"), blank=True)
    recording_url = models.URLField(_("recording URL"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    people: models.ManyToManyField[Person, SessionRole] = models.ManyToManyField(
        Person, through="SessionRole", related_name="sessions", verbose_name=_("people")
    )

    class Meta:
        ordering = ["starts_at", "room__position", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="session_slug_unique_in_event"),
            models.CheckConstraint(
                condition=(
                    Q(starts_at__isnull=True, ends_at__isnull=True)
                    | Q(
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        ends_at__gt=models.F("starts_at"),
                    )
                ),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="session_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(status=SessionStatus.DRAFT) | Q(starts_at__isnull=False),
                name="published_session_is_scheduled",
            ),
        ]
        indexes = [models.Index(fields=["event", "status", "starts_at"])]

    def __str__(self) -> str:
        return str(self.title)

    @property
    def duration(self) -> timedelta | None:
        if self.starts_at is None or self.ends_at is None:
            return None
        return self.ends_at - self.starts_at

    @property
    def is_published(self) -> bool:
        return self.status == SessionStatus.PUBLISHED


class SessionRole(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="roles", verbose_name=_("session")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    role = models.CharField(
        _("role"), max_length=12, choices=SessionRoleKind.choices, default=SessionRoleKind.SPEAKER
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("role in session")
        verbose_name_plural = _("roles in sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person", "role"], name="session_role_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"
