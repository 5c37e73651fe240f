"""The planning clock: int seconds from the horizon start inside, datetimes only at I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MINUTE = 60
HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class Clock:
    """Maps between aware datetimes and int seconds from ``origin``.

    ``origin`` is the scenario's ``start`` (for a live re-plan: "now" is a later second on the
    same clock). Naive datetimes and ISO strings without an offset are local to ``timezone``.
    """

    origin: dt.datetime  # aware
    timezone: str

    @classmethod
    def create(cls, origin: dt.datetime, timezone: str) -> "Clock":
        tz = ZoneInfo(timezone)
        if origin.tzinfo is None:
            origin = origin.replace(tzinfo=tz)
        return cls(origin=origin, timezone=timezone)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def plan_day(self) -> dt.date:
        """The local calendar date of the horizon start (certificate validity is judged on it)."""
        return self.origin.astimezone(self.tz).date()

    def localize(self, value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=self.tz) if value.tzinfo is None else value

    def to_seconds(self, value: dt.datetime | str) -> int:
        """Seconds from the origin (negative before it), rounded to the nearest second."""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        # Elapsed time, computed in UTC: aware datetimes sharing a zone object subtract as
        # wall-clock times in Python, which is an hour off across a DST change.
        delta = self.localize(value).astimezone(dt.timezone.utc) - self.origin.astimezone(dt.timezone.utc)
        return int(round(delta.total_seconds()))

    def to_datetime(self, seconds: float) -> dt.datetime:
        """Local aware datetime of a second on this clock."""
        utc = self.origin.astimezone(dt.timezone.utc) + dt.timedelta(seconds=float(seconds))
        return utc.astimezone(self.tz)

    def to_iso(self, seconds: float) -> str:
        """Local ISO time without offset, as in the plan contract (seconds shown when not 0)."""
        when = self.to_datetime(round(seconds)).replace(tzinfo=None)
        fmt = "%Y-%m-%dT%H:%M" if when.second == 0 else "%Y-%m-%dT%H:%M:%S"
        return when.strftime(fmt)

    def clock_time_to_seconds(self, hhmm: str, *, not_before_s: int | None = None) -> int:
        """Seconds of a local wall-clock time "HH:MM" on the plan day ("24:00" = next midnight).

        With ``not_before_s`` a time earlier than that second is taken on the next day (a shift
        "22:00"-"06:00" ends on the morning after).
        """
        hours, minutes = (int(part) for part in hhmm.split(":"))
        base = dt.datetime.combine(self.plan_day, dt.time(0, 0), tzinfo=self.tz)
        seconds = self.to_seconds(base + dt.timedelta(hours=hours, minutes=minutes))
        while not_before_s is not None and seconds < not_before_s:
            seconds += DAY
        return seconds
