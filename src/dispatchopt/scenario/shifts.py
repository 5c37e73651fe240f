"""A technician's shifts and breaks, read from scenario data (part of :mod:`.load`'s validator).

Clock times in a ``shift`` read as a day's work: an end earlier than the start is on the next day
when it is in the morning (at or before ``OVERNIGHT_END_BY``: a night shift 22:00 -> 06:00, a 24 h
rota 07:00 -> 06:45); an earlier end later in the day (17:30 -> 17:00) is refused as a mistake
(such a shift is written with a full date-time end). A shift lasts at most 24 hours, the shifts
of a list read in order and never overlap. A break's clock times are taken at or after the first
shift start; a break lies inside the shifts' span and is not longer than it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..domain import BreakRule, Clock, Shift
from ..domain.time import MINUTE
from .fields import (MAX_MINUTES, MAX_SHIFT_S, At, as_written, check_list, check_mapping,
                     check_number, is_clock_time, minutes_to_s, parse_instant, show)

__all__ = ["BREAK_KEYS", "OVERNIGHT_END_BY", "SHIFT_KEYS", "read_breaks", "read_shifts"]

SHIFT_KEYS = ("start", "end")
BREAK_KEYS = ("earliest", "latest", "minutes")
OVERNIGHT_END_BY = "12:00"      # a clock-time shift end read on the next day is in the morning


def read_shifts(raw: object, at: At, clock: Clock) -> tuple[Shift, ...]:
    if isinstance(raw, Mapping):
        items, ats = [raw], [at]
    elif isinstance(raw, (list, tuple)):
        items, ats = list(raw), [at.child(i) for i in range(len(raw))]
        if not items:
            raise at.error("expected at least one shift, found an empty list", raw)
    else:
        raise at.error(f"expected a shift {{start, end}} or a list of shifts, found {show(raw)}", raw)
    shifts: list[Shift] = []
    previous_end: int | None = None
    for item, shift_at in zip(items, ats):
        item = check_mapping(item, shift_at, SHIFT_KEYS, required=SHIFT_KEYS)
        start = parse_instant(item["start"], shift_at.child("start"), clock, not_before_s=previous_end)
        end = parse_instant(item["end"], shift_at.child("end"), clock, not_before_s=start)
        _check_length(item, shift_at, clock, start, end)
        if end < start:
            raise shift_at.error(f"start {as_written(item['start'])} is after end {as_written(item['end'])}",
                                 item["start"])
        if end == start:
            raise shift_at.error(f"start {as_written(item['start'])} equals end {as_written(item['end'])}: "
                                 f"the shift is empty (write a 24-hour shift with full date-times)",
                                 item["end"])
        if previous_end is not None and start < previous_end:
            raise shift_at.error(f"start {as_written(item['start'])} overlaps the previous shift "
                                 f"(ending {clock.to_iso(previous_end)})", item["start"])
        shifts.append(Shift(start, end))
        previous_end = end
    return tuple(shifts)


def _check_length(item: Mapping, at: At, clock: Clock, start: int, end: int) -> None:
    """A shift lasts at most 24 hours; a clock-time end moved to the next day is in the morning.

    An end clock time earlier than the start is on the next day when it is at or before
    ``OVERNIGHT_END_BY``: a night shift (22:00 -> 06:00) or a 24-hour rota handing over in the
    morning (07:00 -> 06:45). An earlier end later in the day (17:30 -> 17:00) is taken for a
    mistake and refused; such a shift is written with a full date-time end.
    """
    end_text = str(item["end"]).strip().zfill(5)
    if is_clock_time(end_text) and OVERNIGHT_END_BY < end_text < "24:00" and end > start:
        if clock.to_datetime(end).date() > clock.to_datetime(start).date():   # over midnight
            raise at.error(
                f"end {as_written(item['end'])} is before start {as_written(item['start'])} (read over "
                f"midnight: a {(end - start) / 3600:g}-hour shift); a clock-time end crosses midnight "
                f"only when it is at or before {OVERNIGHT_END_BY} (a night shift 22:00 to 06:00): "
                f"write this one's end as a full date-time", item["end"])
    if end - start > MAX_SHIFT_S:
        raise at.error(f"start {as_written(item['start'])} to end {as_written(item['end'])} is a "
                       f"{(end - start) / 3600:g}-hour shift; a shift lasts at most "
                       f"{MAX_SHIFT_S // 3600} hours (give several shifts)", item["end"])


def read_breaks(raw: object, at: At, clock: Clock, shifts: tuple[Shift, ...]) -> tuple[BreakRule, ...]:
    if raw is None:
        return ()
    first, last = shifts[0].start_s, shifts[-1].end_s
    rules = []
    for i, item in enumerate(check_list(raw, at, "breaks {earliest, latest, minutes}")):
        b_at = at.child(i)
        item = check_mapping(item, b_at, BREAK_KEYS, required=BREAK_KEYS)
        earliest = parse_instant(item["earliest"], b_at.child("earliest"), clock, not_before_s=first)
        latest = parse_instant(item["latest"], b_at.child("latest"), clock, not_before_s=first)
        minutes = check_number(item["minutes"], b_at.child("minutes"), minimum=0, bounds=(0, MAX_MINUTES))
        if earliest > latest:
            raise b_at.error(f"earliest {as_written(item['earliest'])} is after latest "
                             f"{as_written(item['latest'])}", item["earliest"])
        duration_s = minutes_to_s(minutes)
        if duration_s > last - first:
            raise b_at.child("minutes").error(
                f"a break of {minutes:g} minutes is longer than the shift ({clock.to_iso(first)} to "
                f"{clock.to_iso(last)}, {(last - first) / MINUTE:g} minutes)", minutes)
        if earliest < first or latest > last:
            raise b_at.error(f"earliest {as_written(item['earliest'])} to latest "
                             f"{as_written(item['latest'])} lies outside the shift ({clock.to_iso(first)} to {clock.to_iso(last)})",
                             item["earliest"])
        rules.append(BreakRule(earliest, latest, duration_s))
    return tuple(rules)
