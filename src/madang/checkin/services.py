"""Writes of check-in: recording scans, and keeping badges in step with registrations.

``record_scan`` is idempotent by the nonce the scanning device generates: the same nonce always
returns the scan first stored under it, counted once, even when two copies arrive at the same
moment (the unique constraint on ``Scan.nonce`` keeps one; the other reads it back). Scans of
one badge are serialised by a row lock on the badge, so two entrances scanning the same badge
at once cannot both let it in.

Staff and organiser writes take who acts (``staff=`` for scans, ``by=`` otherwise) and check the
permission here (``accounts.actors.require``): ``checkin.scan`` to scan, and
``registration.manage_registrations`` to revoke, reissue or issue badges, which are audited in
the same transaction. The sync endpoint checks ``checkin.scan`` once per batch too, to answer a
refusal before reading the scans; both checks share one read of the roles
(``accounts/rules.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from madang.accounts import audit
from madang.accounts.actors import require
from madang.checkin import badges
from madang.checkin.models import Badge, Direction, Entrance, Scan, ScanResult
from madang.common import errors
from madang.common.locking import LOCK_TIMEOUT, is_lock_timeout
from madang.program.models import Event
from madang.registration.enums import Participation, RegistrationStatus
from madang.registration.models import Registration
from madang.registration.signals import Change

SCAN_PERMISSION = "checkin.scan"
MANAGE_PERMISSION = "registration.manage_registrations"

# A device clock may be off; a scan claiming to come from further ahead than this is refused.
MAX_CLOCK_AHEAD_SECONDS = 24 * 3600


def parse_nonce(value: object) -> uuid.UUID:
    """The scan's nonce as a UUID; raises ``InvalidInput`` for anything else."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise errors.InvalidInput(gettext("This scan has no valid scan number.")) from exc


def record_scan(
    *,
    entrance: Entrance,
    code: str,
    nonce: uuid.UUID | str,
    scanned_at: datetime | None,
    staff: Any,
    now: datetime | None = None,
) -> Scan:
    """Record one scan of ``code`` at ``entrance`` and return it with its result.

    ``staff`` is who scanned: a user with ``checkin.scan`` in the entrance's edition (stored
    with the scan), or ``accounts.actors.SYSTEM``.

    Results: ``forged`` when the code is not one we signed (no database lookup), ``unknown``
    when no badge has that secret, ``wrong_edition``, ``revoked``; for a valid badge at an "in"
    entrance ``accepted``, or ``repeat`` while the badge is already inside that hall (``previous``
    is the scan that let it in); at an "out" entrance ``accepted`` while it is inside, otherwise
    ``not_inside``.

    The same ``nonce`` returns the scan first stored under it, unchanged.

    Side effects: creates one ``Scan`` (refused scans too); locks the badge row meanwhile.

    Raises ``PermissionDenied`` unless ``staff`` may scan in the edition (nothing is stored
    then, not even a resend of an earlier scan), ``InvalidInput`` for a bad nonce or time or a
    nonce already used at another entrance, ``Busy`` when the badge stays locked for too long.
    """
    # The entrance carries its edition's id: the check needs no query of its own, and none at
    # all after the view's check of the same request (the roles are remembered on the user).
    require(
        staff,
        SCAN_PERMISSION,
        entrance,
        gettext("You may not check people in at this edition."),
    )
    now = now or timezone.now()
    nonce_value = parse_nonce(nonce)
    moment = _check_time(scanned_at, now=now)
    secret = badges.secret_from_code(code) if isinstance(code, str) else None
    try:
        with transaction.atomic():
            badge: Badge | None = None
            previous: Scan | None = None
            if secret is None:
                result = ScanResult.FORGED
            else:
                _set_lock_timeout()
                # Only the badge row is locked; its registration and category come along to
                # describe the result without another query.
                badge = (
                    Badge.objects.select_related("registration__category")
                    .select_for_update(of=("self",))
                    .filter(secret=secret)
                    .first()
                )
                result, previous = _judge(badge, entrance)
            return Scan.objects.create(
                nonce=nonce_value,
                entrance=entrance,
                badge=badge,
                staff=staff if getattr(staff, "pk", None) is not None else None,
                direction=entrance.direction,
                hall_id=entrance.room_id,
                result=result,
                previous=previous,
                scanned_at=moment,
            )
    except IntegrityError:
        # The nonce is taken: this scan was stored before (a resend, or a concurrent copy).
        # Resends are rare, so they are found by the unique constraint rather than by a
        # lookup before every scan; the first stored result is returned unchanged.
        earlier = _by_nonce(nonce_value)
        if earlier is None:
            raise
        return _same_scan(earlier, entrance)
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise errors.Busy(
                gettext("We are busy right now. Please try again in a moment.")
            ) from exc
        raise


def _judge(badge: Badge | None, entrance: Entrance) -> tuple[ScanResult, Scan | None]:
    """The result of scanning ``badge`` (locked) at ``entrance``, and the scan it refers to."""
    if badge is None:
        return ScanResult.UNKNOWN, None
    if badge.event_id != entrance.event_id:
        return ScanResult.WRONG_EDITION, None
    if badge.revoked_at is not None:
        return ScanResult.REVOKED, None
    last = _last_accepted(badge.pk, entrance.room_id)
    inside = last is not None and last.direction == Direction.IN
    if entrance.direction == Direction.IN:
        return (ScanResult.REPEAT, last) if inside else (ScanResult.ACCEPTED, None)
    return (ScanResult.ACCEPTED, last) if inside else (ScanResult.NOT_INSIDE, last)


# The badge's last accepted scan in a hall (or the venue, without one), read on every scan of a
# valid badge: written out rather than built by the ORM, which costs several times the query
# itself here. The ``checkin_scan_badge_result`` index answers it. The scan's entrance is not
# joined: it is one of the edition's, which the caller has at hand.
_LAST_ACCEPTED_SQL = (
    "SELECT * FROM {scan} WHERE badge_id = %s AND result = %s AND {hall} ORDER BY id DESC LIMIT 1"
)


def _last_accepted(badge_id: int, hall_id: int | None) -> Scan | None:
    table = connection.ops.quote_name(Scan._meta.db_table)
    if hall_id is None:
        sql = _LAST_ACCEPTED_SQL.format(scan=table, hall="hall_id IS NULL")
        params: list[object] = [badge_id, ScanResult.ACCEPTED.value]
    else:
        sql = _LAST_ACCEPTED_SQL.format(scan=table, hall="hall_id = %s")
        params = [badge_id, ScanResult.ACCEPTED.value, hall_id]
    return next(iter(Scan.objects.raw(sql, params)), None)


def _by_nonce(nonce: uuid.UUID) -> Scan | None:
    return Scan.objects.filter(nonce=nonce).first()


def _same_scan(earlier: Scan, entrance: Entrance) -> Scan:
    if earlier.entrance_id != entrance.pk:
        raise errors.InvalidInput(gettext("This scan number was already used for another scan."))
    return earlier


def _check_time(scanned_at: datetime | None, *, now: datetime) -> datetime:
    if scanned_at is None:
        return now
    if timezone.is_naive(scanned_at):
        raise errors.InvalidInput(gettext("The scan time has no time zone."))
    if (scanned_at - now).total_seconds() > MAX_CLOCK_AHEAD_SECONDS:
        raise errors.InvalidInput(gettext("The scan time is in the future: check the clock."))
    return scanned_at


def _set_lock_timeout() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # SET LOCAL ends with the transaction, so pooled connections keep no trace.
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def badge_for_registration(registration: Registration) -> Badge | None:
    """The registration's active badge; issued now if it should have one and has none.

    Registrations confirmed before badges existed, or while a receiver failed, get their badge
    the first time it is shown. Side effects: may create a ``Badge``.
    """
    badge = badges.active_badge(registration)
    if badge is None and badges.needs_badge(registration):
        badge = badges.issue_badge(registration)
    return badge


def issue_missing_badges(*, event: Event, by: Any) -> int:
    """Issue a badge to every confirmed on-site registration of ``event`` that has none.

    ``by`` is an organiser of the edition (``registration.manage_registrations``) or
    ``accounts.actors.SYSTEM``.

    Side effects, in one transaction: creates ``Badge`` rows; when any was issued, records a
    ``checkin.issue_missing_badges`` audit entry with the count. Returns how many were issued.

    Raises ``PermissionDenied`` when ``by`` may not (nothing is issued then).
    """
    _require_manager(by, event)
    missing = (
        Registration.objects.select_related("category")
        .filter(
            event=event,
            status=RegistrationStatus.CONFIRMED,
            category__participation=Participation.ON_SITE,
        )
        .exclude(badges__revoked_at__isnull=True, badges__isnull=False)
    )
    issued = 0
    with transaction.atomic():
        for registration in missing:
            if badges.active_badge(registration) is None:
                badges.issue_badge(registration)
                issued += 1
        if issued:
            audit.record(
                actor=by,
                action="checkin.issue_missing_badges",
                event=event,
                details={"count": issued},
            )
    return issued


def revoke_badge(*, badge: Badge, by: Any) -> bool:
    """Revoke ``badge`` (and any other active badge of its registration), as the organiser ``by``.

    Side effects, in one transaction: sets ``revoked_at``; records a ``checkin.revoke_badge``
    audit entry. Revoking a revoked badge changes nothing and records nothing.

    Returns whether anything was revoked. Raises ``PermissionDenied`` unless ``by`` manages
    the registrations of the badge's edition (or is ``accounts.actors.SYSTEM``).
    """
    _require_manager(by, badge)
    with transaction.atomic():
        revoked = badges.revoke_badges(badge.registration)
        if revoked:
            audit.record(actor=by, action="checkin.revoke_badge", obj=badge)
    return bool(revoked)


def reissue_badge(*, badge: Badge, by: Any) -> Badge:
    """Revoke ``badge``'s registration's badge and issue a new one, as the organiser ``by``.

    Side effects, in one transaction: revokes the active badge, creates a new one, records a
    ``checkin.reissue_badge`` audit entry naming the badge reissued.

    Returns the new badge. Raises ``PermissionDenied`` as ``revoke_badge``, and ``Conflict``
    when the registration is no longer a confirmed on-site one (nothing changes then).
    """
    _require_manager(by, badge)
    with transaction.atomic():
        new = badges.reissue_badge(badge.registration)
        audit.record(
            actor=by, action="checkin.reissue_badge", obj=badge, details={"new_badge": new.pk}
        )
    return new


def badges_to_print(*, event: Event, category_id: int | None, by: Any) -> list[Badge]:
    """The active badges of ``event`` (or of one category of it), in print order, for ``by``.

    Side effects: when there are any, records a ``checkin.print_badges`` audit entry with the
    count (badges carry names and affiliations: printing them is an export of personal data).

    Raises ``PermissionDenied`` unless ``by`` manages the edition's registrations (or is
    ``accounts.actors.SYSTEM``).
    """
    _require_manager(by, event)
    found = (
        Badge.objects.filter(event=event, revoked_at__isnull=True)
        .select_related("registration__category__badge_style", "event")
        .order_by("registration__category__position", "registration__name", "id")
    )
    if category_id is not None:
        found = found.filter(registration__category_id=category_id)
    chosen = list(found)
    if chosen:
        audit.record(
            actor=by,
            action="checkin.print_badges",
            event=event,
            details={
                "count": len(chosen),
                "category": "" if category_id is None else str(category_id),
            },
        )
    return chosen


def _require_manager(by: Any, obj: Any) -> None:
    require(
        by,
        MANAGE_PERMISSION,
        obj,
        gettext("You may only change badges of editions you manage."),
    )


ISSUING_CHANGES = frozenset({Change.CONFIRMED, Change.APPROVED})
REVOKING_CHANGES = frozenset({Change.CANCELLED, Change.REJECTED, Change.OFFER_LAPSED})


def on_registration_changed(
    sender: object, *, registration: Registration, change: Change, **kwargs: object
) -> None:
    """Issue a badge when an on-site registration is confirmed; revoke it when it ends.

    Connected to ``registration.signals.registration_changed`` in ``CheckinConfig.ready``.
    Side effects: creates or revokes ``Badge`` rows.
    """
    if change in ISSUING_CHANGES:
        if badges.needs_badge(registration):
            badges.issue_badge(registration)
    elif change in REVOKING_CHANGES:
        badges.revoke_badges(registration)
