"""Writing an email to a registrant: subject, text and HTML bodies, and attachments.

Everything is rendered in the registrant's language, with the edition's dates and times in the
edition's own time zone. Composing reads only; the caller decides whether the badge exists
(``badge_code``), so a preview can compose with a sample code and store nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from madang.checkin.badges import qr_png
from madang.notifications.enums import WITH_TICKET, MessageKind
from madang.program.models import Event, Session
from madang.program.schedule_export import GENERATOR_NAME, pick_text
from madang.registration.enums import CancelReason, Participation, RegistrationStatus
from madang.registration.models import Invitation, Registration

QR_CONTENT_ID = "badge-qr"
QR_FILENAME = "badge-qr.png"
ICS_CONTENT_TYPE = "text/calendar"
DATE_RANGE_SEPARATOR = " \u2013 "  # an en dash between the first and last day


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes
    # Set for an image the HTML body shows inline through ``cid:<content_id>``.
    content_id: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"name": self.filename, "content_type": self.content_type, "size": len(self)}

    def __len__(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ComposedMessage:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)

    def html_for_display(self) -> str:
        """The HTML body with inline images as ``data:`` addresses, for a preview frame."""
        html = self.html
        for attachment in self.attachments:
            if attachment.content_id:
                encoded = base64.b64encode(attachment.content).decode("ascii")
                html = html.replace(
                    f"cid:{attachment.content_id}",
                    f"data:{attachment.content_type};base64,{encoded}",
                )
        return html


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def manage_url(registration: Registration, language: str) -> str:
    """The registrant's personal page, in their language."""
    with translation.override(language):
        path = reverse(
            "registration-manage",
            kwargs={"slug": registration.event.slug, "token": registration.manage_token},
        )
    return absolute(path)


def edition_url(event: Event, language: str) -> str:
    with translation.override(language):
        return absolute(reverse("event-home", kwargs={"slug": event.slug}))


def waitlist_place(registration: Registration) -> int | None:
    """The registration's place in its category's waiting list (1 = next), if it is waiting."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.pk is None:
        return None
    ahead = Registration.objects.filter(
        category_id=registration.category_id,
        status=RegistrationStatus.WAITLISTED,
        created_at__lte=registration.created_at,
    ).exclude(created_at=registration.created_at, id__gt=registration.pk)
    return ahead.count()


def edition_dates(event: Event) -> str:
    first = formats.date_format(event.starts_on, "DATE_FORMAT")
    if event.ends_on == event.starts_on:
        return first
    return f"{first}{DATE_RANGE_SEPARATOR}{formats.date_format(event.ends_on, 'DATE_FORMAT')}"


def local_moment(event: Event, moment: datetime) -> str:
    """A moment as the edition's clock shows it, with the zone named."""
    local = moment.astimezone(event.zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({event.time_zone})"


def edition_calendar(event: Event, language: str) -> bytes:
    """The edition as one all-day calendar entry over its days, titled in ``language``."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{GENERATOR_NAME}//Registration//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"{event.guid}@madang")
    entry.add("dtstamp", event.updated_at)
    entry.add("dtstart", event.starts_on)
    # An all-day entry ends (exclusively) on the day after the last day.
    entry.add("dtend", event.ends_on + timedelta(days=1))
    entry.add("summary", pick_text(event.name, language))
    url = edition_url(event, language)
    entry.add("url", url)
    entry.add("description", url)
    venue = event.venues.order_by("id").first()
    if venue is not None:
        entry.add("location", pick_text(venue.name, language))
    calendar.add_component(entry)
    body: bytes = calendar.to_ical()
    return body


def _subject(kind: MessageKind, context: dict[str, Any]) -> str:
    edition = context["edition_name"]
    if kind == MessageKind.CONFIRMATION:
        return gettext("Your registration for %(edition)s is confirmed") % {"edition": edition}
    if kind == MessageKind.PENDING_APPROVAL:
        return gettext("We received your request to attend %(edition)s") % {"edition": edition}
    if kind == MessageKind.APPROVED:
        return gettext("Your registration for %(edition)s was approved") % {"edition": edition}
    if kind == MessageKind.REJECTED:
        return gettext("Your registration request for %(edition)s was declined") % {
            "edition": edition
        }
    if kind == MessageKind.WAITLISTED:
        return gettext("You are on the waiting list for %(edition)s") % {"edition": edition}
    if kind == MessageKind.OFFERED:
        return gettext("A place at %(edition)s is free for you: accept by %(deadline)s") % {
            "edition": edition,
            "deadline": context["offer_deadline"] or "",
        }
    if kind == MessageKind.OFFER_LAPSED:
        return gettext("The place offered to you at %(edition)s has passed on") % {
            "edition": edition
        }
    if kind == MessageKind.SESSION_PLACE:
        return gettext("A place in %(session)s is yours") % {"session": context["session_title"]}
    if kind == MessageKind.INVITATION:
        return gettext("You are invited to %(edition)s") % {"edition": edition}
    if kind == MessageKind.CANCELLED:
        return gettext("Your registration for %(edition)s is cancelled") % {"edition": edition}
    return gettext("%(edition)s starts tomorrow") % {"edition": edition}


def compose(
    *,
    registration: Registration,
    kind: MessageKind,
    badge_code: str | None = None,
    manage_link: str | None = None,
    place_in_line: int | None = None,
    session: Session | None = None,
) -> ComposedMessage:
    """The message of ``kind`` for ``registration``, in the registration's language.

    ``badge_code`` (the signed code of the registration's badge) adds the QR code, attached and
    shown inline; pass it only for on-site registrations that hold a badge. ``manage_link`` and
    ``place_in_line`` default to the registration's own (a preview passes samples).
    ``session`` is the session a message of kind ``session_place`` is about.

    Side effects: none.
    """
    language = registration.language
    event = registration.event
    with translation.override(language):
        online = registration.category.participation == Participation.ONLINE
        context: dict[str, Any] = {
            "kind": kind,
            "language": language,
            "registration": registration,
            "name": registration.name,
            "reference": registration.reference,
            "edition_name": pick_text(event.name, language),
            "edition_dates": edition_dates(event),
            "edition_zone": event.time_zone,
            "edition_url": edition_url(event, language),
            "category_name": pick_text(registration.category.name, language),
            "online": online,
            "manage_url": manage_link or manage_url(registration, language),
            "place_in_line": place_in_line
            if place_in_line is not None
            else waitlist_place(registration),
            "offer_deadline": local_moment(event, registration.offer_expires_at)
            if registration.offer_expires_at
            else None,
            "cancelled_by_organiser": registration.cancel_reason == CancelReason.BY_ORGANISER,
            "badge_code": badge_code,
            "qr_cid": QR_CONTENT_ID,
            "site_url": settings.SITE_URL,
            **session_context(session, event, language),
        }
        subject = _subject(kind, context)
        context["subject"] = subject
        text = render_to_string(f"notifications/email/{kind}.txt", context)
        html = render_to_string(f"notifications/email/{kind}.html", context)
        attachments: list[Attachment] = []
        if kind in WITH_TICKET:
            attachments.append(
                Attachment(
                    filename=f"{event.slug}.ics",
                    content_type=ICS_CONTENT_TYPE,
                    content=edition_calendar(event, language),
                )
            )
            if badge_code and not online:
                attachments.append(
                    Attachment(
                        filename=QR_FILENAME,
                        content_type="image/png",
                        content=qr_png(badge_code),
                        content_id=QR_CONTENT_ID,
                    )
                )
    # Subjects are one line: a name or edition title cannot add headers.
    subject = " ".join(subject.split())
    return ComposedMessage(subject=subject, text=text, html=html, attachments=attachments)


def session_context(session: Session | None, event: Event, language: str) -> dict[str, Any]:
    """What a message says about one session: its title, time and room, in ``language``."""
    if session is None:
        return {"session_title": "", "session_time": "", "session_room": ""}
    return {
        "session_title": pick_text(session.title, language),
        "session_time": local_moment(event, session.starts_at) if session.starts_at else "",
        "session_room": pick_text(session.room.name, language) if session.room else "",
    }


def invitation_url(invitation: Invitation) -> str:
    """The invited person's own registration link, in their language."""
    with translation.override(invitation.language):
        path = reverse(
            "registration-invitation",
            kwargs={"slug": invitation.event.slug, "token": invitation.token},
        )
    return absolute(path)


def compose_invitation(*, invitation: Invitation, link: str | None = None) -> ComposedMessage:
    """The email that invites ``invitation``'s person to register, in their language.

    ``link`` defaults to the invitation's own personal link (a preview passes a sample).

    Side effects: none.
    """
    language = invitation.language
    event = invitation.event
    with translation.override(language):
        context: dict[str, Any] = {
            "kind": MessageKind.INVITATION,
            "language": language,
            "name": invitation.name,
            "edition_name": pick_text(event.name, language),
            "edition_dates": edition_dates(event),
            "edition_url": edition_url(event, language),
            "category_name": pick_text(invitation.category.name, language),
            "invitation_url": link or invitation_url(invitation),
            "site_url": settings.SITE_URL,
        }
        subject = _subject(MessageKind.INVITATION, context)
        context["subject"] = subject
        text = render_to_string("notifications/email/invitation.txt", context)
        html = render_to_string("notifications/email/invitation.html", context)
    return ComposedMessage(subject=" ".join(subject.split()), text=text, html=html)
