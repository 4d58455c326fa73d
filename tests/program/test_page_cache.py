from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from madang.program.enums import SessionStatus
from tests.factories import EventFactory, SessionFactory, SessionRoleFactory, bilingual

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> Any:
    event = EventFactory(slug="cached")
    session = SessionFactory(event=event, slug="talk", title=bilingual("강연", "The talk"))
    SessionRoleFactory(session=session)
    return session


def test_a_warm_session_page_is_served_without_touching_the_database(
    client: Client, session: Any, django_assert_num_queries: Any
) -> None:
    first = client.get("/en/cached/sessions/talk/")

    with django_assert_num_queries(0):
        second = client.get("/en/cached/sessions/talk/")

    assert second.status_code == 200
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


def test_an_edit_is_shown_at_once_on_a_cached_page(
    client: Client, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.get("/en/cached/sessions/talk/")

    with django_capture_on_commit_callbacks(execute=True):
        session.title = bilingual("새 제목", "A new title")
        session.save()

    assert "A new title" in client.get("/en/cached/sessions/talk/").content.decode()


def test_unpublishing_a_session_removes_its_cached_page(
    client: Client, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.get("/en/cached/sessions/talk/")

    with django_capture_on_commit_callbacks(execute=True):
        session.status = SessionStatus.DRAFT
        session.save()

    assert client.get("/en/cached/sessions/talk/").status_code == 404


def test_languages_and_display_preferences_are_cached_apart(client: Client, session: Any) -> None:
    english = client.get("/en/cached/sessions/talk/").content.decode()
    korean = client.get("/ko/cached/sessions/talk/").content.decode()
    client.cookies["madang_display"] = "large-text"
    large = client.get("/en/cached/sessions/talk/").content.decode()

    assert "The talk" in english and '<html lang="en"' in english
    assert "강연" in korean and '<html lang="ko"' in korean
    assert "pref-large-text" in large and "pref-large-text" not in english


def test_unknown_query_parameters_bypass_the_cache(client: Client, session: Any) -> None:
    client.get("/en/cached/sessions/talk/?utm_source=x")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/cached/sessions/talk/?utm_source=x")

    assert response.status_code == 200
    assert len(queries) > 0
