"""Travel as data: how travel times are made (:class:`TravelSpec`) and the matrix they give
(:class:`TravelMatrix`). The builders live in :mod:`dispatchopt.travel`; this module imports
nothing from there."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .location import Location


@dataclass(frozen=True)
class TravelSpec:
    """How travel times are made (``travel:`` in the scenario)."""

    model: str = "haversine"          # haversine | euclidean | graph | matrix
    speed_kmh: float = 25.0
    circuity: float = 1.3
    graph: str | None = None          # path of a GraphML file (graph model), resolved
    matrix: str | None = None         # path of a from,to,minutes[,km] CSV (matrix model), resolved
    speed_factor: float = 1.0         # extension: < 1 slows every trip (rain, snow)
    closed_edges: tuple[tuple[str, str], ...] = ()  # extension: graph edges removed (road closures)
    dimacs: bool = False              # extension: euclidean distances truncated to 0.1 (Solomon)

    def __post_init__(self) -> None:
        if not isinstance(self.closed_edges, tuple):   # a list given: keep the spec hashable
            object.__setattr__(self, "closed_edges", tuple(tuple(p) if isinstance(p, list) else p
                                                           for p in self.closed_edges))


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Travel seconds (int) and metres between ``locations`` (deduplicated by ``Location.key``).

    ``seconds[i, j]`` / ``metres[i, j]``: from location i to location j (may be asymmetric).
    Look up a location's row with :meth:`index`. Compared and hashed by identity (it is derived
    data, built once per problem); its arrays are made read-only. ``_index`` may be given by a builder that already has it
    (the live matrix extension); read it through :attr:`index_map`.
    """

    locations: tuple[Location, ...]
    seconds: np.ndarray      # int64, shape (n, n), zero diagonal
    metres: np.ndarray       # float64, shape (n, n)
    _index: dict[tuple, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # derived data is read-only: a caller that needs other numbers makes its own array
        for array in (self.seconds, self.metres):
            if isinstance(array, np.ndarray) and array.flags.writeable:
                array.flags.writeable = False
        if not self._index:
            for i, loc in enumerate(self.locations):
                self._index.setdefault(loc.key(), i)

    @classmethod
    def with_index(cls, locations: tuple[Location, ...], seconds: np.ndarray, metres: np.ndarray,
                   index_map: dict[tuple, int]) -> "TravelMatrix":
        """A matrix whose ``Location.key()`` -> row map is already known (not recomputed)."""
        return cls(locations=tuple(locations), seconds=seconds, metres=metres, _index=index_map)

    @property
    def index_map(self) -> dict[tuple, int]:
        """``Location.key()`` -> row (read it, do not change it)."""
        return self._index

    def has(self, location: Location) -> bool:
        """Does the matrix hold a row for ``location``?"""
        return location.key() in self._index

    def index(self, location: Location) -> int:
        return self._index[location.key()]

    def travel_s(self, a: Location, b: Location) -> int:
        return int(self.seconds[self.index(a), self.index(b)])

    def distance_m(self, a: Location, b: Location) -> float:
        return float(self.metres[self.index(a), self.index(b)])
