"""Euclidean travel: coordinates x, y; minutes = distance / speed (speed 1 = Solomon convention).

Distances are taken as kilometres for the plan's ``distance_km``. With ``dimacs`` set, every
distance is truncated to one decimal first (the DIMACS convention for Solomon instances).
"""

from __future__ import annotations

import numpy as np

from ..errors import TravelError
from .base import TravelMatrix


def euclidean_matrix(locations, spec) -> TravelMatrix:
    coords = []
    for loc in locations:
        if loc.x is None or loc.y is None:
            raise TravelError(f"travel.model euclidean: location {loc} has no x/y coordinates")
        coords.append((loc.x, loc.y))
    xy = np.asarray(coords, dtype=float).reshape(-1, 2)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))
    if spec.dimacs:
        dist = np.floor(dist * 10 + 1e-9) / 10
    minutes = dist / (spec.speed_kmh * spec.speed_factor)
    seconds = np.rint(minutes * 60).astype(np.int64)
    return TravelMatrix(locations=tuple(locations), seconds=seconds, metres=dist * 1000.0)
