"""``madang expire_offers``: cancel lapsed waiting-list offers and offer the places on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from madang.registration.services import expire_offers


class Command(BaseCommand):
    help = "Cancel waiting-list offers that were not accepted in time and offer the places on."

    def handle(self, *args: Any, **options: Any) -> None:
        lapsed = expire_offers()
        self.stdout.write(f"{lapsed} lapsed offer(s) cancelled.")
