"""A person's rights over their data (PIPA, GDPR): a copy of it, deleting the account, and
anonymising registrations once an edition is long over.

Registrations carry no link to an account: they belong to whoever owns the address they were
made with, so a person's registrations are the ones made with an address they have verified.
Anonymised registrations keep their status, category and dates so that counts and reports of
past editions stay right; only the name and address go.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from madang.accounts import audit
from madang.accounts.actors import SYSTEM
from madang.accounts.models import AuditEntry, EditionRole, User
from madang.notifications.models import OutboxMessage
from madang.notifications.services import anonymise_messages
from madang.program.models import Event
from madang.registration.models import (
    FREE_TEXT_KINDS,
    AgendaFeed,
    Answer,
    Invitation,
    Registration,
    StarredSession,
)
from madang.registration.models.questions import new_invitation_token
from madang.stage.models import ChatMessage, Question

# ".invalid" is reserved (RFC 2606), so no real address ever looks like this; the unique
# reference keeps the one-active-registration-per-address rule of an edition satisfied.
ANONYMOUS_EMAIL_PREFIX = "deleted-"
ANONYMOUS_EMAIL_DOMAIN = "@invalid"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def verified_addresses(user: User) -> list[str]:
    """The addresses ``user`` has proven to own, in lower case."""
    return sorted(
        {
            address.lower()
            for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
                "email", flat=True
            )
        }
    )


def registrations_of(user: User) -> QuerySet[Registration]:
    """Registrations made with one of ``user``'s verified addresses (case-insensitive)."""
    addresses = verified_addresses(user)
    if not addresses:
        return Registration.objects.none()
    condition = Q()
    for address in addresses:
        condition |= Q(email__iexact=address)
    return Registration.objects.filter(condition)


def invitations_of(user: User) -> QuerySet[Invitation]:
    """Invitations sent to one of ``user``'s verified addresses (case-insensitive)."""
    addresses = verified_addresses(user)
    if not addresses:
        return Invitation.objects.none()
    condition = Q()
    for address in addresses:
        condition |= Q(email__iexact=address)
    return Invitation.objects.filter(condition)


def _answers_and_consents(registration: Registration) -> dict[str, Any]:
    return {
        "answers": [
            {
                "question": answer.question.slug,
                "label": str(answer.question.label),
                "answer": answer.display(),
            }
            for answer in registration.answers.all()
        ],
        "consents": [
            {
                "purpose": record.purpose,
                "text": record.text,
                "language": record.language,
                "text_version": record.text_version,
                "given": record.given,
                "recorded": _iso(record.recorded_at),
                "withdrawn": _iso(record.withdrawn_at),
            }
            for record in registration.consents.all()
        ],
    }


def export_personal_data(*, user: User) -> dict[str, Any]:
    """Everything we hold about ``user``, as JSON-serialisable data (times in ISO 8601).

    Audit entries list what the person did but not the objects' names or details, which may
    be other people's data (an organiser's log names the registrants they handled).

    Side effects: none (reads only).
    """
    registrations = (
        registrations_of(user)
        .select_related("event", "category")
        .prefetch_related("answers__question", "consents")
        .order_by("created_at", "id")
    )
    stars = StarredSession.objects.filter(user=user).select_related("session__event")
    feeds = AgendaFeed.objects.filter(user=user).order_by("created_at", "id")
    roles = EditionRole.objects.filter(user=user).select_related("event").order_by("id")
    entries = AuditEntry.objects.filter(actor=user).select_related("event").order_by("at", "id")
    return {
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "preferred_language": user.preferred_language,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("id")
            ],
            "connected_accounts": [
                {
                    "provider": account.provider,
                    "uid": account.uid,
                    "date_joined": _iso(account.date_joined),
                    "last_login": _iso(account.last_login),
                    "extra_data": account.extra_data,
                }
                for account in SocialAccount.objects.filter(user=user).order_by("id")
            ],
        },
        "roles": [
            {
                "edition": role.event.slug,
                "role": role.role,
                "created": _iso(role.created_at),
            }
            for role in roles
        ],
        "registrations": [
            {
                "reference": registration.reference,
                "edition": registration.event.slug,
                "category": registration.category.slug,
                "name": registration.name,
                "email": registration.email,
                "language": registration.language,
                "status": registration.status,
                "created": _iso(registration.created_at),
                **_answers_and_consents(registration),
            }
            for registration in registrations
        ],
        "invitations": [
            {
                "edition": invitation.event.slug,
                "category": invitation.category.slug,
                "name": invitation.name,
                "email": invitation.email,
                "language": invitation.language,
                "organisation": invitation.organisation,
                "city": invitation.city,
                "country": str(invitation.country.code or ""),
                "created": _iso(invitation.created_at),
                "used": _iso(invitation.used_at),
            }
            for invitation in invitations_of(user)
            .select_related("event", "category")
            .order_by("created_at", "id")
        ],
        "starred_sessions": [
            {
                "edition": star.session.event.slug,
                "session": star.session.slug,
                "title": str(star.session.title),
                "starred": _iso(star.created_at),
            }
            for star in stars
        ],
        "agenda_feeds": [
            {
                "token": feed.token,
                "active": feed.is_active,
                "created": _iso(feed.created_at),
                "revoked": _iso(feed.revoked_at),
            }
            for feed in feeds
        ],
        # Emails we sent them (notifications outbox), with what they said.
        "emails": [
            {
                "edition": message.event.slug,
                "kind": message.kind,
                "to": message.to_address,
                "subject": message.subject,
                "text": message.text_body,
                "status": message.status,
                "created": _iso(message.created_at),
                "sent": _iso(message.sent_at),
            }
            for message in OutboxMessage.objects.filter(
                registration__in=registrations_of(user).values("pk")
            )
            .select_related("event")
            .order_by("created_at", "id")
        ],
        # Questions asked in sessions' Q&A while signed in.
        "questions": [
            {
                "edition": question.session.event.slug,
                "session": question.session_id,
                "text": question.text,
                "name_shown": question.display_name,
                "anonymous": question.is_anonymous,
                "status": question.status,
                "created": _iso(question.created_at),
            }
            for question in Question.objects.filter(author=user)
            .select_related("session__event")
            .order_by("created_at", "id")
        ],
        "audit_entries": [
            {
                "action": entry.action,
                "edition": entry.event.slug if entry.event is not None else None,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "at": _iso(entry.at),
            }
            for entry in entries
        ],
        # What they wrote in session chats (those a moderator deleted too).
        "chat_messages": [
            {
                "edition": message.session.event.slug,
                "session": message.session_id,
                "text": message.text,
                "at": _iso(message.created_at),
                "deleted": message.is_deleted,
            }
            for message in ChatMessage.objects.filter(author=user)
            .select_related("session__event")
            .order_by("id")
        ],
    }


def _anonymise_invitations(invitations: QuerySet[Invitation]) -> int:
    """Blank what identifies the invited person; a new token makes an unused link stop working."""
    changed = 0
    for invitation in invitations.exclude(email__startswith=ANONYMOUS_EMAIL_PREFIX).only("pk"):
        changed += Invitation.objects.filter(pk=invitation.pk).update(
            name="",
            email=f"{ANONYMOUS_EMAIL_PREFIX}invitation-{invitation.pk}{ANONYMOUS_EMAIL_DOMAIN}",
            organisation="",
            city="",
            country="",
            token=new_invitation_token(),
        )
    return changed


def _anonymise(registrations: QuerySet[Registration]) -> int:
    """Blank the name and replace the address of each registration not yet anonymised.

    Answers typed in by the person (text, city) are blanked too; chosen options, countries and
    consent records stay, so that a past edition's figures stay right.
    """
    Answer.objects.filter(
        registration__in=registrations.values("pk"), question__kind__in=FREE_TEXT_KINDS
    ).exclude(text="").update(text="")
    anonymise_messages(OutboxMessage.objects.filter(registration__in=registrations.values("pk")))
    return (
        registrations.exclude(
            name="",
            email__startswith=ANONYMOUS_EMAIL_PREFIX,
            email__endswith=ANONYMOUS_EMAIL_DOMAIN,
        )
        .order_by()
        .update(
            name="",
            email=Concat(
                Value(ANONYMOUS_EMAIL_PREFIX), F("reference"), Value(ANONYMOUS_EMAIL_DOMAIN)
            ),
            updated_at=timezone.now(),
        )
    )


def delete_account(*, user: User) -> dict[str, int]:
    """Delete ``user``'s account and what hangs on it; return how many of each were handled.

    Side effects, in one transaction: anonymises the registrations made with the user's
    verified addresses (status, category and dates kept, so counts stay right); deletes their
    starred sessions, agenda feeds (a feed's token is its only credential, so deleting it
    revokes the address) and roles; keeps the audit entries they made, with the actor set to
    no one and the recorded name replaced by ``deleted-user-<id>`` (the log stays readable as
    "the same person did these" without naming them); deletes the user, which deletes their
    allauth email addresses and connected accounts by cascade; records an
    ``accounts.delete_account`` audit entry holding only counts.
    """
    with transaction.atomic():
        # The addresses must be read before the user and their EmailAddress rows go.
        counts = {
            "registrations": _anonymise(registrations_of(user)),
            "invitations": _anonymise_invitations(invitations_of(user)),
            "starred_sessions": StarredSession.objects.filter(user=user).delete()[0],
            "agenda_feeds": AgendaFeed.objects.filter(user=user).delete()[0],
            "roles": EditionRole.objects.filter(user=user).delete()[0],
            # Their questions stay in the sessions' Q&A, without a name.
            "questions": Question.objects.filter(author=user).update(
                author=None, display_name="", is_anonymous=True
            ),
            "audit_entries": AuditEntry.objects.filter(actor=user).update(
                actor=None, actor_repr=f"deleted-user-{user.pk}"
            ),
        }
        user.delete()
        audit.record(actor=None, action="accounts.delete_account", details=counts)
    return counts


def _last_moment(event: Event) -> datetime:
    """The end of the edition's last day, in its own zone."""
    return datetime.combine(event.ends_on + timedelta(days=1), time.min, tzinfo=event.zone)


def anonymise_registrations(*, days: int, now: datetime | None = None) -> int:
    """Anonymise the registrations of editions whose last day ended more than ``days`` ago.

    Returns how many registrations changed; running it again changes none.

    Side effects: blanks the name and replaces the address of those registrations, in one
    transaction, and records an ``registration.anonymise`` audit entry per edition changed.
    """
    moment = now if now is not None else timezone.now()
    cutoff = moment - timedelta(days=days)
    # A day's slack either way covers every zone; the exact test is per edition below.
    candidates = Event.objects.filter(ends_on__lte=cutoff.date() + timedelta(days=1))
    changed = 0
    with transaction.atomic():
        for event in candidates.order_by("id"):
            if _last_moment(event) >= cutoff:
                continue
            count = _anonymise(Registration.objects.filter(event=event))
            _anonymise_invitations(Invitation.objects.filter(event=event))
            if count:
                audit.record(
                    actor=SYSTEM,  # a scheduled command, on nobody's behalf
                    action="registration.anonymise",
                    event=event,
                    details={"registrations": count, "days": days},
                )
            changed += count
    return changed
