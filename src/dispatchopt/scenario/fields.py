"""The shared field validators of the scenario loader: where an error is, and what a value must be.

Every reader here takes the value and an :class:`At` (the place in the input) and either returns
the checked value or raises the :class:`~dispatchopt.errors.ScenarioError` that
:meth:`At.error` builds: ``<file>: <field path>: <what was expected / found>``. The YAML/JSON
forms (:mod:`.load`) and the CSV table form (:mod:`.tables`) share them, so a mistake reads the
same in every form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import numbers
import re
from collections.abc import Mapping

from ..domain import Clock
from ..domain.time import MINUTE
from ..errors import ScenarioError

__all__ = ["At", "MAX_COUNT", "MAX_MINUTES", "MAX_SHIFT_S", "MAX_SHOWN", "MAX_WEIGHT", "as_written",
           "brief", "check_bool", "check_id", "check_list", "check_local_time", "check_mapping",
           "check_name", "check_number", "close_match", "is_clock_time", "is_exact_local", "minutes_to_s", "optional_number",
           "parse_date", "parse_datetime", "parse_instant", "show"]

_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

# -- the bounds of numeric fields (docs/format.md, "Limits") ----------------------------------------
MAX_COUNT = 999_999            # counts (max_jobs, capacity, demand, crew_size, skill levels): below 10^6
MAX_MINUTES = 10 * 1440        # minute amounts (durations, work, overtime, respond): at most 10 days
MAX_WEIGHT = 1e9               # objective prices and SLA weights
MAX_SHIFT_S = 24 * 3600        # one shift lasts at most 24 hours
MAX_SHOWN = 60                 # characters of a value echoed in a message (then "...")


# -- where an error is ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class At:
    """A place in the input, for messages: the file, the field path and the item id.

    ``item`` marks a list item (``jobs[3] (id 'J017')``) or a CSV row (``row 4``): its fields join
    with ``.``. Below a ``flat`` item (a CSV row) nested fields join with ``_`` like the columns
    (``window_start``).
    """

    source: str
    path: str = ""
    item_id: str | None = None
    item: bool = False
    flat: bool = False

    def child(self, name: str | int) -> "At":
        """A field (``name``) or a list position (an ``int``) below this place."""
        if isinstance(name, int):
            path = f"{self.path}[{name}]"
        elif not self.path:
            path = name
        else:
            path = f"{self.path}{'_' if self.flat and not self.item else '.'}{name}"
        return dataclasses.replace(self, path=path, item=False)

    def list_item(self, index: int) -> "At":
        """Item ``index`` of the list here, marked as an item (``jobs[3]``)."""
        return dataclasses.replace(self.child(index), item=True)

    def key(self, name: object) -> "At":
        """A user-chosen mapping key (a skill, a category): ``skills['plumbing']``."""
        return dataclasses.replace(self, path=f"{self.path}[{brief(name)}]", item=False)

    def with_id(self, item_id: str) -> "At":
        """This item, named by its id from now on: ``jobs[3] (id 'J017')``."""
        return dataclasses.replace(self, path=f"{self.path} (id {brief(item_id)})", item_id=item_id)

    def error(self, message: str, value: object = None) -> ScenarioError:
        """The error for ``message`` at this place (to be raised by the caller)."""
        where = f"{self.source}: {self.path}: " if self.path else f"{self.source}: "
        return ScenarioError(where + message, source=self.source, field=self.path or None,
                             item_id=self.item_id, value=value)


def _bounded_repr(value: object, budget: int, depth: int = 0) -> str:
    """``repr(value)``, but built only up to about ``budget`` characters (a YAML alias bomb or a
    huge integer is never expanded in full)."""
    if isinstance(value, str):
        return repr(value[:budget + 1])
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, numbers.Integral):
        digits = int(value).bit_length() * 0.30103
        return repr(value) if digits < budget + 2 else f"<an integer of about {digits:.0f} digits>"
    if isinstance(value, (Mapping, list, tuple)):
        if depth > 8:
            return "..."
        is_map = isinstance(value, Mapping)
        parts, used = [], 2
        for item in (value.items() if is_map else value):
            if used > budget:
                parts.append("...")
                break
            if is_map:
                key, val = item
                part = (_bounded_repr(key, budget - used, depth + 1) + ": "
                        + _bounded_repr(val, budget - used, depth + 1))
            else:
                part = _bounded_repr(item, budget - used, depth + 1)
            parts.append(part)
            used += len(part) + 2
        inside = ", ".join(parts)
        if is_map:
            return "{" + inside + "}"
        return ("(" + inside + ")") if isinstance(value, tuple) else "[" + inside + "]"
    return repr(value)[:budget + 1]


def brief(value: object, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters (+ "...") for a message."""
    text = _bounded_repr(value, limit)
    return text if len(text) <= limit else text[:limit] + "..."


def show(value: object) -> str:
    """A value for a "found ..." message (cut to a readable length, see :func:`brief`)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "a mapping " + brief(value)
    if isinstance(value, (list, tuple)):
        return "a list " + brief(list(value) if isinstance(value, tuple) else value)
    return brief(value)


def as_written(value: object) -> str:
    """A time value as written, for comparisons ("start 11:00 is after end 09:00")."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = str(value) if isinstance(value, str) else brief(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def close_match(word: str, allowed) -> str | None:
    """The allowed word closest to a misspelt ``word`` ("did you mean ...?"), if one is close."""
    close = difflib.get_close_matches(word, list(allowed), n=1)
    return close[0] if close else None


# -- generic readers --------------------------------------------------------------------------------
def check_mapping(raw: object, at: At, allowed: tuple[str, ...], required: tuple[str, ...] = (),
                  what: str = "") -> Mapping:
    """``raw`` as a mapping whose keys are all in ``allowed`` and hold every ``required`` key."""
    if not isinstance(raw, Mapping):
        kind = what or f"a mapping with keys {', '.join(allowed)}"
        raise at.error(f"expected {kind}, found {show(raw)}", raw)
    for key in raw:
        if not isinstance(key, str) or key not in allowed:
            close = close_match(key, allowed) if isinstance(key, str) and len(key) <= 100 else None
            hint = f"did you mean {close!r}?" if close else f"expected one of: {', '.join(allowed)}"
            raise at.error(f"unknown key {brief(key)} ({hint})", key)
    for key in required:
        if raw.get(key) is None:
            raise at.error(f"missing required key {key!r}")
    return raw


def check_number(value: object, at: At, *, minimum: float | None = None, above: float | None = None,
                 maximum: float | None = None, integer: bool = False,
                 bounds: tuple[float, float] | None = None) -> int | float:
    """A finite number (an integer when ``integer``; an integral float is accepted) in range.

    ``bounds`` (low, high) is the field's sane range (docs/format.md, "Limits"), checked after the
    other limits so that their messages stay as they are: a value outside it is refused with
    "expected a number from low to high, found ...".
    """
    number = _checked_number(value, at, minimum=minimum, above=above, maximum=maximum,
                             integer=integer)
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        kind = "an integer" if integer else "a number"
        raise at.error(f"expected {kind} from {bounds[0]:g} to {bounds[1]:g}, found {show(value)}",
                       value)
    return number


def _checked_number(value: object, at: At, *, minimum: float | None, above: float | None,
                    maximum: float | None, integer: bool) -> int | float:
    kind = "an integer" if integer else "a number"
    if minimum is not None and maximum is not None:
        kind += f" from {minimum:g} to {maximum:g}"
    elif minimum is not None:
        kind += f" >= {minimum:g}"
    elif maximum is not None:
        kind += f" <= {maximum:g}"
    if above is not None:
        kind += f" > {above:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise at.error(f"expected {kind}, found {show(value)}", value)
    if isinstance(value, numbers.Integral):
        number: int | float = int(value)
    else:
        number = float(value)
        if not math.isfinite(number):
            raise at.error(f"expected {kind}, found {show(value)}", value)
        if integer:
            if not number.is_integer():
                raise at.error(f"expected {kind}, found {show(value)}", value)
            number = int(number)
    if ((minimum is not None and number < minimum) or (above is not None and number <= above)
            or (maximum is not None and number > maximum)):
        raise at.error(f"expected {kind}, found {show(value)}", value)
    return number


def optional_number(raw: Mapping, key: str, at: At, default, **limits):
    """``raw[key]`` checked by :func:`check_number`, or ``default`` when absent or null."""
    value = raw.get(key)
    return default if value is None else check_number(value, at.child(key), **limits)


def check_bool(value: object, at: At) -> bool:
    """``true`` or ``false`` (no 0/1, no "yes")."""
    if not isinstance(value, bool):
        raise at.error(f"expected true or false, found {show(value)}", value)
    return value


def check_id(value: object, at: At, what: str = "an id") -> str:
    """An id (a string; an integer is taken as its decimal string)."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise at.error(f"expected {what} (a string), found {show(value)}", value)
    text = str(value)
    if not text.strip():
        raise at.error(f"expected {what}, found an empty string", value)
    return text


def check_name(value: object, at: At, what: str) -> str:
    """A name that must be a non-empty string (a skill, a category)."""
    if not isinstance(value, str) or not value.strip():
        raise at.error(f"{what} must be a non-empty string, found {show(value)}", value)
    return value


def check_list(value: object, at: At, what: str) -> list:
    """A list (or tuple) of ``what``, as a new list."""
    if not isinstance(value, (list, tuple)):
        raise at.error(f"expected a list of {what}, found {show(value)}", value)
    return list(value)


def minutes_to_s(minutes: float) -> int:
    """Minutes as whole seconds (rounded to the nearest)."""
    return int(round(minutes * MINUTE))


# -- time -------------------------------------------------------------------------------------------
def parse_datetime(value: object, at: At, *, clock_time_ok: bool = False) -> dt.datetime:
    """An ISO date-time (naive = local to the scenario's zone), or a date (its midnight)."""
    expected = "ISO 8601 like 2026-11-23T08:00" + (" or a clock time HH:MM" if clock_time_ok else "")
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0))
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise at.error(f"bad date-time {brief(value)} ({exc}; expected {expected})", value) from None
    raise at.error(f"expected a date-time, {expected}, found {show(value)}", value)


def is_clock_time(value: object) -> bool:
    """Is ``value`` written as a bare clock time "HH:MM" (taken on the plan day)?"""
    return isinstance(value, str) and _CLOCK_TIME.match(value.strip()) is not None


def is_exact_local(when: dt.datetime, zone: dt.tzinfo) -> bool:
    """Does the naive wall-clock time ``when`` happen exactly once in ``zone``?"""
    return when.replace(tzinfo=zone, fold=0).utcoffset() == when.replace(tzinfo=zone, fold=1).utcoffset()


def check_local_time(when: dt.datetime, zone: dt.tzinfo, at: At, value: object) -> dt.datetime:
    """``when`` unchanged, unless it is a naive local time that ``zone`` skips or repeats.

    A wall-clock time in a daylight-saving gap (spring forward) does not exist, one in the
    fall-back hour happens twice: both are refused, naming the field and the value (a time with
    an explicit offset, ``...+02:00``, is always exact).
    """
    if when.tzinfo is not None or is_exact_local(when, zone):
        return when
    first, second = when.replace(tzinfo=zone, fold=0), when.replace(tzinfo=zone, fold=1)
    written = as_written(value)
    back = first.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
    if back != when:
        raise at.error(f"local time {when.isoformat(timespec='minutes')} (written {written}) does "
                       f"not exist in {zone}: the clocks go forward over it (daylight saving); "
                       f"give another time or an explicit UTC offset", value)
    offsets = " or ".join(_offset(moment) for moment in (first, second))
    raise at.error(f"local time {when.isoformat(timespec='minutes')} (written {written}) happens "
                   f"twice in {zone}: the clocks go back over it (daylight saving); write it with "
                   f"its UTC offset, {offsets}", value)


def _offset(moment: dt.datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_instant(value: object, at: At, clock: Clock, *, not_before_s: int | None = None) -> int:
    """Seconds on the clock of an ISO date-time or of a clock time "HH:MM" on the plan day.

    A clock time earlier than ``not_before_s`` is taken on the following day (the same wall-clock
    time a calendar day later). A local time that the scenario's zone skips or repeats is an
    error (:func:`check_local_time`).
    """
    if isinstance(value, str):
        match = _CLOCK_TIME.match(value.strip())
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            if not (hours < 24 and minutes < 60) and (hours, minutes) != (24, 0):
                raise at.error(f"bad clock time {brief(value)} (expected HH:MM from 00:00 to 24:00)",
                               value)
            local = dt.datetime.combine(clock.plan_day, dt.time(0, 0)) + dt.timedelta(
                hours=hours, minutes=minutes)
            seconds = clock.to_seconds(local)
            while not_before_s is not None and seconds < not_before_s:
                local += dt.timedelta(days=1)
                seconds = clock.to_seconds(local)
            check_local_time(local, clock.tz, at, value)
            return seconds
    when = parse_datetime(value, at, clock_time_ok=True)
    return clock.to_seconds(check_local_time(when, clock.tz, at, value))


def parse_date(value: object, at: At) -> dt.date:
    """A calendar date (YYYY-MM-DD; a date-time gives its date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise at.error(f"bad date {brief(value)} (expected YYYY-MM-DD like 2027-03-31)", value) from None
    raise at.error(f"expected a date like 2027-03-31, found {show(value)}", value)
