"""Jobs (work orders)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .followup import FollowUp
from .frozen import frozen_map
from .location import Location


@dataclass(frozen=True)
class Window:
    """Appointment window (hard): service starts inside [start_s, end_s]."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class Job:
    id: str
    location: Location
    category: str
    skills: Mapping[str, int]       # skill -> minimum level; read-only
    duration_s: int
    received_s: int                 # no visit may start before this
    due_s: int                      # SLA deadline for the start of service (soft)
    window: Window | None = None
    crew_size: int = 1
    demand: int = 0
    pinned_to: tuple[str, ...] = ()  # dispatcher-locked technician(s); () = free
    dispatchable: bool = True       # False: never planned (e.g. awaiting prepayment)
    follow_up: FollowUp | None = None  # continues an earlier visit (docs/multiday.md)

    def __post_init__(self) -> None:
        # a dict given by the caller becomes a read-only mapping: the job is hashable
        object.__setattr__(self, "skills", frozen_map(self.skills))
        if not isinstance(self.pinned_to, tuple):
            object.__setattr__(self, "pinned_to", tuple(self.pinned_to))
