"""Travel models: one matrix per problem, built once, int seconds."""

from __future__ import annotations

from .base import TravelMatrix as TravelMatrix, problem_locations as problem_locations


def build_travel_matrix(problem) -> TravelMatrix:
    """Build the problem's travel matrix with the model named in ``problem.travel.model``."""
    return matrix_for_locations(problem_locations(problem), problem.travel)


def matrix_for_locations(locations, spec) -> TravelMatrix:
    """The travel model named in ``spec.model`` over ``locations``, in this order."""
    from ..errors import TravelError

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


__all__ = ["TravelMatrix", "build_travel_matrix", "matrix_for_locations", "problem_locations"]
