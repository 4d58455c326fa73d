"""Venue maps as data: the floor, its walls and its zones, checked when the module loads.

A map is measured in tiles (an avatar stands on one tile; positions are whole tiles, ``0 ≤ x <
width``, ``0 ≤ y < height``). Walls are rectangles no one may stand in; zones are rectangles with
a name in Korean and English and a kind: ``stage`` (the stage stream plays there), ``audience``,
``booth`` or ``lounge``. People standing in the same zone share its text chat and see its video
call link, when one is configured (``MADANG_VENUE_CALL_URLS``, see ``call_url``).

New maps are added to ``MAPS``; ``validate`` refuses a map whose zones or walls leave the floor,
whose zones overlap or whose spawn point is not free.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

ZONE_KINDS = ("stage", "audience", "booth", "lounge")
MAX_SIDE = 400


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h

    def overlaps(self, other: Rect) -> bool:
        return not (
            other.x >= self.x + self.w
            or other.x + other.w <= self.x
            or other.y >= self.y + self.h
            or other.y + other.h <= self.y
        )

    def data(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class Zone:
    key: str
    kind: str
    name_ko: str
    name_en: str
    rect: Rect

    def name(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name_en

    @property
    def centre(self) -> tuple[int, int]:
        return self.rect.x + self.rect.w // 2, self.rect.y + self.rect.h // 2


@dataclass(frozen=True)
class VenueMap:
    key: str
    name_ko: str
    name_en: str
    width: int
    height: int
    spawn: tuple[int, int]
    walls: tuple[Rect, ...] = ()
    zones: tuple[Zone, ...] = ()
    # Filled in by validate(): True where a wall stands, row by row.
    blocked: frozenset[tuple[int, int]] = field(default=frozenset(), compare=False)

    def name(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name_en

    def inside(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height

    def free(self, x: int, y: int) -> bool:
        """Whether an avatar may stand on tile (x, y): on the floor and not in a wall."""
        return self.inside(x, y) and (x, y) not in self.blocked

    def zone_at(self, x: int, y: int) -> Zone | None:
        for zone in self.zones:
            if zone.rect.contains(x, y):
                return zone
        return None

    def zone(self, key: str) -> Zone | None:
        return next((zone for zone in self.zones if zone.key == key), None)

    def free_tile_in(self, zone: Zone, taken: int = 0) -> tuple[int, int]:
        """A free tile of ``zone`` near its centre, spread by ``taken`` (people already there)."""
        tiles = _zone_tiles.get((self.key, zone.key))
        if tiles is None:
            cx, cy = zone.centre
            tiles = sorted(
                (
                    (x, y)
                    for y in range(zone.rect.y, zone.rect.y + zone.rect.h)
                    for x in range(zone.rect.x, zone.rect.x + zone.rect.w)
                    if self.free(x, y)
                ),
                key=lambda tile: (abs(tile[0] - cx) + abs(tile[1] - cy), tile),
            )
            _zone_tiles[(self.key, zone.key)] = tiles
        return tiles[taken % len(tiles)]

    def data(self, language: str) -> dict[str, Any]:
        """The map as plain data for the browser (names in ``language``)."""
        return {
            "key": self.key,
            "name": self.name(language),
            "width": self.width,
            "height": self.height,
            "walls": [wall.data() for wall in self.walls],
            "zones": [
                {
                    "key": zone.key,
                    "kind": zone.kind,
                    "name": zone.name(language),
                    "rect": zone.rect.data(),
                }
                for zone in self.zones
            ],
        }


# (map key, zone key) -> the zone's free tiles, nearest its centre first.
_zone_tiles: dict[tuple[str, str], list[tuple[int, int]]] = {}


class MapError(ValueError):
    pass


def validate(venue_map: VenueMap) -> VenueMap:
    """The map with its wall tiles computed; raises MapError when the map is not usable."""
    if not (1 <= venue_map.width <= MAX_SIDE and 1 <= venue_map.height <= MAX_SIDE):
        raise MapError(f"{venue_map.key}: the floor must be 1 to {MAX_SIDE} tiles a side")
    floor = Rect(0, 0, venue_map.width, venue_map.height)
    for rect in [*venue_map.walls, *(zone.rect for zone in venue_map.zones)]:
        if rect.w < 1 or rect.h < 1 or not _within(rect, floor):
            raise MapError(f"{venue_map.key}: {rect} is not on the floor")
    keys = [zone.key for zone in venue_map.zones]
    if len(set(keys)) != len(keys):
        raise MapError(f"{venue_map.key}: zone keys repeat")
    for index, zone in enumerate(venue_map.zones):
        if zone.kind not in ZONE_KINDS:
            raise MapError(f"{venue_map.key}: zone {zone.key} has an unknown kind {zone.kind}")
        if not zone.name_ko or not zone.name_en:
            raise MapError(f"{venue_map.key}: zone {zone.key} needs a Korean and English name")
        for other in venue_map.zones[index + 1 :]:
            if zone.rect.overlaps(other.rect):
                raise MapError(f"{venue_map.key}: zones {zone.key} and {other.key} overlap")
    blocked = frozenset(
        (x, y)
        for wall in venue_map.walls
        for x in range(wall.x, wall.x + wall.w)
        for y in range(wall.y, wall.y + wall.h)
    )
    checked = VenueMap(**{**venue_map.__dict__, "blocked": blocked})
    if not checked.free(*checked.spawn):
        raise MapError(f"{venue_map.key}: the spawn point is not free")
    for zone in checked.zones:
        if not any(
            checked.free(x, y)
            for x in range(zone.rect.x, zone.rect.x + zone.rect.w)
            for y in range(zone.rect.y, zone.rect.y + zone.rect.h)
        ):
            raise MapError(f"{venue_map.key}: zone {zone.key} has no free tile")
    return checked


def _within(rect: Rect, floor: Rect) -> bool:
    return rect.x >= 0 and rect.y >= 0 and rect.x + rect.w <= floor.w and rect.y + rect.h <= floor.h


ROUNDTABLE = VenueMap(
    key="roundtable",
    name_ko="시민 원탁회의장",
    name_en="Citizens' roundtable hall",
    width=48,
    height=32,
    spawn=(24, 29),
    walls=(
        # The round table itself, in the middle of the audience.
        Rect(20, 14, 8, 4),
        # A low wall between the hall and the lounge, with a gap to walk through.
        Rect(36, 10, 1, 8),
        Rect(36, 22, 1, 10),
    ),
    zones=(
        Zone("stage", "stage", "무대", "Stage", Rect(12, 0, 24, 8)),
        Zone("table", "audience", "원탁", "Roundtable", Rect(10, 10, 26, 12)),
        Zone("lounge", "lounge", "휴게실", "Lounge", Rect(38, 10, 10, 14)),
        Zone("booth", "booth", "정책 부스", "Policy booth", Rect(0, 10, 8, 10)),
    ),
)

PLAZA = VenueMap(
    key="plaza",
    name_ko="스마트시티 광장",
    name_en="Smart city plaza",
    width=160,
    height=100,
    spawn=(80, 95),
    walls=(
        Rect(0, 30, 30, 1),
        Rect(130, 30, 30, 1),
        Rect(60, 48, 40, 4),
    ),
    zones=(
        Zone("stage", "stage", "야외 무대", "Open-air stage", Rect(50, 0, 60, 20)),
        Zone("audience", "audience", "관람석", "Audience", Rect(50, 22, 60, 24)),
        Zone("booth-mobility", "booth", "모빌리티 부스", "Mobility booth", Rect(0, 0, 30, 28)),
        Zone("booth-energy", "booth", "에너지 부스", "Energy booth", Rect(130, 0, 30, 28)),
        Zone("lounge", "lounge", "라운지", "Lounge", Rect(0, 60, 40, 40)),
    ),
)

MAPS: dict[str, VenueMap] = {m.key: validate(m) for m in (ROUNDTABLE, PLAZA)}
MAP_CHOICES = [(m.key, f"{m.name_ko} / {m.name_en}") for m in MAPS.values()]


def get_map(key: str) -> VenueMap:
    return MAPS.get(key) or MAPS[ROUNDTABLE.key]


def call_url(map_key: str, zone_key: str, room_prefix: str) -> str:
    """The video call of a zone, or "" when none is configured.

    ``MADANG_VENUE_CALL_URLS`` (JSON ``{"<map>.<zone>": "https://…"}``) names a room of the
    city's Jitsi or BigBlueButton server for a zone; otherwise, with
    ``MADANG_VENUE_CALL_BASE_URL`` (e.g. ``https://meet.jit.si/``), every zone gets the room
    ``<base><room prefix>-<zone>``. Only https addresses are used.
    """
    raw = getattr(settings, "VENUE_CALL_URLS", "") or ""
    base = getattr(settings, "VENUE_CALL_BASE_URL", "") or ""
    fallback = ""
    if base.startswith("https://"):
        fallback = base.rstrip("/") + "/" + re.sub(r"[^a-z0-9-]", "", f"{room_prefix}-{zone_key}")
    try:
        configured = json.loads(raw) if raw else {}
    except ValueError:
        configured = {}
    if not isinstance(configured, dict):
        configured = {}
    url = configured.get(f"{map_key}.{zone_key}", "")
    return url if isinstance(url, str) and url.startswith("https://") else fallback
