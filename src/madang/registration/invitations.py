"""Reading a CSV file of people to invite, and checking every row before anything is written.

The file comes from a spreadsheet: UTF-8 with or without a byte order mark, or the Korean code
page (CP949, a superset of EUC-KR) that Korean Excel uses for "CSV". Columns are found by their
header, in English or Korean: name, email, language, category (the category's short name), and
optionally organisation, city and country (a two-letter code). Every bad row is reported with
its line number and the reasons, so the organiser can fix the file or import the good rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_countries import countries

from madang.program.models import Event
from madang.registration.enums import INACTIVE, RegistrationLanguage
from madang.registration.models import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    Category,
    Invitation,
    Question,
    QuestionKind,
    Registration,
    validate_person_name,
)
from madang.registration.models.questions import CITY_MAX_LENGTH, ORGANISATION_MAX_LENGTH

# A few thousand delegates fit in well under this; a larger upload is refused before reading.
MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 5000

REQUIRED_COLUMNS = ("name", "email", "language", "category")
OPTIONAL_COLUMNS = ("organisation", "city", "country")
# Header spellings accepted for each column, compared in lower case without spaces.
COLUMN_ALIASES = {
    "name": ("name", "fullname", "이름", "성명"),
    "email": ("email", "e-mail", "emailaddress", "이메일", "전자우편"),
    "language": ("language", "lang", "언어"),
    "category": ("category", "categoryslug", "category_slug", "분류", "참가분류"),
    "organisation": ("organisation", "organization", "소속", "기관"),
    "city": ("city", "도시"),
    "country": ("country", "countrycode", "국가"),
}
LANGUAGE_ALIASES = {
    "ko": "ko",
    "kor": "ko",
    "korean": "ko",
    "한국어": "ko",
    "en": "en",
    "eng": "en",
    "english": "en",
    "영어": "en",
}


class UnreadableFile(Exception):
    """The file cannot be read at all; ``message`` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class InvitationRow:
    """One good row, ready for ``services.import_invitations``."""

    line: int
    name: str
    email: str
    language: str
    category_slug: str
    organisation: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True)
class BadRow:
    line: int
    name: str
    email: str
    problems: list[str]


@dataclass
class InvitationReport:
    """What a file holds: the encoding it was read in, the good rows and the bad ones."""

    encoding: str
    text: str
    good: list[InvitationRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def encoding_label(self) -> str:
        return {
            "utf-8-sig": gettext("UTF-8 (with a byte order mark)"),
            "utf-8": gettext("UTF-8"),
            "cp949": gettext("Korean (CP949 / EUC-KR, as saved by Korean Excel)"),
        }[self.encoding]


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was found in.

    Raises ``UnreadableFile`` when the file is too large, binary, or in no encoding we read.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            gettext("The file is larger than %(limit)d KB. Split it into smaller files.")
            % {"limit": MAX_FILE_BYTES // 1024}
        )
    if b"\x00" in data:
        raise UnreadableFile(
            gettext("This does not look like a CSV file. Save the sheet as CSV and try again.")
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            gettext(
                "We could not read the file's characters. Save it as “CSV UTF-8” and try again."
            )
        ) from exc


def _column_positions(header: list[str]) -> dict[str, int]:
    normalised = ["".join(cell.lower().split()) for cell in header]
    positions: dict[str, int] = {}
    for column, aliases in COLUMN_ALIASES.items():
        for index, cell in enumerate(normalised):
            if cell in aliases:
                positions.setdefault(column, index)
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise UnreadableFile(
            gettext(
                "The first line must name the columns: name, email, language, category "
                "(optional: organisation, city, country). Missing: %(missing)s."
            )
            % {"missing": ", ".join(missing)}
        )
    return positions


def _rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise UnreadableFile(
            gettext("The file is not a valid CSV file (%(problem)s).") % {"problem": str(exc)}
        ) from exc


def read_invitations(data: bytes, *, event: Event) -> InvitationReport:
    """Read and check every row of an uploaded file for ``event``; write nothing.

    Raises ``UnreadableFile`` when the file as a whole cannot be used.
    """
    text, encoding = decode(data)
    return check_text(text, encoding=encoding, event=event)


def check_text(text: str, *, encoding: str, event: Event) -> InvitationReport:
    """Check the rows of already decoded CSV ``text``; see ``read_invitations``."""
    rows = _rows(text)
    # Lines are numbered as a spreadsheet shows them, the header being line 1.
    numbered = [
        (number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)
    ]
    if not numbered:
        raise UnreadableFile(gettext("The file is empty."))
    header = numbered[0][1]
    positions = _column_positions(header)
    body = numbered[1:]
    if not body:
        raise UnreadableFile(gettext("The file has a header but no people."))
    if len(body) > MAX_ROWS:
        raise UnreadableFile(
            gettext("The file has more than %(limit)d people. Split it into smaller files.")
            % {"limit": MAX_ROWS}
        )
    categories = set(Category.objects.filter(event=event).values_list("slug", flat=True))
    registered = set(
        Registration.objects.filter(event=event)
        .exclude(status__in=INACTIVE)
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
    )
    invited = set(
        Invitation.objects.filter(event=event, used_at__isnull=True)
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
    )
    first_line_of: dict[str, int] = {}
    report = InvitationReport(encoding=encoding, text=text)
    for line, row in body:

        def cell(column: str, row: list[str] = row) -> str:
            index = positions.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        problems: list[str] = []
        name = " ".join(cell("name").split())
        if not name:
            problems.append(gettext("The name is empty."))
        elif len(name) > NAME_MAX_LENGTH:
            problems.append(
                gettext("The name is longer than %(limit)d characters.")
                % {"limit": NAME_MAX_LENGTH}
            )
        else:
            try:
                validate_person_name(name)
            except ValidationError:
                problems.append(gettext("The name contains a character we cannot store."))
        email = cell("email").lower()
        if not email:
            problems.append(gettext("The email address is empty."))
        else:
            try:
                if len(email) > EMAIL_MAX_LENGTH:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError:
                problems.append(gettext("“%(email)s” is not an email address.") % {"email": email})
            else:
                if email in first_line_of:
                    problems.append(
                        gettext("The same email address is already on line %(line)d.")
                        % {"line": first_line_of[email]}
                    )
                else:
                    first_line_of[email] = line
                if email in registered:
                    problems.append(
                        gettext("This address already has a registration for this edition.")
                    )
                elif email in invited:
                    problems.append(gettext("This address already has an unused invitation."))
        language_cell = cell("language")
        language = LANGUAGE_ALIASES.get(language_cell.lower()) if language_cell else "ko"
        if language is None:
            problems.append(
                gettext("Unknown language “%(language)s”: write ko or en.")
                % {"language": language_cell}
            )
        category_slug = cell("category")
        if not category_slug:
            problems.append(gettext("The category is empty."))
        elif category_slug not in categories:
            problems.append(
                gettext("There is no category “%(slug)s” in this edition.")
                % {"slug": category_slug}
            )
        organisation = " ".join(cell("organisation").split())
        if len(organisation) > ORGANISATION_MAX_LENGTH:
            problems.append(
                gettext("The organisation is longer than %(limit)d characters.")
                % {"limit": ORGANISATION_MAX_LENGTH}
            )
        city = " ".join(cell("city").split())
        if len(city) > CITY_MAX_LENGTH:
            problems.append(
                gettext("The city is longer than %(limit)d characters.")
                % {"limit": CITY_MAX_LENGTH}
            )
        for extra in (organisation, city):
            try:
                validate_person_name(extra)
            except ValidationError:
                problems.append(gettext("A cell contains a character we cannot store."))
                break
        country = cell("country").upper()
        if country and country not in countries:
            problems.append(
                gettext("Unknown country “%(country)s”: use a two-letter code such as KR.")
                % {"country": cell("country")}
            )
        if problems:
            report.bad.append(BadRow(line=line, name=name, email=email, problems=problems))
            continue
        report.good.append(
            InvitationRow(
                line=line,
                name=name,
                email=email,
                language=language or RegistrationLanguage.KO,
                category_slug=category_slug,
                organisation=organisation,
                city=city,
                country=country,
            )
        )
    return report


def invitation_for(*, slug: str, token: str) -> Invitation | None:
    """The invitation with this token in the edition with this slug, with what a page shows."""
    return (
        Invitation.objects.select_related("event", "category", "registration")
        .filter(event__slug=slug, token=token)
        .first()
    )


def prefilled_answers(invitation: Invitation, questions: list[Question]) -> dict[str, str]:
    """Answers the invitation already knows, by question short name.

    A country question gets the invitation's country, a city question (or one named "city")
    its city, and a question named "organisation" its organisation.
    """
    known: dict[str, str] = {}
    for question in questions:
        if question.kind == QuestionKind.COUNTRY and invitation.country:
            known[question.slug] = str(invitation.country.code)
        elif (question.kind == QuestionKind.CITY or question.slug == "city") and invitation.city:
            known[question.slug] = invitation.city
        elif question.slug == "organisation" and invitation.organisation:
            known[question.slug] = invitation.organisation
    return known


def links_table(
    invitations: Iterable[Invitation], *, absolute: Callable[[str], str]
) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a mail-merge file: each person with their personal link.

    ``absolute`` turns a path into a full address (``request.build_absolute_uri``). Each link
    is in the invited person's own language.
    """
    header = [
        gettext("Name"),
        gettext("Email"),
        gettext("Language"),
        gettext("Category"),
        gettext("Organisation"),
        gettext("Invitation link"),
        gettext("Used"),
    ]
    rows = []
    for invitation in invitations:
        with translation.override(invitation.language):
            path = reverse(
                "registration-invitation",
                kwargs={"slug": invitation.event.slug, "token": invitation.token},
            )
        rows.append(
            [
                invitation.name,
                invitation.email,
                invitation.language,
                invitation.category.slug,
                invitation.organisation,
                absolute(path),
                invitation.used_at.isoformat() if invitation.used_at is not None else "",
            ]
        )
    return header, rows
