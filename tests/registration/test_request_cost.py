"""What one registration costs in SQL statements, so that a slower request path fails a test.

Registrations in a category are handled one at a time under its lock, and every statement is a
round trip to the database while others wait; the benchmark (bench/registration_bench.py)
measures the throughput that follows from it. Savepoints are left out of the counts: SQLite and
PostgreSQL place them differently.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from madang.notifications import tasks
from madang.registration.enums import RegistrationStatus
from madang.registration.manage_views import REGISTERED_COOKIE
from madang.registration.models import QuestionKind, Registration
from tests.factories.registration import CategoryFactory
from tests.registration.test_questions import make_question
from tests.registration.test_views import done_url, form_data, register_url

pytestmark = pytest.mark.django_db

_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET LOCAL")


def _statements(captured: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(_BOOKKEEPING)]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Deliveries queued for a worker (counted apart: in production they go to the broker)."""
    ids: list[int] = []
    monkeypatch.setattr(
        tasks, "queue_delivery", lambda message_id, **kwargs: ids.append(message_id)
    )
    return ids


def _post(client: Client, category, data, capture_on_commit):
    with CaptureQueriesContext(connection) as run, capture_on_commit(execute=True):
        response = client.post(register_url(category.event), data)
    return response, _statements(run.captured_queries)


def test_a_registration_costs_five_statements(
    client: Client, django_capture_on_commit_callbacks, queued: list[int]
) -> None:
    category = CategoryFactory(slug="citizens", capacity=2)
    response, statements = _post(
        client, category, form_data(category, client), django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == RegistrationStatus.CONFIRMED
    assert len(queued) == 1
    # The edition, its categories and their questions were read when the form was shown and
    # are kept until the edition changes (registration/caching.py). Under the lock: the
    # category (locked), one count of places taken and people waiting, the insert; after the
    # commit: the badge and the confirmation email in the outbox. Nothing is written to a
    # server-side session: the browser is remembered in a signed cookie.
    assert len(statements) == 5, "\n".join(statements)
    assert not any("django_session" in sql for sql in statements)
    assert [sql.split()[0] for sql in statements].count("INSERT") == 3
    assert REGISTERED_COOKIE in response.cookies


def test_answers_and_consents_add_only_their_inserts(
    client: Client, django_capture_on_commit_callbacks, queued: list[int]
) -> None:
    category = CategoryFactory(slug="citizens", capacity=2)
    city = make_question(category, QuestionKind.CITY, "city")
    consent = make_question(category, QuestionKind.CONSENT, "photos", required=False)
    data = form_data(category, client)
    data.update({f"q{city.pk}": "Seoul", f"q{consent.pk}": "on", "questions_for": category.slug})
    response, statements = _post(client, category, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302, response.content.decode()[:2000]
    # One insert of the answers, one of the consent records.
    assert len(statements) == 7, "\n".join(statements)


def test_a_repeated_submission_returns_the_first_result_cheaply(
    client: Client, django_capture_on_commit_callbacks, queued: list[int]
) -> None:
    category = CategoryFactory(slug="citizens", capacity=2)
    data = form_data(category, client)
    first, _ = _post(client, category, data, django_capture_on_commit_callbacks)
    again, statements = _post(client, category, data, django_capture_on_commit_callbacks)
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Registration.objects.count() == 1
    assert len(queued) == 1  # announced once
    # The refused insert, then the earlier registration by its token.
    assert len(statements) <= 5, "\n".join(statements)


def test_the_form_set_up_is_read_once_and_again_after_an_edit(
    client: Client, django_capture_on_commit_callbacks, queued: list[int]
) -> None:
    category = CategoryFactory(slug="citizens", capacity=5)
    data = form_data(category, client)
    _post(client, category, data, django_capture_on_commit_callbacks)
    # An organiser adds a question: the next submission reads the edition, its categories and
    # their questions again, and asks the new question before registering anyone.
    with django_capture_on_commit_callbacks(execute=True):
        city = make_question(category, QuestionKind.CITY, "city")
    second = form_data(category, client)
    second["email"] = "second@example.org"
    with CaptureQueriesContext(connection) as run:
        response = client.post(register_url(category.event), second)
    assert response.status_code == 200
    assert f'name="q{city.pk}"' in response.content.decode()
    statements = _statements(run.captured_queries)
    assert not any(sql.startswith("INSERT") for sql in statements), statements
    assert Registration.objects.count() == 1
    # Shown again, so read from the store: the form's second step costs no set-up query.
    second.update({f"q{city.pk}": "Busan", "questions_for": category.slug})
    response, statements = _post(client, category, second, django_capture_on_commit_callbacks)
    assert statements[0].startswith('SELECT "registration_category"'), statements
    assert response.status_code == 302
    assert not any('FROM "program_event"' in sql for sql in statements), statements
    assert Registration.objects.get(email="second@example.org").answers.get().text == "Busan"


def test_the_personal_link_costs_no_session_query(client: Client, queued: list[int]) -> None:
    category = CategoryFactory(slug="citizens", capacity=2)
    client.post(register_url(category.event), form_data(category, client))
    registration = Registration.objects.get()
    with CaptureQueriesContext(connection) as run:
        html = client.get(done_url(registration)).content.decode()
    assert registration.manage_token in html
    assert not any("django_session" in q["sql"] for q in run.captured_queries)
