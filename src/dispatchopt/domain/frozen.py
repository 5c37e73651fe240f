"""A read-only, hashable mapping for the dict-shaped fields of the frozen domain objects.

``Technician.skills``, ``Job.skills``, ``Problem.sla``... are :class:`FrozenMap` values: they
read like a dict (``m[k]``, ``m.get(k, 0)``, ``k in m``, ``m.items()``, ``dict(m)``, ``{**m}``),
compare equal to a dict with the same items, and cannot be changed, so the objects holding
them are really immutable and hashable. The domain classes convert a plain dict given to
them, so callers keep passing dicts.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """An immutable mapping; hashable when its values are (its hash is computed once)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None, /) -> None:
        self._data: dict[K, V] = dict(data) if data else {}
        self._hash: int | None = None

    # -- reading (delegated to the dict: as fast as a dict on the hot paths) --------------------
    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    # -- identity ------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self):
        return (FrozenMap, (self._data,))


def frozen_map(value: Mapping | None) -> FrozenMap:
    """``value`` as a :class:`FrozenMap` (itself when it already is one)."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value)
