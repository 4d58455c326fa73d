"""``madang demo``: load the demo editions and an organiser login; ``--scale N`` adds one more."""

from __future__ import annotations

import os
import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from madang.program.demo_editions import load_demo_editions


class Command(BaseCommand):
    help = (
        "Load the demo editions (scw2021, slw2024) and an organiser login; --scale N adds 'scale'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="also build a synthetic edition 'scale' with N sessions",
        )
        parser.add_argument(
            "--no-organiser",
            action="store_true",
            help="do not create or reset the organiser account",
        )

    def handle(
        self, *args: Any, scale: int = 0, no_organiser: bool = False, **options: Any
    ) -> None:
        events = load_demo_editions()
        for event in events:
            self.stdout.write(f"Loaded edition {event.slug}: {event.sessions.count()} sessions")
        from madang.stage.demo import load_demo_stages

        for stage in load_demo_stages(events):
            self.stdout.write(f"Stage: /en/{stage.event.slug}/stage/{stage.slug}/")
        from madang.venue.demo import load_demo_spaces

        for space in load_demo_spaces(events):
            self.stdout.write(f"Venue: /en/{space.event.slug}/venue/{space.slug}/")
        if scale:
            if scale < 1 or scale > 20000:
                self.stderr.write("--scale must be between 1 and 20000")
                raise SystemExit(2)
            from madang.program.demo_scale import build_scaled_edition

            event = build_scaled_edition(sessions=scale)
            self.stdout.write(f"Built edition {event.slug}: {event.sessions.count()} sessions")
        if not no_organiser:
            password = os.environ.get("MADANG_DEMO_PASSWORD") or secrets.token_urlsafe(12)
            user_model = get_user_model()
            user, _created = user_model.objects.get_or_create(
                username="organiser", defaults={"email": "organiser@example.org"}
            )
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
            # The address is ours to vouch for, so the organiser can also sign in on the site.
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            self.stdout.write(
                self.style.SUCCESS(f"Organiser login: user 'organiser', password '{password}'")
            )
