"""Coordinates of locations and the distance formulas of the closed-form travel models.

The one home of great-circle kilometres (geopy's formula, vectorised) and of reading lat/lon
or x/y out of :class:`~dispatchopt.domain.Location` values, used by the haversine, euclidean
and graph builders and by the live matrix extension (:mod:`dispatchopt.travel.extend`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from geopy.distance import EARTH_RADIUS

from ..domain import Location
from ..errors import TravelError


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


def lat_lon_array(locations: Sequence[Location], model: str = "haversine") -> np.ndarray:
    """(n, 2) float degrees of ``locations``; a TravelError names the location that has no
    lat/lon, a non-numeric one, or a latitude outside [-90, 90]."""
    coords = np.empty((len(locations), 2), dtype=float)
    for i, loc in enumerate(locations):
        if loc.lat is None or loc.lon is None:
            raise TravelError(f"travel.model {model}: location {i} ({loc}) has no lat/lon")
        try:
            lat, lon = float(loc.lat), float(loc.lon)
        except (TypeError, ValueError):
            raise TravelError(f"travel.model {model}: location {i} ({loc}) has a non-numeric lat/lon") from None
        if not (math.isfinite(lat) and math.isfinite(lon)) or not -90.0 <= lat <= 90.0:
            raise TravelError(f"travel.model {model}: location {i} ({loc}): lat {lat!r} must be in [-90, 90] "
                              f"and lon {lon!r} finite")
        coords[i] = (lat, lon)
    return coords


def xy_array(locations: Sequence[Location], model: str = "euclidean") -> np.ndarray:
    """(n, 2) float x/y of ``locations``; a TravelError names the location without finite x/y."""
    coords = np.empty((len(locations), 2), dtype=float)
    for i, loc in enumerate(locations):
        if loc.x is None or loc.y is None:
            raise TravelError(f"travel.model {model}: location {i} ({loc}) has no x/y coordinates")
        try:
            coords[i] = (float(loc.x), float(loc.y))
        except (TypeError, ValueError):
            raise TravelError(f"travel.model {model}: location {i} ({loc}) has non-numeric x/y") from None
        if not np.isfinite(coords[i]).all():
            raise TravelError(f"travel.model {model}: location {i} ({loc}) has non-finite x/y")
    return coords


def euclidean_distance(xy_a: np.ndarray, xy_b: np.ndarray, *, dimacs: bool = False) -> np.ndarray:
    """Straight-line distance between every row of ``xy_a`` (m, 2) and of ``xy_b`` (n, 2);
    with ``dimacs`` truncated to one decimal (a tiny epsilon keeps 2.9999999999 at 3.0)."""
    a = np.asarray(xy_a, dtype=float).reshape(-1, 2)
    b = np.asarray(xy_b, dtype=float).reshape(-1, 2)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    if dimacs:
        dist = np.floor(dist * 10 + 1e-9) / 10
    return dist
