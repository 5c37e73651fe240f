"""The multi-day horizon: a technician's weekly shift pattern expanded into one day copy per
working day, and follow-up visits (docs/multiday.md; part of :mod:`.load`'s validator).

A technician with ``shifts:`` (a weekly pattern, e.g. ``{mon-fri: ["08:30-12:00",
"13:30-17:30"], sat: ["09:00-13:00"]}``), optional dated ``shift_overrides:`` (``{2026-12-04:
["10:00-14:00"]}``, an empty list = off) and ``days_off:`` becomes one
:class:`~dispatchopt.domain.Technician` per working day of the horizon (the local dates from
``start`` to ``end``): id ``<id>@<YYYY-MM-DD>``, ``person`` = the technician's id, ``day`` = the
date, that day's shifts, its breaks (clock times, taken on that day) and the per-day limits
(``max_jobs``, ``max_work_minutes``, ``max_overtime_minutes``). The copies of one person never
overlap in time (checked here, overtime included), so a person is never in two places and every
backend, the verifier, the KPIs and the live engine plan ordinary technicians.

A technician written with ``shift:`` (contract v1) is read exactly as before: one technician.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from ..domain import Clock, Shift, Technician
from ..domain.followup import FOLLOW_UP_MODES, FollowUp
from ..domain.time import HOUR
from .fields import (MAX_MINUTES, At, brief, check_id, check_list, check_mapping, check_number,
                     parse_date, parse_instant, show)
from .shifts import OVERNIGHT_END_BY, read_shifts

__all__ = ["FOLLOW_UP_KEYS", "WEEKDAYS", "copy_id", "horizon_dates", "is_multi_day_data",
           "read_follow_up", "resolve_person", "tech_days"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FOLLOW_UP_KEYS = ("technician", "after", "after_hours", "same_technician")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def copy_id(person: str, day: dt.date) -> str:
    """The id of ``person``'s day copy on ``day``: ``T01@2026-12-03``."""
    return f"{person}@{day.isoformat()}"


def is_multi_day_data(raw_techs: object) -> bool:
    """Does any technician entry use the multi-day keys (a weekly ``shifts`` pattern)?"""
    return isinstance(raw_techs, (list, tuple)) and any(
        isinstance(t, Mapping) and t.get("shifts") is not None for t in raw_techs)


def horizon_dates(clock: Clock, end_s: int) -> list[dt.date]:
    """The local calendar dates of the horizon: the plan day up to the date of its last second."""
    first, last = clock.plan_day, clock.to_datetime(max(0, end_s - 1)).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# -- the weekly pattern -----------------------------------------------------------------------------
def _weekdays(key: object, at: At) -> list[int]:
    """Weekday numbers (Monday 0) of a pattern key: ``mon``, ``mon-fri``, ``sat,sun``, ``daily``."""
    if not isinstance(key, str) or not key.strip():
        raise at.error(f"expected a weekday key like mon, mon-fri or sat,sun, found {show(key)}", key)
    if key.strip().lower() == "daily":
        return list(range(7))
    days: list[int] = []
    for part in key.lower().split(","):
        ends = [p.strip() for p in part.split("-")]
        bad = [p for p in ends if p not in WEEKDAYS]
        if bad or len(ends) > 2:
            raise at.error(f"unknown weekday {brief(bad[0] if bad else part)} in {brief(key)} (expected "
                           f"{', '.join(WEEKDAYS)}, a range like mon-fri, or daily)", key)
        lo, hi = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        if hi < lo:
            raise at.error(f"weekday range {brief(part)} runs backwards (write e.g. mon-fri)", key)
        days += range(lo, hi + 1)
    return days


def _spans(raw: object, at: At) -> list[tuple[int, int]]:
    """(start, end) minutes of the day of a list of ``"HH:MM-HH:MM"`` spans (end may be next day)."""
    items = [raw] if isinstance(raw, str) else check_list(raw, at, 'shift spans like "08:30-12:00"')
    spans = []
    for i, item in enumerate(items):
        item_at = at if isinstance(raw, str) else at.child(i)
        match = _SPAN.match(item) if isinstance(item, str) else None
        if match is None:
            raise item_at.error(f'expected a shift span like "08:30-12:00", found {show(item)}', item)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or (h2, m2) > (24, 0) or m2 > 59:
            raise item_at.error(f"bad clock time in {brief(item)} (expected HH:MM from 00:00 to 24:00)", item)
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            if f"{h2:02d}:{m2:02d}" > OVERNIGHT_END_BY:
                raise item_at.error(f"span {brief(item)} ends before it starts; an end crosses midnight "
                                    f"only when it is at or before {OVERNIGHT_END_BY} (22:00-06:00)", item)
            end += 1440
        spans.append((start, end))
    return spans


def _pattern(raw: object, at: At) -> dict[int, list[tuple[int, int]]]:
    if not isinstance(raw, Mapping) or not raw:
        raise at.error(f'expected a weekly pattern like {{mon-fri: ["08:30-12:00", "13:30-17:30"]}}, '
                       f"found {show(raw)}", raw)
    by_day: dict[int, list[tuple[int, int]]] = {}
    for key, value in raw.items():
        key_at = at.key(key)
        spans = _spans(value, key_at)
        for day in _weekdays(key, key_at):
            if day in by_day:
                raise key_at.error(f"{WEEKDAYS[day]} is given twice in the weekly pattern", key)
            by_day[day] = spans
    return by_day


def _overrides(raw: object, at: At) -> dict[dt.date, list[tuple[int, int]]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise at.error(f'expected a mapping date -> shift spans like {{2026-12-04: ["10:00-14:00"]}}, '
                       f"found {show(raw)}", raw)
    out: dict[dt.date, list[tuple[int, int]]] = {}
    for key, value in raw.items():
        key_at = at.key(key)
        day = parse_date(key, key_at)
        if day in out:
            raise key_at.error(f"date {day.isoformat()} is given twice", key)
        out[day] = [] if value is None else _spans(value, key_at)
    return out


def _day_shifts(spans: list[tuple[int, int]], day: dt.date, at: At, clock: Clock) -> tuple[Shift, ...]:
    """The shifts of ``spans`` on ``day`` (read by scenario.shifts: order, overlaps, length)."""
    midnight = dt.datetime.combine(day, dt.time(0, 0))
    items = [{"start": (midnight + dt.timedelta(minutes=s)).isoformat(timespec="minutes"),
              "end": (midnight + dt.timedelta(minutes=e)).isoformat(timespec="minutes")} for s, e in spans]
    return read_shifts(items, at, clock)


def tech_days(raw: Mapping, at: At, clock: Clock, end_s: int) -> list[tuple[dt.date | None, tuple[Shift, ...]]]:
    """(day, shifts) of a technician entry: ``[(None, shifts)]`` for a v1 ``shift``, one entry per
    working day of the horizon for a weekly ``shifts`` pattern (days off and empty overrides left
    out; a day whose shifts start at or after the horizon end too)."""
    if raw.get("shifts") is None:
        for key in ("shift_overrides", "days_off"):
            if raw.get(key) is not None:
                raise at.child(key).error(f"{key} needs a weekly 'shifts' pattern (this technician has "
                                          f"a one-day 'shift')", raw[key])
        return [(None, read_shifts(raw["shift"], at.child("shift"), clock))]
    if raw.get("shift") is not None:
        raise at.child("shift").error("give either 'shift' (one day) or 'shifts' (a weekly pattern), "
                                      "not both", raw["shift"])
    pattern = _pattern(raw["shifts"], at.child("shifts"))
    overrides = _overrides(raw.get("shift_overrides"), at.child("shift_overrides"))
    off_at = at.child("days_off")
    days_off = {parse_date(d, off_at.child(i)) for i, d in
                enumerate(check_list(raw.get("days_off") or [], off_at, "dates"))}
    overtime_s = int(round(float(raw.get("max_overtime_minutes") or 0) * 60))
    out: list[tuple[dt.date | None, tuple[Shift, ...]]] = []
    for day in horizon_dates(clock, end_s):
        if day in days_off:
            continue
        if day in overrides:
            spans, day_at = overrides[day], at.child("shift_overrides").key(day.isoformat())
        else:
            spans, day_at = pattern.get(day.weekday(), []), at.child("shifts").key(WEEKDAYS[day.weekday()])
        if not spans:
            continue
        shifts = _day_shifts(spans, day, day_at, clock)
        if shifts[0].start_s >= end_s:
            continue
        if out and out[-1][1][-1].end_s + overtime_s > shifts[0].start_s:
            raise day_at.error(f"the shift on {day.isoformat()} starts at {clock.to_iso(shifts[0].start_s)}, "
                               f"before the previous working day's ends ({clock.to_iso(out[-1][1][-1].end_s)}"
                               f"{' + overtime' if overtime_s else ''}): one person's days may not overlap",
                               raw["shifts"])
        out.append((day, shifts))
    return out


def resolve_person(tech_id: str, at: At, tech_ids: Mapping[str, str],
                   persons: Mapping[str, list[str]]) -> str:
    """A pin naming a technician: its id, or the one day copy of a person (an error when the
    person works several days: pin a day copy ``T03@2026-12-03`` or use ``follow_up``)."""
    if tech_id in tech_ids or tech_id not in persons:
        return tech_id
    copies = persons[tech_id]
    if len(copies) == 1:
        return copies[0]
    raise at.error(f"pinned to {brief(tech_id)}, who works {len(copies)} days of the horizon "
                   f"({', '.join(copies[:3])}{', ...' if len(copies) > 3 else ''}): pin one day's copy, or "
                   f"give follow_up: {{technician: {tech_id}, same_technician: require}}", tech_id)


# -- follow-up visits -------------------------------------------------------------------------------
def read_follow_up(raw: object, at: At, clock: Clock, received_s: int,
                   persons: Mapping[str, object]) -> tuple[FollowUp | None, int]:
    """(the job's FollowUp or None, its received second): a follow-up may not start before
    ``after`` (default: its ``received_at``) + ``after_hours`` (default 0), which becomes its
    received time (and the base of its default ``due``)."""
    if raw is None:
        return None, received_s
    raw = check_mapping(raw, at, FOLLOW_UP_KEYS, required=("technician",))
    person = check_id(raw["technician"], at.child("technician"), "a technician id")
    if person not in persons:
        raise at.child("technician").error(f"unknown technician {brief(person)}", person)
    mode = "prefer" if raw.get("same_technician") is None else raw["same_technician"]
    if mode not in FOLLOW_UP_MODES:
        raise at.child("same_technician").error(f"expected {' or '.join(FOLLOW_UP_MODES)}, found {show(mode)}",
                                                mode)
    after_s = received_s if raw.get("after") is None else parse_instant(raw["after"], at.child("after"), clock)
    hours = 0 if raw.get("after_hours") is None else check_number(
        raw["after_hours"], at.child("after_hours"), minimum=0, bounds=(0, MAX_MINUTES / 60))
    earliest = after_s + int(round(hours * HOUR))
    return FollowUp(person=person, mode=mode), max(received_s, earliest)


def copies_overlap_free(techs: list[Technician]) -> bool:
    """True when no two day copies of one person overlap in time (a guard for tests)."""
    by_person: dict[str, list[Technician]] = {}
    for tech in techs:
        by_person.setdefault(tech.person_id, []).append(tech)
    for copies in by_person.values():
        copies.sort(key=lambda t: t.shift_start_s)
        for a, b in zip(copies, copies[1:]):
            if a.shift_end_s + max(0, a.max_overtime_s) > b.shift_start_s:
                return False
    return True



