"""Registrations as a table for organisers: CSV and XLSX files for the back office.

Cells are plain text. Any cell that a spreadsheet could read as a formula is prefixed with an
apostrophe, because names and emails are typed by the public and an export is opened by staff.

The ``export_*`` functions are the only way personal data leaves in a file: each checks that
whoever asks manages the registrations of every edition in it (``accounts.actors.require``)
and records the export in the audit log.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from madang.accounts import audit
from madang.accounts.actors import require
from madang.program.models import Event
from madang.registration import invitations
from madang.registration.models import Answer, Invitation, Question, Registration
from madang.registration.models.session_places import SessionPlace, SessionPlaceStatus

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Leading characters that make Excel, LibreOffice or Google Sheets treat a cell as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per database round trip while streaming a large edition.
_CHUNK_SIZE = 500
# Excel refuses sheet titles longer than this.
_SHEET_TITLE_MAX_LENGTH = 31


def neutralise(value: str) -> str:
    """``value`` made safe to open in a spreadsheet: formula-like text gets a leading apostrophe."""
    if value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _iso(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat() if moment is not None else ""


def registrations_table(
    queryset: QuerySet[Registration],
) -> tuple[list[str], Iterator[list[str]]]:
    """The header and rows of an export of ``queryset``, in waiting-list order.

    Category names and status labels are in the active language; times are ISO 8601 in each
    registration's edition zone. Each question of the categories exported adds a column (answers
    in words, consents as yes or no with the text's version); a registration in another category
    leaves it empty. The rows are produced lazily with a bounded number of queries.
    """
    header = [
        gettext("Reference"),
        gettext("Name"),
        gettext("Email"),
        gettext("Language"),
        gettext("Category"),
        gettext("Status"),
        gettext("Registered at"),
        gettext("Offer expires"),
    ]
    questions = list(
        Question.objects.filter(category_id__in=queryset.values("category_id"))
        .select_related("category")
        .order_by("category__position", "category_id", "position", "id")
    )
    several = len({question.category_id for question in questions}) > 1
    for question in questions:
        label = str(question.purpose) if question.is_consent else str(question.label)
        header.append(f"{label} ({question.category.slug})" if several else label)
    registrations = queryset.select_related("event", "category").order_by("created_at", "id")
    if questions:
        registrations = registrations.prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question")), "consents"
        )

    def rows() -> Iterator[list[str]]:
        for registration in registrations.iterator(chunk_size=_CHUNK_SIZE):
            zone = registration.event.zone
            yield [
                registration.reference,
                registration.name,
                registration.email,
                registration.language,
                str(registration.category.name),
                str(registration.get_status_display()),
                _iso(registration.created_at, zone),
                _iso(registration.offer_expires_at, zone),
                *_answer_cells(registration, questions),
            ]

    return header, rows()


def _answer_cells(registration: Registration, questions: list[Question]) -> list[str]:
    if not questions:
        return []
    answers = {answer.question_id: answer for answer in registration.answers.all()}
    consents = {record.question_id: record for record in registration.consents.all()}
    cells = []
    for question in questions:
        if question.is_consent:
            record = consents.get(question.pk)
            if record is None:
                cells.append("")
            elif record.is_in_force:
                cells.append(gettext("yes (%(version)s)") % {"version": record.text_version})
            elif record.given:
                cells.append(gettext("withdrawn (%(version)s)") % {"version": record.text_version})
            else:
                cells.append(gettext("no (%(version)s)") % {"version": record.text_version})
        else:
            answer = answers.get(question.pk)
            cells.append(answer.display() if answer is not None else "")
    return cells


def render_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A CSV file of ``header`` and ``rows``: UTF-8 with a byte order mark, formulas neutralised.

    The byte order mark is what makes Excel read the file as UTF-8 rather than the local code
    page, which would garble Korean.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """An XLSX workbook with one sheet of ``header`` and ``rows``, formulas neutralised.

    Characters that XML cannot carry are dropped, since openpyxl would otherwise refuse the row.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("Registrations")[:_SHEET_TITLE_MAX_LENGTH])
    for row in itertools.chain([header], rows):
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", neutralise(cell)) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- Audited exports ----------------------------------------------------------------------------

MANAGE_REGISTRATIONS = "registration.manage_registrations"


@dataclass(frozen=True)
class ExportFile:
    """A file ready to send: its bytes, content type and name."""

    content: bytes
    content_type: str
    filename: str


def _require_every_edition(by: Any, events: Sequence[Event], message: str) -> None:
    for event in events:
        require(by, MANAGE_REGISTRATIONS, event, message)


def export_registrations(
    *, registrations: QuerySet[Registration], file_format: str, by: Any
) -> ExportFile:
    """``registrations`` as a CSV or XLSX file (``file_format`` "csv" or "xlsx"), for ``by``.

    ``by`` manages the registrations of every edition in the selection, or is
    ``accounts.actors.SYSTEM``.

    Side effects: records one ``registration.export`` audit entry with the count and format
    (and the edition, when the selection has one).

    Raises ``PermissionDenied`` for a selection reaching an edition ``by`` does not manage;
    nothing is read or recorded then.
    """
    events = list(Event.objects.filter(pk__in=registrations.values("event_id")).order_by("pk"))
    _require_every_edition(
        by, events, gettext("You may only export registrations of editions you manage.")
    )
    header, rows = registrations_table(registrations)
    table = list(rows)
    if file_format == "csv":
        content, content_type = render_csv(header, table), CSV_CONTENT_TYPE
    else:
        file_format = "xlsx"
        content, content_type = render_xlsx(header, table), XLSX_CONTENT_TYPE
    audit.record(
        actor=by,
        action="registration.export",
        event=events[0] if len(events) == 1 else None,
        details={"count": len(table), "format": file_format},
    )
    stem = f"{events[0].slug}-registrations" if len(events) == 1 else "registrations"
    return ExportFile(content, content_type, f"{stem}.{file_format}")


def export_invitation_links(
    *, event: Event, unused_only: bool, absolute: Callable[[str], str], by: Any
) -> ExportFile:
    """Every invitation of ``event`` with its personal link, as CSV for a mail merge.

    ``absolute`` turns a path into a full address (``request.build_absolute_uri``); with
    ``unused_only``, invitations already used are left out.

    Side effects: records a ``registration.export_invitations`` audit entry with the count.

    Raises ``PermissionDenied`` unless ``by`` manages the edition's registrations (or is
    ``accounts.actors.SYSTEM``).
    """
    _require_every_edition(
        by, [event], gettext("You may only export invitations of editions you manage.")
    )
    chosen = Invitation.objects.filter(event=event).select_related("event", "category")
    if unused_only:
        chosen = chosen.filter(used_at__isnull=True)
    header, rows = invitations.links_table(chosen.order_by("created_at", "pk"), absolute=absolute)
    audit.record(
        actor=by,
        action="registration.export_invitations",
        event=event,
        details={"count": len(rows)},
    )
    return ExportFile(render_csv(header, rows), CSV_CONTENT_TYPE, f"{event.slug}-invitations.csv")


def attendee_table(queryset: QuerySet[SessionPlace]) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of the attendee list of ``queryset``: per session, booked first.

    Only what a session host needs to welcome people: no email addresses.
    """
    header = [
        gettext("Session"),
        gettext("Starts"),
        gettext("Name"),
        gettext("Reference"),
        gettext("Status"),
        gettext("Booked at"),
    ]
    places = (
        queryset.select_related("session", "session__event", "registration")
        .exclude(status=SessionPlaceStatus.CANCELLED)
        .order_by("session__starts_at", "session_id", "status", "created_at", "id")
    )

    def rows() -> Iterator[list[str]]:
        for place in places.iterator(chunk_size=_CHUNK_SIZE):
            zone = place.session.event.zone
            yield [
                str(place.session.title),
                _iso(place.session.starts_at, zone),
                place.registration.name,
                place.registration.reference,
                str(place.get_status_display()),
                _iso(place.booked_at, zone),
            ]

    return header, rows()


def export_attendees(*, places: QuerySet[SessionPlace], by: Any) -> ExportFile:
    """The attendee names of the sessions of ``places``, as CSV for the sessions' hosts.

    Side effects: records one ``session_place.export`` audit entry with the count.

    Raises ``PermissionDenied`` unless ``by`` manages the registrations of every edition in
    the selection (or is ``accounts.actors.SYSTEM``); nothing is read or recorded then.
    """
    events = list(Event.objects.filter(pk__in=places.values("session__event_id")).order_by("pk"))
    _require_every_edition(
        by, events, gettext("You may only export places of editions you manage.")
    )
    header, rows = attendee_table(places)
    table = list(rows)
    sessions = list(places.values_list("session__slug", flat=True).distinct()[:2])
    audit.record(
        actor=by,
        action="session_place.export",
        event=events[0] if len(events) == 1 else None,
        details={"count": len(table), "format": "csv"},
    )
    stem = f"{slugify(sessions[0])}-attendees" if len(sessions) == 1 else "session-attendees"
    return ExportFile(render_csv(header, table), CSV_CONTENT_TYPE, f"{stem}.csv")
