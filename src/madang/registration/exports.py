"""Registrations as a table for organisers: CSV and XLSX files for the back office.

Cells are plain text. Any cell that a spreadsheet could read as a formula is prefixed with an
apostrophe, because names and emails are typed by the public and an export is opened by staff.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from madang.registration.models import Answer, Question, Registration

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
