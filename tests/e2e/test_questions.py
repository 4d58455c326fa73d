"""Registering in a category with questions, in a real browser: the questions appear when the
category is chosen, consents are ticked, and the result page follows; axe finds no problems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from madang.registration.models import ConsentRecord, Question, QuestionKind, Registration
from tests.e2e.test_public_site import axe_violations
from tests.factories import EventFactory, bilingual
from tests.factories.registration import CategoryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any) -> Iterator[str]:
    cache.clear()
    event = EventFactory(slug="week2030", name=bilingual("위크 2030", "Week 2030"))
    CategoryFactory(event=event, slug="citizens", name=bilingual("시민", "Citizens"))
    delegates = CategoryFactory(
        event=event, slug="delegates", name=bilingual("대표단", "Delegates")
    )
    Question.objects.create(
        category=delegates,
        slug="track",
        position=1,
        kind=QuestionKind.SINGLE_CHOICE,
        label=bilingual("관심 분야", "Your main interest"),
        required=True,
        options=[
            {"value": "mobility", "ko": "모빌리티", "en": "Mobility"},
            {"value": "energy", "ko": "에너지", "en": "Energy"},
        ],
    )
    Question.objects.create(
        category=delegates,
        slug="country",
        position=2,
        kind=QuestionKind.COUNTRY,
        label=bilingual("국가", "Country"),
        required=True,
    )
    Question.objects.create(
        category=delegates,
        slug="photos",
        position=3,
        kind=QuestionKind.CONSENT,
        label=bilingual("동의합니다", "I agree"),
        required=True,
        purpose=bilingual("사진 촬영", "Photographs"),
        consent_text=bilingual("사진에 찍힐 수 있습니다.", "You may appear in photographs."),
        text_version="2030-1",
    )
    yield live_server.url


def test_questions_appear_for_the_chosen_category_and_are_saved(page: Any, site: str) -> None:
    page.goto(site + "/en/week2030/register/")
    assert page.locator("#questions legend").count() == 0
    page.locator("#category-delegates").check()
    page.get_by_role("heading", name="Questions for “Delegates”").wait_for()
    assert page.locator("#questions-status").text_content() == (
        "3 questions for this category follow."
    )
    page.fill("input[name=name]", "Amina ﺃﻣﻴﻨﺔ")
    page.fill("input[name=email]", "amina@example.org")
    page.locator("form button[type=submit]").press("Enter")  # questions not answered yet

    summary = page.locator(".error-summary")
    summary.wait_for()
    page.wait_for_load_state()  # the rest of the answer, not only its start
    assert "Tick this box to register in this category." in summary.inner_text()
    assert axe_violations(page) == []

    page.get_by_label("Energy").check()
    page.get_by_label("Country").select_option("EG")
    page.get_by_label("I agree").check()
    assert axe_violations(page) == []
    page.locator("form button[type=submit]").press("Enter")
    page.wait_for_url("**/register/done/**")
    assert "Amina ﺃﻣﻴﻨﺔ" in page.locator("main").inner_text()
    assert axe_violations(page) == []

    registration = Registration.objects.get()
    assert registration.answers.count() == 2
    consent = ConsentRecord.objects.get(registration=registration)
    assert (consent.purpose, consent.language, consent.given) == ("Photographs", "en", True)


def test_without_javascript_the_questions_are_a_second_step(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/ko/week2030/register/")
    page.locator("#category-delegates").check()
    page.fill("input[name=name]", "김민지")
    page.fill("input[name=email]", "minji@example.org")
    page.locator("form button[type=submit]").click()
    page.get_by_role("heading", name="“대표단”", exact=False).wait_for()
    assert Registration.objects.count() == 0
    page.get_by_label("에너지").check()
    page.locator("select[name^=q]").select_option("KR")
    page.get_by_label("동의합니다").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/register/done/**")
    assert Registration.objects.get().consents.get().language == "ko"
    context.close()
