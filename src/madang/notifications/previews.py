"""Previews of every email of an edition, written to a sample registrant; nothing is stored."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from i18nfield.strings import LazyI18nString

from madang.checkin.badges import badge_code
from madang.checkin.models import Badge
from madang.notifications.composing import (
    ComposedMessage,
    compose,
    compose_invitation,
    invitation_url,
    manage_url,
)
from madang.notifications.enums import MessageKind
from madang.program.models import Event, Session
from madang.registration.enums import CancelReason, Participation, RegistrationStatus
from madang.registration.models import Category, Invitation, Registration
from madang.registration.services import OFFER_HOURS

SAMPLE_REFERENCE = "SAMPLE23"
SAMPLE_TOKEN = "sample-personal-link"  # noqa: S105 (a placeholder in a preview link)
SAMPLE_PLACE_IN_LINE = 3

_STATUS_FOR_KIND = {
    MessageKind.CONFIRMATION: RegistrationStatus.CONFIRMED,
    MessageKind.APPROVED: RegistrationStatus.CONFIRMED,
    MessageKind.REMINDER: RegistrationStatus.CONFIRMED,
    MessageKind.SESSION_PLACE: RegistrationStatus.CONFIRMED,
    # An invitation's preview borrows only the sample's category and name.
    MessageKind.INVITATION: RegistrationStatus.PENDING_APPROVAL,
    MessageKind.PENDING_APPROVAL: RegistrationStatus.PENDING_APPROVAL,
    MessageKind.REJECTED: RegistrationStatus.REJECTED,
    MessageKind.WAITLISTED: RegistrationStatus.WAITLISTED,
    MessageKind.OFFERED: RegistrationStatus.OFFERED,
    MessageKind.OFFER_LAPSED: RegistrationStatus.CANCELLED,
    MessageKind.CANCELLED: RegistrationStatus.CANCELLED,
}


def sample_registration(
    *, event: Event, kind: MessageKind, language: str, participation: Participation
) -> Registration:
    """An unsaved registration in ``event`` as the message of ``kind`` would find it."""
    category = (
        Category.objects.filter(event=event, participation=participation)
        .order_by("position", "id")
        .first()
    )
    if category is None:
        category = Category(
            event=event,
            slug="sample",
            name=LazyI18nString({"ko": "시민", "en": "Citizens"}),
            participation=participation,
        )
    with translation.override(language):
        name = gettext("Sample Registrant")
    return Registration(
        event=event,
        category=category,
        reference=SAMPLE_REFERENCE,
        name=name,
        email="registrant@example.org",
        language=language,
        status=_STATUS_FOR_KIND[kind],
        offer_expires_at=timezone.now() + timedelta(hours=OFFER_HOURS)
        if kind == MessageKind.OFFERED
        else None,
        cancel_reason=CancelReason.OFFER_LAPSED
        if kind == MessageKind.OFFER_LAPSED
        else (CancelReason.BY_REGISTRANT if kind == MessageKind.CANCELLED else ""),
        manage_token=SAMPLE_TOKEN,
    )


def preview_message(
    *,
    event: Event,
    kind: MessageKind,
    language: str,
    participation: Participation = Participation.ON_SITE,
) -> ComposedMessage:
    """The message of ``kind`` in ``language`` as a sample registrant of ``event`` would get it.

    Side effects: none; no registration, badge or outbox message is created and nothing is sent.
    """
    registration = sample_registration(
        event=event, kind=kind, language=language, participation=participation
    )
    if kind == MessageKind.INVITATION:
        invitation = Invitation(
            event=event,
            category=registration.category,
            name=registration.name,
            email=registration.email,
            language=language,
            token=SAMPLE_TOKEN,
        )
        return compose_invitation(invitation=invitation, link=invitation_url(invitation))
    # A correctly signed code of a badge that does not exist: a scan of it is refused.
    code = badge_code(Badge(event=event, secret="sample-badge-preview"))  # noqa: S106
    return compose(
        registration=registration,
        kind=kind,
        badge_code=code,
        manage_link=manage_url(registration, language),
        place_in_line=SAMPLE_PLACE_IN_LINE,
        session=sample_session(event, language) if kind == MessageKind.SESSION_PLACE else None,
    )


def sample_session(event: Event, language: str) -> Session:
    """A session of ``event`` with limited places (any session, else an unsaved sample)."""
    chosen = (
        Session.objects.filter(event=event)
        .select_related("room")
        .order_by(F("capacity").asc(nulls_last=True), "starts_at", "id")
        .first()
    )
    if chosen is not None:
        return chosen
    with translation.override(language):
        title = gettext("Sample session")
    return Session(event=event, title=LazyI18nString({language: title}))
