"""The permission matrix of the back office: every organiser and staff page by every role.

Each row of ``PAGES`` names a page and the roles that may open it in their own edition; every
other role is refused (403, or sent to the login page when the role gives no entry to the back
office at all), and a role held in another edition never shows this edition's rows. The list of
models is checked against the admin's registry, so a new back-office page must be added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from madang.accounts import audit
from madang.accounts.edition_admin import BACK_OFFICE_ROLES
from madang.accounts.models import EditionRole
from madang.checkin.models import BadgeStyle, Direction, Scan, ScanResult
from madang.live.models import Announcement
from madang.notifications.models import OutboxMessage
from madang.program.models import City, Event
from madang.registration.models import Invitation, SessionPlace
from madang.registration.models.session_places import SessionPlaceStatus
from madang.stage.models import (
    CaptionFile,
    ChatMessage,
    ChatReport,
    ChatRestriction,
    QuestionSettings,
)
from tests.checkin.conftest import make_badge, make_entrance
from tests.factories import (
    EventFactory,
    OrganisationFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    TrackFactory,
    UserFactory,
    VenueFactory,
)
from tests.factories.registration import CategoryFactory, RegistrationFactory
from tests.factories.stage import StageFactory
from tests.venue.conftest import make_space

pytestmark = pytest.mark.django_db

Role = EditionRole.Role
ORGANISER = {Role.ORGANISER}
PROGRAM = {Role.ORGANISER, Role.PROGRAM_EDITOR}
CAPTIONERS = {Role.ORGANISER, Role.MODERATOR}


def _audit_entry(event: Event) -> Model:
    return audit.record(actor=None, action="test.something", obj=event)


def _edition_role(event: Event) -> Model:
    return EditionRole.objects.create(user=UserFactory(), event=event, role=Role.ATTENDEE)


def _invitation(event: Event) -> Model:
    return Invitation.objects.create(
        event=event,
        category=CategoryFactory(event=event),
        name="초대 손님",
        email="guest@example.org",
        language="ko",
    )


def _session_place(event: Event) -> Model:
    registration = RegistrationFactory(category=CategoryFactory(event=event))
    return SessionPlace.objects.create(
        session=SessionFactory(event=event, capacity=20),
        registration=registration,
        status=SessionPlaceStatus.BOOKED,
        booked_at=timezone.now(),
        client_token="matrix-token-1",
    )


def _outbox_message(event: Event) -> Model:
    return OutboxMessage.objects.create(
        event=event, kind="confirmation", language="ko", to_address="someone@example.org"
    )


def _announcement(event: Event) -> Model:
    return Announcement.objects.create(event=event, text={"ko": "안내", "en": "Notice"})


def _entrance(event: Event) -> Model:
    return make_entrance(event, name="East", room=None, direction=Direction.IN)


def _badge(event: Event) -> Model:
    return make_badge(event)


def _badge_style(event: Event) -> Model:
    return BadgeStyle.objects.create(category=CategoryFactory(event=event), colour="#1d4ed8")


def _scan(event: Event) -> Model:
    entrance = make_entrance(event, name="West", room=None, direction=Direction.IN)
    return Scan.objects.create(
        entrance=entrance,
        badge=make_badge(event),
        direction=Direction.IN,
        result=ScanResult.ACCEPTED,
        scanned_at=timezone.now(),
    )


def _stage(event: Event) -> Model:
    return StageFactory(room=RoomFactory(event=event), event=event)


def _caption_file(event: Event) -> Model:
    return CaptionFile.objects.create(
        session=SessionFactory(event=event), language="en", content="WEBVTT\n"
    )


def _chat_report(event: Event) -> Model:
    message = ChatMessage.objects.create(
        session=SessionFactory(event=event), author=UserFactory(), text="안녕"
    )
    return ChatReport.objects.create(message=message, reporter=UserFactory(), reason="spam")


def _chat_restriction(event: Event) -> Model:
    return ChatRestriction.objects.create(event=event, user=UserFactory(), kind="ban")


def _city(event: Event) -> Model:
    return City.objects.create(name={"ko": "부산", "en": "Busan"}, country="KR")


@dataclass(frozen=True)
class Page:
    model: str  # app_label.model_name, as in the admin's URL names
    make: Callable[[Event], Model]  # builds a row of that model in the given edition
    view: set[str]  # roles that may see the list and the row
    change: set[str]  # roles that may change the row
    scoped: bool = True  # False for rows shared by every edition (people, cities)


PAGES = [
    Page("program.event", lambda event: event, PROGRAM, ORGANISER),
    Page("program.venue", lambda event: VenueFactory(event=event), PROGRAM, PROGRAM),
    Page("program.room", lambda event: RoomFactory(event=event), PROGRAM, PROGRAM),
    Page("program.track", lambda event: TrackFactory(event=event), PROGRAM, PROGRAM),
    Page("program.session", lambda event: SessionFactory(event=event), PROGRAM, PROGRAM),
    Page("program.person", lambda event: PersonFactory(), PROGRAM, PROGRAM, scoped=False),
    Page(
        "program.organisation",
        lambda event: OrganisationFactory(),
        PROGRAM,
        PROGRAM,
        scoped=False,
    ),
    Page("program.city", _city, PROGRAM, PROGRAM, scoped=False),
    Page("registration.category", lambda event: CategoryFactory(event=event), ORGANISER, ORGANISER),
    Page(
        "registration.registration",
        lambda event: RegistrationFactory(category=CategoryFactory(event=event)),
        ORGANISER,
        ORGANISER,
    ),
    Page("accounts.editionrole", _edition_role, ORGANISER, ORGANISER),
    Page("accounts.auditentry", _audit_entry, ORGANISER, set()),
    Page("registration.invitation", _invitation, ORGANISER, set()),
    Page("registration.sessionplace", _session_place, ORGANISER, ORGANISER),
    Page("notifications.outboxmessage", _outbox_message, ORGANISER, set()),
    Page("live.announcement", _announcement, {Role.ORGANISER, Role.MODERATOR}, set()),
    Page("checkin.entrance", _entrance, {Role.ORGANISER, Role.CHECKIN_STAFF}, ORGANISER),
    Page("checkin.scan", _scan, {Role.ORGANISER, Role.CHECKIN_STAFF}, set()),
    Page("checkin.badge", _badge, ORGANISER, ORGANISER),
    Page("checkin.badgestyle", _badge_style, ORGANISER, ORGANISER),
    Page("stage.stage", _stage, PROGRAM, PROGRAM),
    Page("stage.captionfile", _caption_file, CAPTIONERS, CAPTIONERS),
    Page("stage.chatreport", _chat_report, CAPTIONERS, set()),
    Page("stage.chatrestriction", _chat_restriction, CAPTIONERS, set()),
    Page(
        "stage.questionsettings",
        lambda event: QuestionSettings.objects.create(event=event),
        CAPTIONERS,
        ORGANISER,
    ),
    Page("venue.venuespace", lambda event: make_space(event), ORGANISER, ORGANISER),
]

# Registered in the admin but outside the matrix: global things only staff with model
# permissions or superusers handle (accounts, groups, sign-in records of allauth).
NOT_EDITION_PAGES = {
    "accounts.user",
    "auth.group",
    "account.emailaddress",
    "socialaccount.socialaccount",
    "socialaccount.socialapp",
    "socialaccount.socialtoken",
    "sites.site",
}


def _url(page: Page, view: str, *args: Any) -> str:
    app, model = page.model.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def _client_with(role: str | None, event: Event) -> Client:
    client = Client()
    user = UserFactory()
    if role is not None:
        EditionRole.objects.create(user=user, event=event, role=role)
    client.force_login(user)
    return client


def test_every_back_office_model_is_in_the_matrix() -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - NOT_EDITION_PAGES == {page.model for page in PAGES}


@pytest.mark.parametrize("role", [*Role.values, None])
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.model)
def test_role_in_own_edition(page: Page, role: str | None) -> None:
    here = EventFactory()
    row = page.make(here)
    client = _client_with(role, here)

    listing = client.get(_url(page, "changelist"))
    change = client.get(_url(page, "change", row.pk))

    if role is None or role not in BACK_OFFICE_ROLES:
        assert listing.status_code == 302 and "/login/" in listing["Location"]
        assert change.status_code == 302 and "/login/" in change["Location"]
    elif role in page.view or role in page.change:
        assert listing.status_code == 200
        assert change.status_code == 200
        may_change = role in page.change
        assert (b'name="_save"' in change.content) is may_change
    else:
        assert listing.status_code == 403
        assert change.status_code in (302, 403)


@pytest.mark.parametrize("role", sorted(BACK_OFFICE_ROLES))
@pytest.mark.parametrize("page", [p for p in PAGES if p.scoped], ids=lambda page: page.model)
def test_role_in_another_edition_sees_nothing_here(page: Page, role: str) -> None:
    here, elsewhere = EventFactory(), EventFactory()
    row = page.make(here)
    client = _client_with(role, elsewhere)

    listing = client.get(_url(page, "changelist"))
    change = client.get(_url(page, "change", row.pk))

    assert listing.status_code in (200, 403)
    if listing.status_code == 200:
        assert row.pk not in {shown.pk for shown in listing.context["cl"].result_list}
    # Django answers a row outside the visible set with a redirect to the index and a message.
    assert change.status_code in (302, 403)
    assert b'name="_save"' not in change.content


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.change and p.scoped], ids=lambda page: page.model
)
def test_change_post_for_another_edition_is_refused(page: Page) -> None:
    here, elsewhere = EventFactory(), EventFactory()
    row = page.make(here)
    role = sorted(page.change)[0]
    client = _client_with(role, elsewhere)

    response = client.post(_url(page, "delete", row.pk), {"post": "yes"})

    assert response.status_code in (302, 403)
    assert type(row)._default_manager.filter(pk=row.pk).exists()


@pytest.mark.parametrize("extra", ["timetable", "conflicts"])
@pytest.mark.parametrize("role", [*sorted(BACK_OFFICE_ROLES)])
def test_organiser_pages_of_an_edition(extra: str, role: str) -> None:
    here = EventFactory()
    client = _client_with(role, here)
    other = EventFactory()

    own = client.get(reverse(f"admin:program_event_{extra}", args=[here.pk]))
    foreign = client.get(reverse(f"admin:program_event_{extra}", args=[other.pk]))

    assert own.status_code == (200 if role in PROGRAM else 403)
    assert foreign.status_code in (403, 404)


def test_an_organiser_gives_a_role_only_in_their_own_edition() -> None:
    here, elsewhere = EventFactory(), EventFactory()
    client = _client_with(Role.ORGANISER, here)
    helper = UserFactory(email="staff@example.org")
    url = reverse("admin:accounts_editionrole_add")

    refused = client.post(
        url, {"account_email": "staff@example.org", "event": elsewhere.pk, "role": "organiser"}
    )
    granted = client.post(
        url, {"account_email": "STAFF@example.org", "event": here.pk, "role": "checkin_staff"}
    )
    unknown = client.post(
        url, {"account_email": "nobody@example.org", "event": here.pk, "role": "checkin_staff"}
    )

    assert refused.status_code == 200  # the form again, with the edition refused
    assert not EditionRole.objects.filter(user=helper, event=elsewhere).exists()
    assert granted.status_code == 302
    assert EditionRole.objects.filter(user=helper, event=here, role="checkin_staff").exists()
    assert unknown.status_code == 200
    assert "sign up first" in unknown.content.decode() or "가입" in unknown.content.decode()
