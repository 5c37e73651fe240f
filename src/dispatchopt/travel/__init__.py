"""Travel models: one matrix per problem, built once, int seconds.

``matrix_of(problem)`` is the problem's matrix (built on first use and kept in the problem's
derived-data cache); ``attach_matrix(problem, matrix)`` gives a problem a ready matrix (a live
re-plan's extended one). The data classes (:class:`~dispatchopt.domain.TravelSpec`,
:class:`~dispatchopt.domain.TravelMatrix`) live in the domain.
"""

from __future__ import annotations

from ..domain import Problem, TravelSpec
from ..domain.problem import derived
from ..errors import TravelError
from .base import TravelMatrix as TravelMatrix, problem_locations as problem_locations

MATRIX_KEY = "travel_matrix"
"""The key of the travel matrix in the problem's derived-data cache."""


def build_travel_matrix(problem: Problem) -> TravelMatrix:
    """Build the problem's travel matrix with the model named in ``problem.travel.model``
    (a new one each call: use :func:`matrix_of` for the problem's own)."""
    return matrix_for_locations(problem_locations(problem), problem.travel)


def matrix_of(problem: Problem) -> TravelMatrix:
    """The one travel matrix of ``problem``: built on first use, then kept with the problem."""
    return derived(problem, MATRIX_KEY, build_travel_matrix)


def attach_matrix(problem: Problem, matrix: TravelMatrix) -> Problem:
    """Give ``problem`` a ready travel matrix (e.g. a live re-plan's extended one) and return it.

    ``matrix`` must hold a row for every location of the problem (it may hold more, and in any
    order) and come from the problem's travel model; a missing location is a
    :class:`TravelError` naming it. From then on :func:`matrix_of` returns ``matrix``.
    """
    index = matrix.index_map
    for tech in problem.technicians:
        if tech.start.key() not in index or tech.end.key() not in index:
            where, loc = ((f"technician {tech.id!r} start", tech.start) if tech.start.key() not in index
                          else (f"technician {tech.id!r} end", tech.end))
            raise TravelError(f"attach_matrix: the matrix has no row for {where} ({loc})")
    for job in problem.jobs:
        if job.location.key() not in index:
            raise TravelError(f"attach_matrix: the matrix has no row for job {job.id!r} location ({job.location})")
    derived(problem, MATRIX_KEY, lambda _p: matrix, refresh=True)
    return problem


def matrix_for_locations(locations, spec: TravelSpec) -> TravelMatrix:
    """The travel model named in ``spec.model`` over ``locations``, in this order."""
    model = spec.model
    if model == "euclidean":
        from .euclidean import euclidean_matrix

        return euclidean_matrix(locations, spec)
    if model == "haversine":
        from .haversine import haversine_matrix

        return haversine_matrix(locations, spec)
    if model == "graph":
        from .graph import graph_matrix

        return graph_matrix(locations, spec)
    if model == "matrix":
        from .matrix import csv_matrix

        return csv_matrix(locations, spec)
    raise TravelError(f"travel.model: unknown model {model!r} (expected haversine, euclidean, graph or matrix)")


__all__ = ["MATRIX_KEY", "TravelMatrix", "attach_matrix", "build_travel_matrix", "matrix_for_locations",
           "matrix_of", "problem_locations"]
