"""Maps are data checked on load: floors, walls and zones that fit, with names in ko and en."""

from __future__ import annotations

import pytest

from madang.venue.maps import MAPS, MapError, Rect, VenueMap, Zone, call_url, validate


def test_default_maps_are_valid_and_have_a_stage_zone() -> None:
    assert set(MAPS) == {"roundtable", "plaza"}
    for venue_map in MAPS.values():
        assert any(zone.kind == "stage" for zone in venue_map.zones)
        assert venue_map.free(*venue_map.spawn)
        for zone in venue_map.zones:
            assert zone.name_ko and zone.name_en


def test_walls_block_tiles_and_zones_are_found_by_position() -> None:
    roundtable = MAPS["roundtable"]
    assert not roundtable.free(20, 14)  # the round table
    assert not roundtable.free(-1, 0) and not roundtable.free(48, 0)
    zone = roundtable.zone_at(15, 3)
    assert zone is not None and zone.kind == "stage"
    assert roundtable.data("ko")["zones"][0]["name"] == "무대"


@pytest.mark.parametrize(
    "broken",
    [
        VenueMap("x", "가", "A", 10, 10, (1, 1), walls=(Rect(8, 8, 5, 5),)),
        VenueMap("x", "가", "A", 10, 10, (1, 1), walls=(Rect(0, 0, 3, 3),)),
        VenueMap(
            "x",
            "가",
            "A",
            10,
            10,
            (9, 9),
            zones=(
                Zone("a", "stage", "가", "A", Rect(0, 0, 5, 5)),
                Zone("b", "lounge", "나", "B", Rect(4, 4, 2, 2)),
            ),
        ),
        VenueMap(
            "x", "가", "A", 10, 10, (9, 9), zones=(Zone("a", "disco", "가", "A", Rect(0, 0, 2, 2)),)
        ),
        VenueMap(
            "x", "가", "A", 10, 10, (9, 9), zones=(Zone("a", "stage", "", "A", Rect(0, 0, 2, 2)),)
        ),
        VenueMap("x", "가", "A", 0, 10, (0, 0)),
    ],
)
def test_broken_maps_are_refused(broken: VenueMap) -> None:
    with pytest.raises(MapError):
        validate(broken)


def test_call_links_come_from_settings_and_only_https(settings: object) -> None:
    settings.VENUE_CALL_URLS = '{"roundtable.lounge": "https://bbb.example.org/b/lounge"}'  # type: ignore[attr-defined]
    settings.VENUE_CALL_BASE_URL = "https://meet.example.org/"  # type: ignore[attr-defined]
    assert call_url("roundtable", "lounge", "x") == "https://bbb.example.org/b/lounge"
    assert call_url("roundtable", "booth", "scw-roundtable") == (
        "https://meet.example.org/scw-roundtable-booth"
    )
    settings.VENUE_CALL_BASE_URL = "javascript:alert(1)"  # type: ignore[attr-defined]
    settings.VENUE_CALL_URLS = "not json"  # type: ignore[attr-defined]
    assert call_url("roundtable", "booth", "x") == ""
