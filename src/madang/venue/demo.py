"""Venue spaces for the demo editions: a roundtable (the 2021 metaverse roundtable, where the
mayor, speakers and citizens met as avatars) and a plaza, each showing the edition's first stage.
"""

from __future__ import annotations

from i18nfield.strings import LazyI18nString

from madang.program.models import Event
from madang.stage.models import Stage
from madang.venue.models import VenueSpace

SPACES = [
    ("roundtable", "roundtable", ("메타버스 시민 원탁회의", "Metaverse citizens' roundtable"), 100),
    ("plaza", "plaza", ("스마트시티 광장", "Smart city plaza"), 500),
]


def load_demo_spaces(events: list[Event]) -> list[VenueSpace]:
    """Create or update the demo spaces of every edition. Side effects: writes venue spaces."""
    spaces = []
    for event in events:
        stage = Stage.objects.filter(event=event).order_by("room__position").first()
        for position, (slug, map_key, (ko, en), capacity) in enumerate(SPACES):
            space, _created = VenueSpace.objects.update_or_create(
                event=event,
                slug=slug,
                defaults={
                    "name": LazyI18nString({"ko": ko, "en": en}),
                    "map_key": map_key,
                    "capacity": capacity,
                    "stage": stage,
                    "position": position,
                },
            )
            spaces.append(space)
    return spaces
