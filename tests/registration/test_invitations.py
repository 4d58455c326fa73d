"""Organisers add people: one by hand, or many invitations from a CSV file checked row by row;
invited people register once through their personal link."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from madang.accounts import privacy
from madang.accounts.models import AuditEntry, EditionRole
from madang.registration import invitations
from madang.registration.models import Invitation, Question, QuestionKind, Registration
from tests.factories import EventFactory, UserFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

HEADER = "name,email,language,category,organisation,city,country\n"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def event():
    event = EventFactory(slug="week2030")
    # Closed to the public and needing approval: invitations and organisers pass both.
    CategoryFactory(
        event=event,
        slug="delegates",
        capacity=3,
        needs_approval=True,
        closes_at=timezone.now() - dt.timedelta(days=1),
        name=bilingual("대표단", "Delegates"),
    )
    CategoryFactory(event=event, slug="press", capacity=None)
    return event


def organiser_client(client, event):
    user = UserFactory(is_staff=True)
    EditionRole.objects.create(user=user, event=event, role=EditionRole.Role.ORGANISER)
    client.force_login(user)
    return client


@pytest.fixture
def organiser(client, event):
    return organiser_client(client, event)


def invite_url(event):
    return reverse("admin:registration_invite", args=[event.pk])


def upload(client, event, content: bytes, **extra):
    data = {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv")}
    data.update(extra)
    return client.post(invite_url(event), data)


GOOD_ROWS = (
    "김민지 🌸,minji@example.org,ko,delegates,서울특별시,서울,KR\n"
    "ﺃﻣﻴﻨﺔ ﺍﻟﻌﻠﻲ,amina@example.org,en,press,Cairo Times,Cairo,EG\n"
    "<script>alert(1)</script>,script@example.org,en,delegates,,,\n"
)


def test_a_good_file_creates_every_invitation_and_audits_it(organiser, event):
    response = upload(organiser, event, (HEADER + GOOD_ROWS).encode("utf-8"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 invitations were created." in html
    assert "The file was read as UTF-8." in html
    names = list(Invitation.objects.order_by("pk").values_list("name", flat=True))
    assert names == ["김민지 🌸", "ﺃﻣﻴﻨﺔ ﺍﻟﻌﻠﻲ", "<script>alert(1)</script>"]
    first = Invitation.objects.get(email="minji@example.org")
    assert (first.organisation, first.city, first.country.code, first.language) == (
        "서울특별시",
        "서울",
        "KR",
        "ko",
    )
    assert len(first.token) >= 43
    assert AuditEntry.objects.get(action="registration.invite").details == {"count": 3}


def test_bad_rows_are_each_reported_and_nothing_is_imported(organiser, event):
    RegistrationFactory(
        category=event.registration_categories.get(slug="press"), email="taken@example.org"
    )
    content = HEADER + (
        "김민지,minji@example.org,ko,delegates,,,\n"  # line 2: good
        "Bad Mail,not-an-address,en,press,,,\n"  # line 3
        "Lost,lost@example.org,en,no-such-category,,,\n"  # line 4
        "Twice,MINJI@example.org,en,press,,,\n"  # line 5: same as line 2
        "Taken,taken@example.org,en,press,,,\n"  # line 6
        "<b>Sneaky</b>,sneaky@example.org,fr,press,,,XX\n"  # line 7
    )
    response = upload(organiser, event, content.encode())
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported." in html
    assert Invitation.objects.count() == 0
    for line, problem in (
        (3, "“not-an-address” is not an email address."),
        (4, "There is no category “no-such-category” in this edition."),
        (5, "The same email address is already on line 2."),
        (6, "This address already has a registration for this edition."),
        (7, "Unknown language “fr”: write ko or en."),
        (7, "Unknown country “XX”: use a two-letter code such as KR."),
    ):
        assert f'<th scope="row">{line}</th>' in html
        assert problem in html
    assert "<b>Sneaky</b>" not in html
    assert "&lt;b&gt;Sneaky&lt;/b&gt;" in html
    assert "1 good row" in html
    assert "Import the 1 good row only" in html


def test_the_good_rows_only_can_be_imported_from_the_report(organiser, event):
    content = HEADER + "김민지,minji@example.org,ko,delegates,,,\nBad,bad,en,press,,,\n"
    report = upload(organiser, event, content.encode("utf-8-sig")).context["report"]
    assert report.encoding == "utf-8-sig"
    response = organiser.post(
        invite_url(event),
        {
            "checked_text": report.text,
            "checked_encoding": report.encoding,
            "good_rows_only": "on",
        },
    )
    assert response.status_code == 200
    assert "1 invitation was created." in response.content.decode()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["minji@example.org"]


def test_good_rows_only_can_be_chosen_with_the_upload(organiser, event):
    content = HEADER + "김민지,minji@example.org,ko,delegates,,,\nBad,bad,en,press,,,\n"
    response = upload(organiser, event, content.encode(), good_rows_only="on")
    assert "1 invitation was created." in response.content.decode()
    assert Invitation.objects.count() == 1


def test_a_korean_excel_file_is_read_as_cp949_and_says_so(organiser, event):
    content = "이름,이메일,언어,분류,소속\n김민지,minji@example.org,한국어,delegates,서울시청\n"
    response = upload(organiser, event, content.encode("cp949"))
    html = response.content.decode()
    assert "Korean (CP949 / EUC-KR, as saved by Korean Excel)" in html
    invitation = Invitation.objects.get()
    assert (invitation.name, invitation.organisation, invitation.language) == (
        "김민지",
        "서울시청",
        "ko",
    )


def test_an_oversized_file_is_refused_before_reading(organiser, event):
    content = HEADER.encode() + b"x" * (invitations.MAX_FILE_BYTES + 1)
    response = upload(organiser, event, content)
    assert response.status_code == 400
    assert "The file is larger than 1024 KB." in response.content.decode()
    assert Invitation.objects.count() == 0


def test_a_file_without_the_needed_columns_or_not_text_gets_a_clear_message(organiser, event):
    response = upload(organiser, event, b"who,where\nx,y\n")
    assert response.status_code == 400
    assert "Missing: name, email, language, category." in response.content.decode()
    binary = upload(organiser, event, b"PK\x03\x04\x00\x00binary")
    assert "This does not look like a CSV file." in binary.content.decode()


def test_an_address_invited_before_is_reported(organiser, event):
    upload(organiser, event, (HEADER + "A,a@example.org,en,press,,,\n").encode())
    response = upload(organiser, event, (HEADER + "A,a@example.org,en,press,,,\n").encode())
    assert "This address already has an unused invitation." in response.content.decode()
    assert Invitation.objects.count() == 1


def test_links_file_has_each_personal_link_in_the_person_language(organiser, event):
    upload(organiser, event, (HEADER + GOOD_ROWS).encode())
    response = organiser.get(reverse("admin:registration_invitation_links", args=[event.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    minji = Invitation.objects.get(email="minji@example.org")
    assert rows[1][:4] == ["김민지 🌸", "minji@example.org", "ko", "delegates"]
    assert rows[1][5] == f"http://testserver/ko/week2030/invitation/{minji.token}/"
    assert rows[2][5].startswith("http://testserver/en/week2030/invitation/")
    assert rows[3][0] == "<script>alert(1)</script>"
    assert AuditEntry.objects.filter(action="registration.export_invitations").count() == 1


# --- permissions -----------------------------------------------------------------------------


def test_an_organiser_of_another_edition_is_refused(client, event):
    other = organiser_client(client, EventFactory())
    for url in (
        invite_url(event),
        reverse("admin:registration_add_registration", args=[event.pk]),
        reverse("admin:registration_invitation_links", args=[event.pk]),
    ):
        assert other.get(url).status_code == 403
    response = upload(other, event, (HEADER + GOOD_ROWS).encode())
    assert response.status_code == 403
    assert Invitation.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, event):
    response = client.get(invite_url(event))
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.post(invite_url(event), {}).status_code == 302
    assert Invitation.objects.count() == 0


def test_the_organiser_sees_links_to_the_pages_of_their_edition(organiser, event):
    response = organiser.get(reverse("admin:registration_invitation_changelist"))
    assert response.status_code == 200
    assert invite_url(event) in response.content.decode()


# --- manual add ------------------------------------------------------------------------------


def add(client, event, **changes):
    data = {
        "category": event.registration_categories.get(slug="delegates").pk,
        "name": "Guest",
        "email": "guest@example.org",
        "language": "en",
    }
    data.update(changes)
    return client.post(reverse("admin:registration_add_registration", args=[event.pk]), data)


def test_manual_add_ignores_opening_and_approval_but_not_capacity(organiser, event):
    delegates = event.registration_categories.get(slug="delegates")
    RegistrationFactory.create_batch(3, category=delegates)
    response = add(organiser, event)
    assert response.status_code == 302
    assert Registration.objects.get(email="guest@example.org").status == "waitlisted"
    add(organiser, event, email="vip@example.org", over_capacity="on")
    assert Registration.objects.get(email="vip@example.org").status == "confirmed"
    entry = AuditEntry.objects.filter(action="registration.add").order_by("pk").last()
    assert entry.details == {"over_capacity": True, "status": "confirmed"}
    assert entry.actor is not None


def test_manual_add_reports_bad_input_and_a_second_registration(organiser, event):
    add(organiser, event)
    response = add(organiser, event, email="GUEST@example.org")
    assert response.status_code == 409
    assert "already has a registration" in response.content.decode()
    response = add(organiser, event, email="nope", name="")
    assert response.status_code == 400
    assert "Enter the name." in response.content.decode()
    other = CategoryFactory()
    assert add(organiser, event, category=other.pk).status_code == 400
    assert Registration.objects.count() == 1


# --- the personal link -----------------------------------------------------------------------


@pytest.fixture
def invitation(event):
    delegates = event.registration_categories.get(slug="delegates")
    Question.objects.create(
        category=delegates,
        slug="organisation",
        kind=QuestionKind.TEXT,
        label=bilingual("소속", "Organisation"),
        required=True,
    )
    Question.objects.create(
        category=delegates,
        slug="country",
        kind=QuestionKind.COUNTRY,
        label=bilingual("국가", "Country"),
        required=True,
    )
    return Invitation.objects.create(
        event=event,
        category=delegates,
        name="ﺃﻣﻴﻨﺔ",
        email="amina@example.org",
        language="en",
        organisation="Cairo Times",
        country="EG",
    )


def link(invitation, language="en"):
    with translation.override(language):
        return reverse(
            "registration-invitation",
            kwargs={"slug": invitation.event.slug, "token": invitation.token},
        )


def test_the_link_opens_a_prefilled_form_for_a_closed_category(client, invitation):
    response = client.get(link(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "strict-origin"
    assert "no-cache" in response["Cache-Control"]
    assert 'value="ﺃﻣﻴﻨﺔ"' in html
    assert "amina@example.org" in html
    assert 'value="Cairo Times"' in html
    assert '<option value="EG" selected>' in html


def test_the_link_registers_once_confirmed_without_approval(client, invitation):
    page = client.get(link(invitation)).content.decode()
    token = page.split('name="client_token" value="')[1].split('"')[0]
    q = {question.slug: question.pk for question in invitation.category.questions.all()}
    data = {
        "name": "Amina ﺃﻣﻴﻨﺔ",
        "language": "en",
        "client_token": token,
        f"q{q['organisation']}": "Cairo Times",
        f"q{q['country']}": "EG",
    }
    response = client.post(link(invitation), data)
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert registration.status == "confirmed"
    assert registration.email == "amina@example.org"
    assert registration.answers.count() == 2
    invitation.refresh_from_db()
    assert invitation.registration == registration
    assert invitation.used_at is not None
    # Used: the link now leads to the result, and a second submission changes nothing.
    again = client.get(link(invitation))
    assert again.status_code == 302
    assert registration.reference in again["Location"]
    client.post(link(invitation), data | {"client_token": "another-token-123"})
    assert Registration.objects.count() == 1


def test_the_invitation_form_reports_missing_answers(client, invitation):
    page = client.get(link(invitation, "ko")).content.decode()
    token = page.split('name="client_token" value="')[1].split('"')[0]
    response = client.post(
        link(invitation, "ko"), {"name": "", "language": "en", "client_token": token}
    )
    assert response.status_code == 400
    assert Registration.objects.count() == 0


def test_an_unknown_or_foreign_token_is_not_found(client, invitation):
    with translation.override("en"):
        wrong = reverse("registration-invitation", kwargs={"slug": "week2030", "token": "x" * 43})
        elsewhere = reverse(
            "registration-invitation",
            kwargs={"slug": EventFactory().slug, "token": invitation.token},
        )
    assert client.get(wrong).status_code == 404
    assert client.get(elsewhere).status_code == 404


def test_invitations_are_in_the_data_export_and_anonymised_on_delete(invitation):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="amina@example.org")
    EmailAddress.objects.create(user=user, email="amina@example.org", verified=True)
    data = privacy.export_personal_data(user=user)
    assert [(i["edition"], i["category"], i["organisation"]) for i in data["invitations"]] == [
        ("week2030", "delegates", "Cairo Times")
    ]
    old_token = invitation.token
    privacy.delete_account(user=user)
    invitation.refresh_from_db()
    assert (invitation.name, invitation.organisation, invitation.country.code) == ("", "", "")
    assert invitation.email.startswith("deleted-") and invitation.email.endswith("@invalid")
    assert invitation.token != old_token
