"""Questions per category: each kind's checks (ko and en), consents, the two-step form without
JavaScript, the htmx fragment, exports, the back office and privacy."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from madang.accounts import privacy
from madang.common import errors
from madang.registration import exports, services
from madang.registration.answers import clean_answer
from madang.registration.models import (
    Answer,
    ConsentRecord,
    Question,
    QuestionKind,
    Registration,
)
from tests.factories import UserFactory, bilingual
from tests.factories.registration import CategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

OPTIONS = [
    {"value": "mobility", "ko": "모빌리티", "en": "Mobility"},
    {"value": "energy", "ko": "에너지", "en": "Energy"},
    {"value": "water", "ko": "물", "en": "Water"},
]


def make_question(category, kind, slug, *, required=True, **extra):
    fields = {
        "category": category,
        "kind": kind,
        "slug": slug,
        "label": bilingual(f"{slug} 질문", f"{slug} question"),
        "required": required,
        "position": Question.objects.filter(category=category).count(),
    }
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        fields["options"] = OPTIONS
    if kind == QuestionKind.CONSENT:
        fields["purpose"] = bilingual("사진 촬영 동의", "Photographs")
        fields["consent_text"] = bilingual(
            "행사 사진에 찍힐 수 있습니다.", "You may appear in photographs of the event."
        )
        fields["text_version"] = "2030-1"
    fields.update(extra)
    question = Question(**fields)
    question.full_clean()
    question.save()
    return question


@pytest.fixture
def category():
    category = CategoryFactory(slug="delegates", capacity=10, name=bilingual("대표단", "Delegates"))
    make_question(category, QuestionKind.TEXT, "organisation")
    make_question(category, QuestionKind.LONG_TEXT, "needs", required=False)
    make_question(category, QuestionKind.SINGLE_CHOICE, "track")
    make_question(category, QuestionKind.MULTIPLE_CHOICE, "topics")
    make_question(category, QuestionKind.COUNTRY, "country")
    make_question(category, QuestionKind.CITY, "city")
    make_question(category, QuestionKind.CONSENT, "photos")
    make_question(
        category,
        QuestionKind.CONSENT,
        "newsletter",
        required=False,
        purpose=bilingual("소식지", "Newsletter"),
        consent_text=bilingual("소식지를 보내 드립니다.", "We send you our newsletter."),
        text_version="v3",
    )
    return category


def by_slug(category):
    return {question.slug: question for question in category.questions.all()}


def good_answers(category):
    q = by_slug(category)
    return {
        q["organisation"].pk: "서울특별시청",
        q["needs"].pk: "",
        q["track"].pk: "energy",
        q["topics"].pk: ["water", "mobility"],
        q["country"].pk: "kr",
        q["city"].pk: "서울",
        q["photos"].pk: True,
        q["newsletter"].pk: False,
    }


# --- each kind, valid and invalid, with messages in both languages ---------------------------

CASES = [
    (QuestionKind.TEXT, "", "Answer this question.", "이 질문에 답해 주세요."),
    (
        QuestionKind.TEXT,
        "x" * 201,
        "This answer can have at most 200 characters.",
        "답은 최대 200자까지 쓸 수 있습니다.",
    ),
    (
        QuestionKind.LONG_TEXT,
        "a\x00b",
        "This answer contains a character we cannot store.",
        "저장할 수 없는 문자가 들어 있습니다.",
    ),
    (QuestionKind.SINGLE_CHOICE, "", "Choose one of the options.", "보기 중 하나를 고르세요."),
    (QuestionKind.SINGLE_CHOICE, "space", "Choose one of the options.", "보기 중 하나를 고르세요."),
    (QuestionKind.MULTIPLE_CHOICE, [], "Choose at least one option.", "하나 이상 고르세요."),
    (
        QuestionKind.MULTIPLE_CHOICE,
        ["water", "lava"],
        "Choose only from the options shown.",
        "보이는 보기 중에서만 고르세요.",
    ),
    (QuestionKind.COUNTRY, "", "Choose a country.", "국가를 고르세요."),
    (QuestionKind.COUNTRY, "XX", "Choose a country from the list.", "목록에서 국가를 고르세요."),
    (QuestionKind.CITY, "", "Answer this question.", "이 질문에 답해 주세요."),
    (
        QuestionKind.CONSENT,
        False,
        "Tick this box to register in this category.",
        "이 분류로 등록하려면 이 칸에 표시해 주세요.",
    ),
]


@pytest.mark.parametrize(("kind", "value", "english", "korean"), CASES)
def test_each_kind_refuses_bad_answers_in_both_languages(category, kind, value, english, korean):
    question = category.questions.filter(kind=kind).order_by("-required", "pk").first()
    for language, expected in (("en", english), ("ko", korean)):
        with translation.override(language), pytest.raises(ValidationError) as raised:
            clean_answer(question, value)
        assert raised.value.messages == [expected]


def test_each_kind_accepts_good_answers_and_normalises_them(category):
    q = by_slug(category)
    assert clean_answer(q["organisation"], "  Seoul   City  ").text == "Seoul City"
    assert clean_answer(q["needs"], "line one\r\nline two").text == "line one\nline two"
    assert clean_answer(q["needs"], "").is_empty
    assert clean_answer(q["track"], "water").text == "water"
    assert clean_answer(q["topics"], ["water", "mobility", "water"]).choices == (
        "mobility",
        "water",
    )
    assert clean_answer(q["country"], "kr").country == "KR"
    assert clean_answer(q["city"], "ﺍﻟﻘﺎﻫﺮﺓ").text == "ﺍﻟﻘﺎﻫﺮﺓ"
    assert clean_answer(q["photos"], "on").given is True
    assert clean_answer(q["newsletter"], "").given is False


def test_a_choice_question_needs_distinct_well_formed_options(category):
    bad = Question(
        category=category,
        kind=QuestionKind.SINGLE_CHOICE,
        slug="bad",
        label=bilingual("나쁨", "Bad"),
        options=[{"value": "a", "ko": "가", "en": "A"}, {"value": "a", "ko": "나", "en": "B"}],
    )
    with pytest.raises(ValidationError) as raised:
        bad.full_clean()
    assert "options" in raised.value.message_dict
    bad.options = [{"value": "a", "ko": "가", "en": "A"}]
    with pytest.raises(ValidationError):
        bad.full_clean()


def test_a_consent_box_needs_purpose_text_and_version_in_both_languages(category):
    consent = Question(
        category=category,
        kind=QuestionKind.CONSENT,
        slug="c",
        label=bilingual("동의", "I agree"),
        purpose=bilingual("", "Photographs"),
        consent_text=bilingual("글", "Text"),
    )
    with pytest.raises(ValidationError) as raised:
        consent.full_clean()
    assert set(raised.value.message_dict) == {"purpose", "text_version"}


# --- the service -----------------------------------------------------------------------------


def register(category, answers, **changes):
    arguments = {
        "category": category,
        "name": "Amina ﺃﻣﻴﻨﺔ",
        "email": "amina@example.org",
        "language": "en",
        "client_token": "token-questions-1",
        "answers": answers,
    }
    arguments.update(changes)
    return services.register_attendee(**arguments)


def test_answers_and_consents_are_saved_with_the_registration(category):
    before = timezone.now()
    registration = register(category, good_answers(category), consent_language="ko")
    q = by_slug(category)
    stored = {a.question.slug: a for a in Answer.objects.filter(registration=registration)}
    assert set(stored) == {"organisation", "track", "topics", "country", "city"}
    assert stored["organisation"].text == "서울특별시청"
    assert stored["topics"].choices == ["mobility", "water"]
    assert stored["country"].country.code == "KR"
    with translation.override("en"):
        assert stored["topics"].display() == "Mobility, Water"
        assert stored["country"].display() == "South Korea"
    photos = ConsentRecord.objects.get(registration=registration, question=q["photos"])
    assert (photos.purpose, photos.text, photos.language, photos.text_version, photos.given) == (
        "사진 촬영 동의",
        "행사 사진에 찍힐 수 있습니다.",
        "ko",
        "2030-1",
        True,
    )
    assert before <= photos.recorded_at <= timezone.now()
    newsletter = ConsentRecord.objects.get(registration=registration, question=q["newsletter"])
    assert (newsletter.given, newsletter.text_version) == (False, "v3")


def test_consent_record_keeps_the_wording_after_the_question_changes(category):
    registration = register(category, good_answers(category))
    photos = by_slug(category)["photos"]
    photos.consent_text = bilingual("새 문구", "New wording")
    photos.text_version = "2030-2"
    photos.save()
    record = ConsentRecord.objects.get(registration=registration, question=photos)
    assert (record.text, record.text_version) == (
        "You may appear in photographs of the event.",
        "2030-1",
    )


def test_required_consent_must_be_given_and_nothing_is_saved_otherwise(category):
    answers = good_answers(category)
    answers[by_slug(category)["photos"].pk] = False
    with translation.override("en"), pytest.raises(errors.InvalidInput) as raised:
        register(category, answers)
    assert raised.value.message == ("photos question: Tick this box to register in this category.")
    assert Registration.objects.count() == 0
    assert ConsentRecord.objects.count() == 0


def test_a_replayed_submission_returns_the_first_registration_and_adds_no_answers(category):
    first = register(category, good_answers(category))
    again = register(category, {}, name="Someone else")
    assert again.pk == first.pk
    assert again.name == "Amina ﺃﻣﻴﻨﺔ"
    assert Answer.objects.count() == 5
    assert ConsentRecord.objects.count() == 2


def test_answers_for_questions_of_another_category_are_refused(category):
    other = CategoryFactory(event=category.event)
    foreign = make_question(other, QuestionKind.TEXT, "other")
    answers = good_answers(category) | {foreign.pk: "x"}
    with pytest.raises(errors.InvalidInput):
        register(category, answers)


def test_a_category_without_questions_registers_as_before():
    plain = CategoryFactory()
    registration = register(plain, None)
    assert registration.status == "confirmed"
    assert not registration.answers.exists()


def test_withdrawing_a_consent_keeps_the_record_and_the_time(category):
    registration = register(category, good_answers(category))
    record = registration.consents.get(given=True)
    withdrawn = services.withdraw_consent(record=record)
    assert withdrawn.withdrawn_at is not None
    assert services.withdraw_consent(record=record).withdrawn_at == withdrawn.withdrawn_at


# --- the public form -------------------------------------------------------------------------


def register_url(event, language="en"):
    with translation.override(language):
        return reverse("register", kwargs={"slug": event.slug})


def token_in(html):
    return re.search(r'name="client_token" value="([^"]+)"', html).group(1)


def base_data(client, category, language="en"):
    page = client.get(register_url(category.event, language))
    return {
        "category": category.slug,
        "name": "김민지 🌸",
        "email": "minji@example.org",
        "language": "ko",
        "client_token": token_in(page.content.decode()),
    }


def answers_data(category):
    q = by_slug(category)
    return {
        f"q{q['organisation'].pk}": "서울특별시청",
        f"q{q['track'].pk}": "energy",
        f"q{q['topics'].pk}": ["water", "mobility"],
        f"q{q['country'].pk}": "KR",
        f"q{q['city'].pk}": "서울",
        f"q{q['photos'].pk}": "on",
    }


def test_without_javascript_the_questions_come_as_a_second_step(client, category):
    data = base_data(client, category)
    step_one = client.post(register_url(category.event), data)
    html = step_one.content.decode()
    assert step_one.status_code == 200
    assert Registration.objects.count() == 0
    assert "Please answer the questions for this category, then register." in html
    assert 'name="questions_for" value="delegates"' in html
    assert "organisation question" in html
    assert "error-summary" not in html
    assert 'value="김민지 🌸"' in html

    step_two = client.post(
        register_url(category.event), data | {"questions_for": "delegates"} | answers_data(category)
    )
    registration = Registration.objects.get()
    assert step_two.status_code == 302
    assert registration.answers.count() == 5
    assert registration.consents.filter(given=True).count() == 1
    assert registration.consents.get(given=True).language == "en"


def test_unanswered_questions_are_each_reported_in_korean(client, category):
    data = base_data(client, category, "ko") | {"questions_for": "delegates"}
    response = client.post(register_url(category.event, "ko"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("이 질문에 답해 주세요.") >= 4  # organisation and city, summary and field
    assert "보기 중 하나를 고르세요." in html
    assert "하나 이상 고르세요." in html
    assert "국가를 고르세요." in html
    assert "이 분류로 등록하려면 이 칸에 표시해 주세요." in html
    assert 'aria-invalid="true"' in html
    assert Registration.objects.count() == 0


def test_changing_category_on_the_second_step_shows_the_new_category_questions(client, category):
    other = CategoryFactory(event=category.event, slug="press")
    make_question(other, QuestionKind.TEXT, "outlet")
    data = base_data(client, category) | {"questions_for": "delegates", "category": "press"}
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "outlet question" in html
    assert "organisation question" not in html
    assert Registration.objects.count() == 0


def test_script_in_an_answer_is_stored_as_text_and_shown_escaped(client, category):
    script = "<script>alert('x')</script>"
    data = base_data(client, category) | {"questions_for": "delegates"} | answers_data(category)
    data[f"q{by_slug(category)['organisation'].pk}"] = script
    data["email"] = "not-an-address"
    response = client.post(register_url(category.event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert script not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    data["email"] = "minji@example.org"
    assert client.post(register_url(category.event), data).status_code == 302
    assert Answer.objects.get(question__slug="organisation").text == script


def test_the_htmx_fragment_has_the_chosen_category_questions(client, category):
    with translation.override("en"):
        url = reverse("register-questions", kwargs={"slug": category.event.slug})
    response = client.get(url, {"category": "delegates"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert 'name="questions_for" value="delegates"' in html
    assert "8 questions for this category follow." in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert "You may appear in photographs of the event." in html
    unknown = client.get(url, {"category": "nope"}).content.decode()
    assert "questions_for" not in unknown
    assert "question" not in unknown.replace("questions-status", "")


def test_the_form_page_asks_for_the_fragment_when_a_category_is_chosen(client, category):
    html = client.get(register_url(category.event)).content.decode()
    assert 'hx-get="/en/' in html
    assert 'hx-target="#questions"' in html
    preselected = client.get(register_url(category.event), {"category": "delegates"})
    assert "organisation question" in preselected.content.decode()


def test_the_form_in_korean_shows_korean_labels_and_options(client, category):
    response = client.get(register_url(category.event, "ko"), {"category": "delegates"})
    html = response.content.decode()
    assert "organisation 질문" in html
    assert "모빌리티" in html
    assert "사진 촬영 동의" in html


# --- exports, back office, privacy -----------------------------------------------------------


def test_exports_add_a_column_per_question_and_neutralise_formulas(category):
    answers = good_answers(category)
    answers[by_slug(category)["organisation"].pk] = "=HYPERLINK(1)"
    register(category, answers)
    with translation.override("en"):
        header, rows = exports.registrations_table(Registration.objects.all())
        table = list(rows)
        parsed = list(
            csv.reader(io.StringIO(exports.render_csv(header, table).decode("utf-8-sig")))
        )
    assert header[8:] == [
        "organisation question",
        "needs question",
        "track question",
        "topics question",
        "country question",
        "city question",
        "Photographs",
        "Newsletter",
    ]
    assert table[0][8:] == [
        "=HYPERLINK(1)",
        "",
        "Energy",
        "Mobility, Water",
        "South Korea",
        "서울",
        "yes (2030-1)",
        "no (v3)",
    ]
    assert parsed[1][8] == "'=HYPERLINK(1)"


def test_export_query_count_stays_constant_with_questions(category, django_assert_max_num_queries):
    for number in range(12):
        register(
            category,
            good_answers(category),
            email=f"p{number}@example.org",
            client_token=f"token-export-{number}",
        )
    with django_assert_max_num_queries(4):
        _, rows = exports.registrations_table(Registration.objects.all())
        assert len(list(rows)) == 12


@pytest.fixture
def superuser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_category_page_edits_questions_side_by_side(superuser, category, english):
    url = reverse("admin:registration_category_change", args=[category.pk])
    page = superuser.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="i18n-form-group i18n-side-by-side"' in html
    assert "energy | 에너지 | Energy" in html


def test_a_question_with_bad_option_lines_gets_a_message_not_an_error_page(superuser, english):
    category = CategoryFactory()
    url = reverse("admin:registration_category_change", args=[category.pk])
    form = superuser.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        {
            "event": category.event.pk,
            "slug": category.slug,
            "name_0": "시민",
            "name_1": "Citizens",
            "kind": category.kind,
            "participation": category.participation,
            "capacity": "10",
            "position": "0",
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000",
            "questions-0-position": "0",
            "questions-0-slug": "track",
            "questions-0-kind": "single_choice",
            "questions-0-label_0": "트랙",
            "questions-0-label_1": "Track",
            "questions-0-options": "only one line",
        }
    )
    data.pop("description", None)
    response = superuser.post(url, data)
    assert response.status_code == 200
    assert "Line 1: write value | 한국어 | English." in response.content.decode()
    data["questions-0-options"] = "mobility | 모빌리티 | Mobility\nenergy | 에너지 | Energy"
    response = superuser.post(url, data)
    assert response.status_code == 302
    assert Question.objects.get(category=category).options == [
        {"value": "mobility", "ko": "모빌리티", "en": "Mobility"},
        {"value": "energy", "ko": "에너지", "en": "Energy"},
    ]


def test_registration_page_shows_answers_and_consents_read_only(superuser, category, english):
    registration = register(category, good_answers(category))
    response = superuser.get(
        reverse("admin:registration_registration_change", args=[registration.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "서울특별시청" in html
    assert "Mobility, Water" in html
    assert "2030-1" in html
    assert 'name="answers-0-text"' not in html


def test_privacy_export_holds_answers_and_consents_and_delete_blanks_typed_answers(category):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="amina@example.org")
    EmailAddress.objects.create(user=user, email="amina@example.org", verified=True)
    registration = register(category, good_answers(category))
    with translation.override("en"):
        data = privacy.export_personal_data(user=user)
    exported = data["registrations"][0]
    assert {"question": "topics", "label": "topics question", "answer": "Mobility, Water"} in (
        exported["answers"]
    )
    assert [(c["purpose"], c["text_version"], c["given"]) for c in exported["consents"]] == [
        ("Photographs", "2030-1", True),
        ("Newsletter", "v3", False),
    ]
    privacy.delete_account(user=user)
    texts = dict(
        Answer.objects.filter(registration=registration).values_list("question__slug", "text")
    )
    assert texts["organisation"] == ""
    assert texts["city"] == ""
    assert texts["track"] == "energy"  # chosen options stay for the edition's figures
    assert ConsentRecord.objects.filter(registration=registration).count() == 2


def test_anonymising_past_editions_blanks_typed_answers(category):
    registration = register(category, good_answers(category))
    RegistrationFactory(category=category)
    changed = privacy.anonymise_registrations(days=0, now=timezone.now().replace(year=2031))
    assert changed == 2
    assert set(
        Answer.objects.filter(registration=registration, question__kind="text").values_list(
            "text", flat=True
        )
    ) == {""}
