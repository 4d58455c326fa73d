"""Closed vocabularies of registration; labels are translated through gettext."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CategoryKind(models.TextChoices):
    """Who a category is for; organisers name each category themselves, this is for sorting."""

    CITIZEN = "citizen", _("Citizen")
    OFFICIAL = "official", _("Public official")
    COMPANY = "company", _("Company")
    PRESS = "press", _("Press")
    SPEAKER = "speaker", _("Speaker")
    STAFF = "staff", _("Staff")


class Participation(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")


class RegistrationLanguage(models.TextChoices):
    """The language we write to the registrant in."""

    KO = "ko", _("Korean")
    EN = "en", _("English")


class RegistrationStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    OFFERED = "offered", _("Offered a place")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Not accepted")


class CancelReason(models.TextChoices):
    """Why a registration was cancelled, kept for organisers and for counting."""

    BY_REGISTRANT = "by_registrant", _("Cancelled by the registrant")
    BY_ORGANISER = "by_organiser", _("Cancelled by an organiser")
    OFFER_LAPSED = "offer_lapsed", _("The offered place was not accepted in time")


# Statuses that hold one of a category's places.
PLACE_HOLDING = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.PENDING_APPROVAL,
)
# Statuses after which the email address may register again.
INACTIVE = (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED)
