from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from madang.accounts.models import User
from madang.program.demo_editions import load_demo_editions
from madang.program.enums import EventMode, SessionKind
from madang.program.models import Event, Person, Session, SessionRole

pytestmark = pytest.mark.django_db


def test_demo_editions_match_the_published_facts() -> None:
    load_demo_editions()

    scw = Event.objects.get(slug="scw2021")
    slw = Event.objects.get(slug="slw2024")
    assert (scw.mode, scw.starts_on, scw.ends_on) == (
        EventMode.ONLINE,
        dt.date(2021, 10, 12),
        dt.date(2021, 10, 19),
    )
    assert (slw.mode, slw.starts_on, slw.ends_on) == (
        EventMode.ON_SITE,
        dt.date(2024, 10, 10),
        dt.date(2024, 10, 12),
    )
    assert scw.sessions.count() == 14
    forum = Session.objects.get(event=scw, slug="leaders-forum-opening")
    assert scw.local(forum.starts_at).strftime("%m-%d %H:%M") == "10-19 16:00"
    assert Session.objects.filter(event=slw, kind=SessionKind.SHOWROOM_TOUR).count() == 2
    assert str(scw.name.localize("en")) == "Seoul Smart City Week 2021"
    assert str(slw.name.localize("ko")) == "스마트라이프위크 2024"


def test_every_demo_text_has_both_languages() -> None:
    load_demo_editions()

    for session in Session.objects.all():
        assert session.title.data["ko"] and session.title.data["en"], session.slug
    for person in Person.objects.all():
        assert person.name.data["ko"] and person.name.data["en"], person.slug
        assert person.email == ""


def test_loading_twice_duplicates_nothing() -> None:
    load_demo_editions()
    counts = (
        Event.objects.count(),
        Session.objects.count(),
        Person.objects.count(),
        SessionRole.objects.count(),
    )

    load_demo_editions()

    assert (
        Event.objects.count(),
        Session.objects.count(),
        Person.objects.count(),
        SessionRole.objects.count(),
    ) == counts


def test_demo_command_prints_a_working_organiser_login() -> None:
    out = io.StringIO()

    call_command("demo", stdout=out)

    line = next(line for line in out.getvalue().splitlines() if "Organiser login" in line)
    password = line.split("password '")[1].rstrip("'")
    user = User.objects.get(username="organiser")
    assert user.is_staff and user.check_password(password)


def test_the_demo_organiser_can_sign_in_on_the_site_by_email(client: Any) -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    password = out.getvalue().split("password '")[1].split("'")[0]

    response = client.post(
        "/en/accounts/login/", {"login": "organiser@example.org", "password": password}
    )

    assert response.status_code == 302
    assert client.get("/en/accounts/").status_code == 200
