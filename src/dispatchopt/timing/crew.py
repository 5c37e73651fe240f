"""The one crew pick: which k technicians form a crew job's crew (greedy, construction, live)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any


def pick_crew(starts: Mapping[str, int], *, leads: Collection[str], pins: Sequence[str], k: int,
              trainees: Collection[str] = (),
              tiebreak: Callable[[str], Any] | None = None) -> list[str] | None:
    """k technicians minimising the latest of their earliest starts, or None when none can be
    formed from those available.

    ``starts`` maps each available technician to its earliest start for the job. The crew is
    every pinned technician, the earliest lead when no pin may lead, then the earliest others;
    on an equal start a trainee comes first (it can do nothing else), then ``tiebreak(tid)``
    (default the id). None when a pin is not available, or no lead is, or fewer than k are.
    """
    if any(pin not in starts for pin in pins):
        return None
    trainee = set(trainees)

    def key(tid: str) -> tuple:
        return (starts[tid], tid not in trainee, tiebreak(tid) if tiebreak is not None else tid)

    crew = list(pins)
    if not any(tid in leads for tid in crew):
        options = sorted((tid for tid in starts if tid in leads and tid not in crew), key=key)
        if not options or len(crew) >= k:
            return None
        crew.append(options[0])
    chosen = set(crew)
    for tid in sorted((tid for tid in starts if tid not in chosen), key=key):
        if len(crew) >= k:
            break
        crew.append(tid)
    return crew if len(crew) == k else None
