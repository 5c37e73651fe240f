"""The planning clock: elapsed seconds, also across a DST change."""

import datetime as dt

from dispatchopt.domain import Clock


def test_clock_round_trip_and_plan_day():
    clock = Clock.create(dt.datetime(2026, 11, 23, 8, 0), "Asia/Shanghai")
    assert clock.to_seconds("2026-11-23T08:30") == 1800
    assert clock.to_iso(1800) == "2026-11-23T08:30"
    assert clock.to_iso(1801) == "2026-11-23T08:30:01"
    assert clock.plan_day == dt.date(2026, 11, 23)
    assert clock.clock_time_to_seconds("06:00", not_before_s=0) == 22 * 3600


def test_clock_counts_elapsed_time_across_dst():
    # Europe/Berlin leaves summer time on 2026-10-25 at 03:00 -> 02:00: that night has 25 h.
    clock = Clock.create(dt.datetime(2026, 10, 24, 12, 0), "Europe/Berlin")
    assert clock.to_seconds("2026-10-25T12:00") == 25 * 3600
    assert clock.to_iso(25 * 3600) == "2026-10-25T12:00"
    offset = clock.to_seconds("2026-10-25T12:00+01:00")
    assert offset == 25 * 3600
