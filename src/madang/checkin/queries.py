"""Reads of check-in: counts per entrance, occupancy per hall, and what a scan means.

Occupancy is accepted scans in minus accepted scans out per hall; see ``checkin.models`` for why
that is the number of badges inside (or, for a hall counted only at its way in, the number of
different badges that came in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext

from madang.checkin.models import Badge, Direction, Entrance, Scan, ScanResult
from madang.program.models import Event, Room

ACCEPTED = Q(scans__result=ScanResult.ACCEPTED)
REFUSED = Q(
    scans__result__in=[
        ScanResult.REVOKED,
        ScanResult.UNKNOWN,
        ScanResult.WRONG_EDITION,
        ScanResult.FORGED,
    ]
)


@dataclass(frozen=True)
class EntranceCount:
    entrance: Entrance
    accepted: int
    repeats: int
    refused: int


@dataclass(frozen=True)
class HallOccupancy:
    room: Room | None
    inside: int
    entered: int
    left: int

    @property
    def capacity(self) -> int | None:
        return self.room.capacity if self.room is not None else None


def entrances(event: Event, *, active_only: bool = False) -> QuerySet[Entrance]:
    found = Entrance.objects.filter(event=event).select_related("room")
    return found.filter(is_active=True) if active_only else found


def entrance_counts(event: Event) -> list[EntranceCount]:
    """Accepted, repeated and refused scans at each entrance of ``event`` (one query)."""
    annotated = entrances(event).annotate(
        accepted=Count("scans", filter=ACCEPTED),
        repeats=Count(
            "scans", filter=Q(scans__result__in=[ScanResult.REPEAT, ScanResult.NOT_INSIDE])
        ),
        refused=Count("scans", filter=REFUSED),
    )
    return [EntranceCount(e, e.accepted, e.repeats, e.refused) for e in annotated]


def hall_occupancy(event: Event) -> list[HallOccupancy]:
    """For each hall with an entrance in ``event`` (the venue as a whole first): who is inside."""
    rows = (
        Scan.objects.filter(entrance__event=event, result=ScanResult.ACCEPTED)
        .values("hall_id")
        .annotate(
            entered=Count("id", filter=Q(direction=Direction.IN)),
            left=Count("id", filter=Q(direction=Direction.OUT)),
        )
        .order_by()
    )
    totals = {row["hall_id"]: (row["entered"], row["left"]) for row in rows}
    halls: dict[int | None, Room | None] = {}
    for entrance in entrances(event):
        halls.setdefault(entrance.room_id, entrance.room)
    ordered = sorted(
        halls.items(),
        key=lambda item: (item[1] is not None, item[1].position if item[1] else 0, item[0] or 0),
    )
    result = []
    for room_id, room in ordered:
        entered, left = totals.get(room_id, (0, 0))
        result.append(HallOccupancy(room, max(entered - left, 0), entered, left))
    return result


def hall_name(room: Room | None) -> str:
    return str(room.name) if room is not None else gettext("Venue")


def counts_payload(event: Event) -> dict[str, Any]:
    """The live counts as JSON-ready data, names in the active language."""
    return {
        "entrances": [
            {
                "id": count.entrance.pk,
                "name": str(count.entrance.name),
                "hall": hall_name(count.entrance.room),
                "direction": count.entrance.direction,
                "accepted": count.accepted,
                "repeats": count.repeats,
                "refused": count.refused,
            }
            for count in entrance_counts(event)
        ],
        "halls": [
            {
                "id": hall.room.pk if hall.room else None,
                "name": hall_name(hall.room),
                "inside": hall.inside,
                "entered": hall.entered,
                "left": hall.left,
                "capacity": hall.capacity,
            }
            for hall in hall_occupancy(event)
        ],
    }


def scan_with_details(scan: Scan) -> Scan:
    """The scan again with what describing it needs, in one query."""
    return Scan.objects.select_related(
        "entrance__room",
        "entrance__event",
        "badge__registration__category",
        "previous__entrance__room",
    ).get(pk=scan.pk)


def where(entrance: Entrance) -> str:
    """An entrance as staff say it: "Hall A East", or just the entrance's name."""
    name = str(entrance.name)
    if entrance.room is None:
        return name
    hall = str(entrance.room.name)
    return name if name.startswith(hall) else f"{hall} {name}"


def local_time(moment: datetime, event: Event) -> str:
    return time_format(timezone.localtime(moment, event.zone), "H:i")


TONES = {
    ScanResult.ACCEPTED: "ok",
    ScanResult.REPEAT: "warn",
    ScanResult.NOT_INSIDE: "warn",
}


def describe(scan: Scan) -> dict[str, Any]:
    """What the scanning device shows for ``scan`` (loaded by ``scan_with_details``).

    Refused scans carry no personal data: a revoked or foreign badge is not a reason to show
    whose it was.
    """
    event = scan.entrance.event
    result = ScanResult(scan.result)
    previous = scan.previous
    data: dict[str, Any] = {
        "nonce": str(scan.nonce),
        "result": result.value,
        "tone": TONES.get(result, "bad"),
        "scanned_at": scan.scanned_at.isoformat(),
        "entrance": scan.entrance_id,
        "name": "",
        "category": "",
    }
    registration = scan.badge.registration if scan.badge is not None else None
    if registration is not None and result in TONES:
        data["name"] = registration.name
        data["category"] = str(registration.category.name)
    if result == ScanResult.ACCEPTED:
        data["title"] = gettext("Welcome") if scan.direction == Direction.IN else gettext("Goodbye")
        data["detail"] = (
            gettext("Checked in at %(where)s.")
            if scan.direction == Direction.IN
            else gettext("Checked out at %(where)s.")
        ) % {"where": where(scan.entrance)}
    elif result == ScanResult.REPEAT and previous is not None:
        data["title"] = gettext("Already checked in")
        data["detail"] = gettext("Already checked in at %(time)s at %(where)s.") % {
            "time": local_time(previous.scanned_at, event),
            "where": where(previous.entrance),
        }
        data["first"] = {
            "scanned_at": previous.scanned_at.isoformat(),
            "entrance": where(previous.entrance),
        }
    elif result == ScanResult.NOT_INSIDE:
        data["title"] = gettext("Not checked in here")
        data["detail"] = (
            gettext("Left at %(time)s at %(where)s; this exit is not counted.")
            % {"time": local_time(previous.scanned_at, event), "where": where(previous.entrance)}
            if previous is not None
            else gettext("This badge was not scanned in to this hall; the exit is not counted.")
        )
    elif result == ScanResult.REVOKED:
        data["title"] = gettext("Badge revoked")
        data["detail"] = gettext(
            "This badge is no longer valid (cancelled or replaced). "
            "Send the person to the registration desk."
        )
    elif result == ScanResult.WRONG_EDITION:
        data["title"] = gettext("Badge of another edition")
        data["detail"] = gettext("This badge is not valid for this edition.")
    elif result == ScanResult.UNKNOWN:
        data["title"] = gettext("Unknown badge")
        data["detail"] = gettext(
            "No badge has this code. Send the person to the registration desk."
        )
    else:
        data["title"] = gettext("Not a valid code")
        data["detail"] = gettext(
            "This code was not issued by us, or it was read or typed incompletely. Try again."
        )
    return data


def badge_with_details(badge_id: int) -> Badge | None:
    return (
        Badge.objects.select_related("registration__category__badge_style", "event")
        .filter(pk=badge_id)
        .first()
    )
