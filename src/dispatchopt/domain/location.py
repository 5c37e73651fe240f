"""Where a job is, or where a technician starts and ends."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """A point in whichever form the travel model reads.

    haversine: ``lat``/``lon`` (degrees); euclidean: ``x``/``y``; graph: ``node`` (a node id
    of the road graph) or ``lat``/``lon`` snapped to the nearest node; matrix: ``id`` (a row id
    of the travel CSV; the loader defaults it to the job id, or the technician id for a
    technician's start and end).
    """

    lat: float | None = None
    lon: float | None = None
    x: float | None = None
    y: float | None = None
    node: str | None = None
    id: str | None = None
    # key() computed once: matrix lookups call it on every trip (not an input, not compared)
    _key: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", (self.lat, self.lon, self.x, self.y, self.node, self.id))

    def key(self) -> tuple:
        """Hashable identity: equal keys are the same point for every travel model."""
        return self._key
