"""A search that stops on request: the ``stop`` callable of :func:`dispatchopt.solvers.solve`.

``stop`` is a function of no argument (e.g. ``threading.Event().is_set``) that a caller turns
true to have the search hand back the best plan it has found so far (Ctrl-C in the command
line). Every phase checks it where it already checks its deadline.

The phases check their deadline as ``time.perf_counter() > deadline`` in many places (the
construction's insertion loops among them). :func:`deadline_with` gives them a deadline that has
also passed once ``stop()`` is true, so that every one of those checks honours ``stop`` with no
second test beside it: :class:`Deadline` is a ``float`` (the ``time.perf_counter()`` value, or
infinity) whose comparisons with a plain float first ask ``stop()``. Arithmetic on it (``deadline
- now``) gives a plain float, the time left on the clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Stop = Callable[[], bool]


class Deadline(float):
    """A ``time.perf_counter()`` deadline that has passed when the clock reaches it or when
    ``stop()`` is true. Compare it with the clock as any float deadline (``now > deadline``:
    passed, ``now < deadline``: time left); Python asks this subclass's reflected comparison
    first, so ``stop`` is consulted on every check."""

    stop: Stop

    def __new__(cls, at: float, stop: Stop) -> "Deadline":
        self = super().__new__(cls, at)
        self.stop = stop
        return self

    # ``now > self`` calls ``self.__lt__(now)``, ``now >= self`` ``self.__le__(now)``, and so on.
    def __lt__(self, other: object) -> bool:
        return bool(self.stop()) or float.__lt__(self, other)

    def __le__(self, other: object) -> bool:
        return bool(self.stop()) or float.__le__(self, other)

    def __gt__(self, other: object) -> bool:
        return not self.stop() and float.__gt__(self, other)

    def __ge__(self, other: object) -> bool:
        return not self.stop() and float.__ge__(self, other)

    __hash__ = float.__hash__

    def __reduce__(self):                 # pickles (to a worker process) as the plain clock value
        return (float, (float(self),))


def deadline_with(at: float | None, stop: Stop | None) -> float | None:
    """``at`` (a ``time.perf_counter()`` value, or None for no deadline) that has also passed once
    ``stop()`` is true; ``at`` itself when there is no ``stop``."""
    if stop is None:
        return at
    return Deadline(math.inf if at is None else float(at), stop)


def stopped(stop: Stop | None) -> bool:
    """Whether ``stop`` (may be None) asks the search to end now."""
    return stop is not None and bool(stop())


__all__ = ["Deadline", "Stop", "deadline_with", "stopped"]
