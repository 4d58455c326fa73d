"""Virtual venue models: the spaces of an edition (positions and presence are never stored)."""

from madang.venue.models.spaces import VenueSpace

__all__ = ["VenueSpace"]
