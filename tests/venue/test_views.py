"""Venue pages: the list of spaces, the map view, the accessible view, the back office, demo."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from madang.accounts.models import AuditEntry, EditionRole
from madang.program.models import Event
from madang.venue.demo import load_demo_spaces
from madang.venue.models import VenueSpace
from tests.factories import EventFactory, UserFactory
from tests.venue.conftest import make_space

pytestmark = pytest.mark.django_db


def test_the_list_shows_open_spaces_of_a_published_edition(client: Client) -> None:
    space = make_space()
    make_space(event=space.event, slug="hidden", is_open=False, stage=None)
    page = client.get(f"/en/{space.event.slug}/venue/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Roundtable" in text and f"/venue/{space.slug}/" in text and "/venue/hidden/" not in text
    assert client.get(f"/ko/{space.event.slug}/venue/").status_code == 200
    unpublished = EventFactory(is_published=False)
    assert client.get(f"/en/{unpublished.slug}/venue/").status_code == 404


def test_the_map_view_has_a_canvas_the_stage_and_a_link_to_the_list_view(client: Client) -> None:
    space = make_space()
    page = client.get(f"/en/{space.event.slug}/venue/{space.slug}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<canvas" in text and 'id="venue-config"' in text
    assert f"/en/{space.event.slug}/venue/{space.slug}/list/" in text
    assert "stage-player" in text  # the space's stage plays in the stage zone
    listing = client.get(f"/ko/{space.event.slug}/venue/{space.slug}/list/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "<canvas" not in body and 'data-goto="lounge"' in body and "aria-live" in body


def test_closed_or_unknown_spaces_are_not_found(client: Client) -> None:
    space = make_space(is_open=False)
    assert client.get(f"/en/{space.event.slug}/venue/{space.slug}/").status_code == 404
    assert client.get(f"/en/{space.event.slug}/venue/nowhere/list/").status_code == 404


def test_an_organiser_sets_hosts_by_email_and_it_is_audited() -> None:
    space = make_space()
    organiser = UserFactory()
    EditionRole.objects.create(user=organiser, event=space.event, role=EditionRole.Role.ORGANISER)
    mayor = UserFactory(email="mayor@example.org")
    client = Client()
    client.force_login(organiser)
    url = f"/en/manage/venue/venuespace/{space.pk}/change/"
    form: dict[str, Any] = {
        "event": space.event.pk,
        "slug": space.slug,
        "name_0": "원탁회의",
        "name_1": "Roundtable",
        "map_key": "plaza",
        "capacity": 100,
        "stage": space.stage_id,
        "allow_guests": "on",
        "is_open": "on",
        "position": 0,
        "host_emails": "nobody@example.org",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "nobody@example.org" in refused.content.decode()
    saved = client.post(url, {**form, "host_emails": "MAYOR@example.org"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    space.refresh_from_db()
    assert list(space.hosts.all()) == [mayor] and space.map_key == "plaza"
    assert AuditEntry.objects.filter(action="venue.change_space").exists()


def test_demo_spaces_are_a_roundtable_and_a_plaza() -> None:
    event = make_space().event
    spaces = load_demo_spaces([event])
    assert {space.map_key for space in spaces} == {"roundtable", "plaza"}
    assert VenueSpace.objects.filter(event=event).count() == 2
    assert all(space.stage is not None for space in spaces)
    assert isinstance(event, Event)
