"""A multi-day city scenario (docs/multiday.md): the roster of a generated city day on a weekly
shift pattern, and the work of several days.

:func:`generate_multi_day` draws one city day of ``days x jobs_per_day`` jobs with
:func:`~dispatchopt.synth.generate.generate_scenario` (one roster, so every job has a qualified
lead; the durations scaled to ``load`` per day), then spreads the jobs over the days: each job's
times (received, due, window) move by its day offset. Technicians get a ``shifts`` pattern
(``mon-fri`` = their day's shifts), a few days off and one shortened day, and ``history_minutes``
(the minutes they worked in the days before). The generator's pinned follow-up visits become
``follow_up`` jobs with ``same_technician: require`` (to the pinned lead), possible from the
evening before their day. Surveys keep their 2-working-day SLA: received on the days before
each planned day, so some are due inside the horizon. Everything is drawn from
``random.Random(seed)``. Surveys weigh 10 (``sla.survey.weight``; built-in 1), so a late survey
costs like late urgent work. The dict is not validated here (load it with ``problem_from_dict``).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ..errors import ParameterError
from .generate import generate_scenario

__all__ = ["generate_multi_day"]


def _shift_time(text: str, days: int) -> str:
    return (dt.datetime.fromisoformat(text) + dt.timedelta(days=days)).isoformat(timespec="minutes")


def _spans(shift: Any) -> list[str]:
    items = shift if isinstance(shift, list) else [shift]
    return [f"{s['start']}-{s['end']}" for s in items]


def _move_job(job: dict, days: int) -> None:
    for key in ("received_at", "due"):
        if key in job:
            job[key] = _shift_time(job[key], days)
    if "window" in job:
        job["window"] = {k: _shift_time(v, days) for k, v in job["window"].items()}


def _roster(rng: random.Random, techs: list[dict], dates: list[dt.date]) -> list[dict]:
    """The day roster on a weekly pattern; two days off, one short day, history minutes."""
    out = []
    for tech in techs:
        tech = dict(tech)
        spans = _spans(tech.pop("shift"))
        tech["shifts"] = {"mon-fri": spans}
        tech["history_minutes"] = rng.randrange(0, 2400, 15)
        out.append(tech)
    day_staff = [t for t in out if all(s.startswith("08:30") for s in t["shifts"]["mon-fri"])]
    if len(dates) > 1 and len(day_staff) >= 4:
        for tech in rng.sample(day_staff, 2):
            tech["days_off"] = [dates[1].isoformat()]
        short = rng.choice([t for t in day_staff if "days_off" not in t])
        short["shift_overrides"] = {dates[-1].isoformat(): ["08:30-12:00"]}
        short.pop("breaks", None)             # a lunch break would lie outside the short day
    return out


def generate_multi_day(n_technicians: int = 40, jobs_per_day: int = 110, *, days: int = 3, seed: int = 0,
                       date: str = "2026-12-07", load: float = 0.7, name: str | None = None) -> dict[str, Any]:
    """A scenario dict over ``days`` days from ``date`` (07:00) with ``n_technicians`` people
    (one day copy each per working day once loaded) and ``days x jobs_per_day`` jobs."""
    if not 1 <= days <= 7:
        raise ParameterError(f"generate_multi_day: days must be in 1..7, got {days!r}")
    if not 0 < load * days <= 3:
        raise ParameterError(f"generate_multi_day: load x days must be in (0, 3], got {load * days!r}")
    rng = random.Random(seed)
    base = generate_scenario(n_technicians, days * jobs_per_day, seed=seed, date=date, load=load * days,
                             busy=False)
    first = dt.date.fromisoformat(date)
    dates = [first + dt.timedelta(days=d) for d in range(days)]
    techs = _roster(rng, base["technicians"], dates)
    off = {t["id"]: set(t.get("days_off", ())) for t in techs}
    jobs = []
    for job in base["jobs"]:
        job = dict(job)
        offset = rng.randrange(days)
        _move_job(job, offset)
        pins = job.pop("pinned_to", None)
        lead = pins if isinstance(pins, str) else (pins[0] if pins else None)
        if lead is not None:
            while dates[offset].isoformat() in off.get(lead, ()):
                offset = (offset + 1) % days
            evening = dt.datetime.combine(dates[offset] - dt.timedelta(days=1), dt.time(17, 0))
            job["follow_up"] = {"technician": lead, "after": evening.isoformat(timespec="minutes"),
                                "after_hours": 14, "same_technician": "require"}
            job.pop("due", None)
            job.pop("window", None)
            job["received_at"] = evening.isoformat(timespec="minutes")
        jobs.append(job)
    end = dt.datetime.fromisoformat(base["start"]) + dt.timedelta(days=days)
    # the desk keeps the 2-working-day promise of a new connection's survey: a late minute of a
    # survey costs like one of urgent work (weight 10, the built-in is 1)
    return {**base, "name": name or f"qingdao-{date}-{days}days-{n_technicians}x{len(jobs)}-s{seed}",
            "end": end.isoformat(timespec="minutes"), "sla": {"survey": {"weight": 10}},
            "technicians": techs, "jobs": jobs}
