"""An edition outside Korea shows its own wall-clock times, whatever the site's zone is."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.test import Client

from tests.factories import EventFactory, RoomFactory, SessionFactory

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    "path",
    ["/en/la2030/sessions/talk/", "/en/la2030/timetable/", "/en/la2030/program/", "/en/la2030/"],
)
def test_pages_show_times_in_the_editions_zone(client: Client, path: str) -> None:
    event = EventFactory(slug="la2030", time_zone="America/Los_Angeles")
    SessionFactory(
        event=event,
        slug="talk",
        kind="keynote",
        room=RoomFactory(event=event),
        starts_at=dt.datetime(2030, 10, 10, 9, 0, tzinfo=LOS_ANGELES),
    )

    html = client.get(path).content.decode()

    shown = re.findall(r">(\d\d:\d\d)<", html)
    assert "09:00" in shown
    assert "01:00" not in shown  # the same moment in Seoul
