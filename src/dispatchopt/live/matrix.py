"""The travel matrix of a live session, carried from one Problem to the next and extended.

``Problem.replace`` drops the cached travel matrix; rebuilding it costs 0.3-0.5 s at city scale,
far beyond the live latency budget. The live package therefore carries the matrix from one
Problem to the next (:func:`carry_matrix`): the same model over a superset of the locations
(rows are looked up by location key, so extra rows are harmless). A new location is added as
one row and column, computed with the model's own formula for the haversine and euclidean
models (:func:`extend_matrix`; identical to a full rebuild, see the tests), by a full rebuild for
the graph and CSV-matrix models.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ..domain import Location, Problem, TravelMatrix
from ..travel import attach_matrix, matrix_of
from ..travel.extend import closed_form_km, extend_matrix as rebuilt_with, seconds_for_km

log = logging.getLogger("dispatchopt")


class MatrixBuffer:
    """Spare-capacity storage behind the carried travel matrices of one dispatch session.

    ``extend`` writes new rows in place when the matrix being extended is the newest one (the
    common, linear case) and copies otherwise (a state extended twice, as in tests), so an older
    matrix never sees its values change.
    """

    __slots__ = ("seconds", "metres", "used")

    def __init__(self, matrix: TravelMatrix, spare: int = 64) -> None:
        n = len(matrix.locations)
        cap = n + spare
        self.seconds = np.zeros((cap, cap), dtype=np.int64)
        self.metres = np.zeros((cap, cap), dtype=np.float64)
        self.seconds[:n, :n] = matrix.seconds
        self.metres[:n, :n] = matrix.metres
        self.used = n

    def view(self, locations: tuple[Location, ...], index: dict[tuple, int]) -> TravelMatrix:
        n = len(locations)
        return TravelMatrix.with_index(locations, self.seconds[:n, :n], self.metres[:n, :n], index)


def extend_matrix(problem: Problem, matrix: TravelMatrix, new: Sequence[Location],
                  buffer: MatrixBuffer | None) -> tuple[TravelMatrix, MatrixBuffer | None]:
    """``matrix`` plus rows and columns for the ``new`` locations (keys not in it yet), computed
    with the travel model's own formulas (:func:`dispatchopt.travel.extend.closed_form_km`,
    :func:`~dispatchopt.travel.extend.seconds_for_km`) into the spare rows of ``buffer``."""
    spec = problem.travel
    blocks = closed_form_km(spec, matrix.locations, new)
    if blocks is None:
        log.info("live: travel model %s has no closed formula; rebuilding the travel matrix",
                 spec.model)
        # the old locations keep their rows (states hold row indices): old ones first, then new
        return rebuilt_with(spec, matrix, new), None
    on_km, nn_km = blocks
    n, k = len(matrix.locations), len(new)
    if buffer is None or buffer.used != n or buffer.seconds.shape[0] < n + k:
        buffer = MatrixBuffer(matrix, spare=max(64, n // 16, 2 * k))
    s, m = buffer.seconds, buffer.metres
    on_s, nn_s = seconds_for_km(spec, on_km), seconds_for_km(spec, nn_km)
    s[:n, n:n + k] = on_s
    s[n:n + k, :n] = on_s.T
    s[n:n + k, n:n + k] = nn_s
    m[:n, n:n + k] = on_km * 1000.0
    m[n:n + k, :n] = (on_km * 1000.0).T
    m[n:n + k, n:n + k] = nn_km * 1000.0
    buffer.used = n + k
    index = dict(matrix.index_map)
    for i, loc in enumerate(new):
        index.setdefault(loc.key(), n + i)
    return buffer.view(matrix.locations + tuple(new), index), buffer


def carry_matrix(old: Problem, new: Problem, buffer: MatrixBuffer | None = None
                 ) -> tuple[Problem, MatrixBuffer | None]:
    """Give ``new`` the travel matrix of ``old`` (extended with any location ``new`` adds).

    ``old``'s matrix is built if it was not yet. The matrix is attached to ``new``
    (:func:`dispatchopt.travel.attach_matrix`): ``matrix_of(new)`` returns it from then on.
    """
    matrix = matrix_of(old)
    missing: dict[tuple, Location] = {}
    index = matrix.index_map
    for tech in new.technicians:
        for loc in (tech.start, tech.end):
            if loc.key() not in index:
                missing.setdefault(loc.key(), loc)
    for job in new.jobs:
        if job.location.key() not in index:
            missing.setdefault(job.location.key(), job.location)
    if missing:
        matrix, buffer = extend_matrix(new, matrix, list(missing.values()), buffer)
    return attach_matrix(new, matrix), buffer

