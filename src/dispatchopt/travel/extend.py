"""Growing a travel matrix by a few locations without rebuilding it (live re-plans).

For the closed-form models (haversine, euclidean) the new rows and columns are computed with
the builders' own formulas (:mod:`dispatchopt.travel.coords`), so an extended matrix holds the
same numbers as a full rebuild over the same locations in the same order. The graph and CSV
models have no closed form: :func:`extend_matrix` rebuilds them over the old locations, then
the new ones (old rows keep their indices).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..domain import Location, TravelMatrix, TravelSpec
from . import matrix_for_locations
from .base import positive_spec
from .coords import euclidean_distance, great_circle_km, lat_lon_array


def closed_form_km(spec: TravelSpec, old: Sequence[Location], new: Sequence[Location]
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """(road km old x new, road km new x new) with the model's formula (new x new symmetric,
    zero diagonal), or None when the model has no closed form (graph, matrix) or, for the
    euclidean model, a location has no x/y."""
    if spec.model == "haversine":
        circuity = positive_spec(spec, "circuity", "haversine")
        a = lat_lon_array(old, "haversine")
        b = lat_lon_array(new, "haversine")
        nn = np.triu(great_circle_km(b, b), 1)
        return great_circle_km(a, b) * circuity, (nn + nn.T) * circuity
    if spec.model == "euclidean":
        if any(loc.x is None or loc.y is None for loc in (*old, *new)):
            return None
        a = np.array([(float(loc.x), float(loc.y)) for loc in old], dtype=float).reshape(-1, 2)
        b = np.array([(float(loc.x), float(loc.y)) for loc in new], dtype=float).reshape(-1, 2)
        return (euclidean_distance(a, b, dimacs=spec.dimacs),
                euclidean_distance(b, b, dimacs=spec.dimacs))
    return None


def seconds_for_km(spec: TravelSpec, road_km: np.ndarray) -> np.ndarray:
    """Int travel seconds of road km for the closed-form models (haversine: km at
    ``speed_kmh``; euclidean: distance units at ``speed_kmh`` units per minute), x speed_factor."""
    speed = spec.speed_kmh * spec.speed_factor
    if spec.model == "haversine":
        return np.rint(road_km / speed * 3600.0).astype(np.int64)
    return np.rint(road_km / speed * 60).astype(np.int64)


def extend_matrix(spec: TravelSpec, matrix: TravelMatrix, new: Sequence[Location]) -> TravelMatrix:
    """``matrix`` plus rows and columns for ``new`` (locations it does not hold yet), in a new
    matrix (``matrix`` is not changed); old rows keep their indices."""
    new = [loc for loc in dict.fromkeys(new) if not matrix.has(loc)]
    if not new:
        return matrix
    blocks = closed_form_km(spec, matrix.locations, new)
    if blocks is None:
        return matrix_for_locations(list(matrix.locations) + new, spec)
    on_km, nn_km = blocks
    n, k = len(matrix.locations), len(new)
    seconds = np.zeros((n + k, n + k), dtype=np.int64)
    metres = np.zeros((n + k, n + k), dtype=np.float64)
    seconds[:n, :n], metres[:n, :n] = matrix.seconds, matrix.metres
    on_s, nn_s = seconds_for_km(spec, on_km), seconds_for_km(spec, nn_km)
    seconds[:n, n:], seconds[n:, :n], seconds[n:, n:] = on_s, on_s.T, nn_s
    metres[:n, n:], metres[n:, :n], metres[n:, n:] = on_km * 1000.0, (on_km * 1000.0).T, nn_km * 1000.0
    index = dict(matrix.index_map)
    for i, loc in enumerate(new):
        index.setdefault(loc.key(), n + i)
    return TravelMatrix.with_index(matrix.locations + tuple(new), seconds, metres, index)
