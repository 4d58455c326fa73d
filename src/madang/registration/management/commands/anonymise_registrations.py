"""``madang anonymise-registrations --days N``: remove names and addresses from past editions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from madang.accounts.privacy import anonymise_registrations

DEFAULT_DAYS = 90


def _non_negative(value: str) -> int:
    days = int(value)
    if days < 0:
        raise ValueError(value)
    return days


class Command(BaseCommand):
    help = (
        "Blank the names and replace the addresses of registrations in editions whose last day "
        "ended more than --days days ago (in the edition's time zone). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=_non_negative,
            default=DEFAULT_DAYS,
            help=f"Days to keep personal data after an edition (default {DEFAULT_DAYS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = anonymise_registrations(days=options["days"])
        self.stdout.write(f"{changed} registration(s) anonymised.")
