"""A follow-up visit: work not finished on an earlier visit (docs/multiday.md)."""

from __future__ import annotations

from dataclasses import dataclass

FOLLOW_UP_MODES = ("require", "prefer")


@dataclass(frozen=True)
class FollowUp:
    """The job continues work ``person`` started. ``mode`` ``"require"``: only that person (any
    of its day copies) may take it (a hard rule, rules.follow_up_allows); ``"prefer"``: another
    person may, at the cost ``objective.other_technician_follow_up``. Its earliest start (the
    earlier visit + ``after_hours``) is the job's ``received_s``."""

    person: str
    mode: str = "prefer"
