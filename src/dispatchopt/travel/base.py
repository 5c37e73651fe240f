"""The travel matrix every solver and the verifier read: built once per problem."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..domain import Location


@dataclass(frozen=True)
class TravelMatrix:
    """Travel seconds (int) and metres between ``locations`` (deduplicated by ``Location.key``).

    ``seconds[i, j]`` / ``metres[i, j]``: from location i to location j (may be asymmetric).
    Look up a location's row with :meth:`index`.
    """

    locations: tuple[Location, ...]
    seconds: np.ndarray      # int64, shape (n, n), zero diagonal
    metres: np.ndarray       # float64, shape (n, n)
    _index: dict[tuple, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._index:
            for i, loc in enumerate(self.locations):
                self._index.setdefault(loc.key(), i)

    def index(self, location: Location) -> int:
        return self._index[location.key()]

    def travel_s(self, a: Location, b: Location) -> int:
        return int(self.seconds[self.index(a), self.index(b)])

    def distance_m(self, a: Location, b: Location) -> float:
        return float(self.metres[self.index(a), self.index(b)])


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
