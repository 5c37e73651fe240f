"""Technicians: skills with levels, certificates, shifts, breaks, depots and limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from .frozen import FrozenMap, frozen_map
from .location import Location


@dataclass(frozen=True)
class Shift:
    """A working interval in seconds on the problem clock (may cross midnight)."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class BreakRule:
    """A floating break: owed when the last visit ends after ``latest_s``; it then starts in
    [``earliest_s``, ``latest_s``] and lasts ``duration_s``."""

    earliest_s: int
    latest_s: int
    duration_s: int


@dataclass(frozen=True)
class Technician:
    id: str
    skills: Mapping[str, int]                   # skill -> level (>= 1); read-only
    shifts: tuple[Shift, ...]                   # sorted, non-overlapping, at least one
    start: Location
    end: Location
    certificates: Mapping[str, dt.date] = field(default_factory=FrozenMap)  # skill -> last valid day
    breaks: tuple[BreakRule, ...] = ()
    max_jobs: int | None = None                 # None = no limit
    max_work_s: int | None = None               # service + travel seconds; None = no limit
    capacity: int = 0                           # 0 = no capacity limit
    trainee: bool = False
    max_overtime_s: int = 0                     # extension: the last shift may run this much over (soft)
    # multi-day horizon (docs/multiday.md): one Technician per person per working day
    person: str | None = None                   # the person this is a day copy of; None = one-day tech
    day: dt.date | None = None                  # the local working day of the copy (certificates judged on it)
    history_s: int = 0                          # the person's worked seconds before the horizon (balance)

    def __post_init__(self) -> None:
        # dicts given by callers become read-only mappings: the technician is hashable
        object.__setattr__(self, "skills", frozen_map(self.skills))
        object.__setattr__(self, "certificates", frozen_map(self.certificates))
        if not isinstance(self.shifts, tuple):
            object.__setattr__(self, "shifts", tuple(self.shifts))
        if not isinstance(self.breaks, tuple):
            object.__setattr__(self, "breaks", tuple(self.breaks))

    @property
    def person_id(self) -> str:
        """The person this technician is: ``person`` for a day copy, else its own id."""
        return self.person if self.person is not None else self.id

    @property
    def shift_start_s(self) -> int:
        return self.shifts[0].start_s

    @property
    def shift_end_s(self) -> int:
        return self.shifts[-1].end_s
