"""Euclidean travel: coordinates x, y; minutes = distance / speed (speed 1 = Solomon convention).

    distance  = sqrt(dx^2 + dy^2)            (taken as km for the plan's ``distance_km``)
    minutes   = distance / (spec.speed_kmh x spec.speed_factor)
    seconds   = round(minutes x 60)
    metres    = distance x 1000

With ``dimacs`` set, every distance is first truncated (floored) to one decimal, the DIMACS
convention for Solomon instances; a tiny epsilon keeps e.g. a distance of 2.9999999999 (a
float rounding of 3) at 3.0.
"""

from __future__ import annotations

import numpy as np

from ..domain import Location, TravelSpec
from .base import TravelMatrix, positive_spec
from .coords import euclidean_distance, xy_array


def _positive_spec(spec: TravelSpec, field: str) -> float:
    return positive_spec(spec, field, "euclidean")


def euclidean_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Straight-line travel between x/y locations (see the module doc)."""
    speed = _positive_spec(spec, "speed_kmh") * _positive_spec(spec, "speed_factor")
    coords = xy_array(locations, "euclidean")
    dist = euclidean_distance(coords, coords, dimacs=spec.dimacs)
    minutes = dist / speed
    seconds = np.rint(minutes * 60).astype(np.int64)
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=dist * 1000.0)
