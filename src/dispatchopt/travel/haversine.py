"""Haversine travel: great-circle kilometres x circuity = road kilometres, at a constant speed.

The great-circle distance is geopy's (:class:`geopy.distance.great_circle`, the same atan2
formula on a sphere of radius :data:`geopy.distance.EARTH_RADIUS`), evaluated for every pair at
once with numpy instead of one geopy call per pair.

    road_km   = great_circle_km x spec.circuity
    seconds   = round(road_km / (spec.speed_kmh x spec.speed_factor) x 3600)
    metres    = road_km x 1000

The matrix is symmetric and its diagonal is zero.
"""

from __future__ import annotations

import numpy as np

from ..domain import Location, TravelSpec
from .base import TravelMatrix, positive_spec
from .coords import great_circle_km as great_circle_km, lat_lon_array

_BLOCK_ELEMENTS = 1 << 20


def _check_positive(spec: TravelSpec, field: str) -> float:
    return positive_spec(spec, field, "haversine")


def haversine_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Road travel between lat/lon locations: geopy great-circle km x circuity at speed x speed_factor."""
    speed_kmh = _check_positive(spec, "speed_kmh")
    speed_factor = _check_positive(spec, "speed_factor")
    circuity = _check_positive(spec, "circuity")
    coords = lat_lon_array(locations, "haversine")
    n = len(coords)
    km = np.empty((n, n), dtype=float)
    rows = max(1, _BLOCK_ELEMENTS // max(n, 1))  # bound the temporaries' memory for large n
    for start in range(0, n, rows):
        km[start:start + rows] = great_circle_km(coords[start:start + rows], coords)
    # Make it exactly symmetric (the formula may differ by an ulp between (a, b) and (b, a)).
    km = np.triu(km, 1)
    km = km + km.T
    road_km = km * circuity
    seconds = np.rint(road_km / (speed_kmh * speed_factor) * 3600.0).astype(np.int64)
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=road_km * 1000.0)
