"""Shared pieces of the travel builders: a problem's distinct locations and spec checks.

:class:`TravelMatrix` (data) lives in :mod:`dispatchopt.domain.travel`; it is re-exported here.
"""

from __future__ import annotations

from ..domain import Location, TravelMatrix as TravelMatrix


def problem_locations(problem) -> list[Location]:
    """Every distinct location of a problem: technician starts, ends, then jobs, in order."""
    seen: dict[tuple, Location] = {}
    for tech in problem.technicians:
        seen.setdefault(tech.start.key(), tech.start)
        seen.setdefault(tech.end.key(), tech.end)
    for job in problem.jobs:
        seen.setdefault(job.location.key(), job.location)
    return list(seen.values())


def positive_spec(spec, field: str, model: str) -> float:
    """``spec.<field>`` as a positive finite float, else a TravelError naming field, model, value."""
    import math

    from ..errors import TravelError

    value = getattr(spec, field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise TravelError(f"travel.{field}: must be a positive number for model {model}, got {value!r}")
    return number
