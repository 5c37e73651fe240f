"""The exception tree of dispatchopt.

Every error raised by the library derives from :class:`DispatchOptError`; each also inherits
the matching built-in, so ``except ValueError`` keeps working for callers who do not know us.
A solver outcome (infeasible, partial, timed out) is never an exception: it is a status on the
result, and every unassigned job carries a reason.
"""

from __future__ import annotations


class DispatchOptError(Exception):
    """Root of every dispatchopt error."""


class ScenarioError(DispatchOptError, ValueError):
    """A scenario (file or object) breaks the input contract.

    The message names where (file, field, id) and what (the value found, what was expected),
    e.g. ``scenarios/north.yaml: jobs[3] (id 'J017').window: start 11:00 is after end 09:00``.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None,
                 item_id: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.source = source
        self.field = field
        self.item_id = item_id
        self.value = value


class PlanFormatError(DispatchOptError, ValueError):
    """A plan file does not follow the plan contract (unknown job, bad time, missing key)."""


class TravelError(DispatchOptError, ValueError):
    """A travel model cannot give a time between two locations (missing matrix row, no road)."""


class SolverError(DispatchOptError, RuntimeError):
    """A solver backend failed in a way that is a bug or a broken installation, not an outcome."""


class EventError(DispatchOptError, ValueError):
    """A live event does not fit the dispatch state (unknown job, time before 'now', ...)."""


class ParameterError(DispatchOptError, ValueError):
    """A call's option is invalid or cannot be honoured by the chosen backend (names it and the value)."""
