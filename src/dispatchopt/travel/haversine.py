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

import math

import numpy as np
from geopy.distance import EARTH_RADIUS

from ..domain import Location
from ..domain.problem import TravelSpec
from ..errors import TravelError
from .base import TravelMatrix, positive_spec

_BLOCK_ELEMENTS = 1 << 20


def _check_positive(spec: TravelSpec, field: str) -> float:
    return positive_spec(spec, field, "haversine")


def _lat_lon(locations: list[Location]) -> np.ndarray:
    coords = np.empty((len(locations), 2), dtype=float)
    for i, loc in enumerate(locations):
        if loc.lat is None or loc.lon is None:
            raise TravelError(f"travel.model haversine: location {i} ({loc}) has no lat/lon")
        try:
            lat, lon = float(loc.lat), float(loc.lon)
        except (TypeError, ValueError):
            raise TravelError(f"travel.model haversine: location {i} ({loc}) has a non-numeric lat/lon") from None
        if not (math.isfinite(lat) and math.isfinite(lon)) or not -90.0 <= lat <= 90.0:
            raise TravelError(f"travel.model haversine: location {i} ({loc}): lat {lat!r} must be in [-90, 90] "
                              f"and lon {lon!r} finite")
        coords[i] = (lat, lon)
    return coords


def great_circle_km(lat_lon_a: np.ndarray, lat_lon_b: np.ndarray) -> np.ndarray:
    """Great-circle km between every row of ``lat_lon_a`` (m, 2) and every row of ``lat_lon_b`` (n, 2).

    geopy's ``great_circle.measure`` formula, broadcast: returns an (m, n) float64 array.
    """
    a = np.radians(np.asarray(lat_lon_a, dtype=float).reshape(-1, 2))
    b = np.radians(np.asarray(lat_lon_b, dtype=float).reshape(-1, 2))
    sin_lat1, cos_lat1 = np.sin(a[:, 0])[:, None], np.cos(a[:, 0])[:, None]
    sin_lat2, cos_lat2 = np.sin(b[:, 0])[None, :], np.cos(b[:, 0])[None, :]
    delta_lng = b[:, 1][None, :] - a[:, 1][:, None]
    cos_delta, sin_delta = np.cos(delta_lng), np.sin(delta_lng)
    y = np.sqrt((cos_lat2 * sin_delta) ** 2 + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta) ** 2)
    x = sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta
    return EARTH_RADIUS * np.arctan2(y, x)


def haversine_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Road travel between lat/lon locations: geopy great-circle km x circuity at speed x speed_factor."""
    speed_kmh = _check_positive(spec, "speed_kmh")
    speed_factor = _check_positive(spec, "speed_factor")
    circuity = _check_positive(spec, "circuity")
    coords = _lat_lon(locations)
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
