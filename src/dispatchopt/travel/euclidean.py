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

import math

import numpy as np

from ..domain import Location
from ..domain.problem import TravelSpec
from ..errors import TravelError
from .base import TravelMatrix, positive_spec


def _positive_spec(spec: TravelSpec, field: str) -> float:
    return positive_spec(spec, field, "euclidean")


def euclidean_matrix(locations: list[Location], spec: TravelSpec) -> TravelMatrix:
    """Straight-line travel between x/y locations (see the module doc)."""
    speed = _positive_spec(spec, "speed_kmh") * _positive_spec(spec, "speed_factor")
    coords = np.empty((len(locations), 2), dtype=float)
    for i, loc in enumerate(locations):
        if loc.x is None or loc.y is None:
            raise TravelError(f"travel.model euclidean: location {i} ({loc}) has no x/y coordinates")
        try:
            coords[i] = (float(loc.x), float(loc.y))
        except (TypeError, ValueError):
            raise TravelError(f"travel.model euclidean: location {i} ({loc}) has non-numeric x/y") from None
        if not np.isfinite(coords[i]).all():
            raise TravelError(f"travel.model euclidean: location {i} ({loc}) has non-finite x/y")
    dist = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1))
    if spec.dimacs:
        dist = np.floor(dist * 10 + 1e-9) / 10
    minutes = dist / speed
    seconds = np.rint(minutes * 60).astype(np.int64)
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=dist * 1000.0)
