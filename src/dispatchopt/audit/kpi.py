"""Key performance indicators of a plan, recomputed from the Problem (never from solver figures).

Definitions (the plan contract's ``kpis`` keys, plus ``not_dispatchable``):

on_time_rate
    share of the *plannable* jobs (``dispatchable`` ones) that are on time (rules.on_time: start
    at or before ``due`` and inside the window, if any). An unassigned job is not on time. A crew
    job counts once, at its common start (if the members' starts differ, the latest: the crew
    is complete only then). 1.0 when there is no plannable job. 4 decimals.
on_time_rate_by_category
    the same per category of the plannable jobs (sorted by category).
travel_minutes, distance_km
    every trip of every route, the return home included, from the travel matrix (2 decimals).
late_jobs
    assigned jobs (counted once) whose start is after ``due``.
mean_late_minutes, p95_late_minutes
    over the assigned jobs, an on-time job counting 0; the 95th percentile interpolates linearly
    between ranks (numpy's default). 0 when nothing is assigned. 2 decimals.
unassigned
    plannable jobs with no visit. ``not_dispatchable``: jobs with ``dispatchable`` false.
utilisation
    work (service + travel incl. the return; waiting and breaks excluded) of ALL technicians over
    the total length of ALL their shifts, idle technicians included (4 decimals). A crew job's
    service counts for each member.
workload_cv
    coefficient of variation (population standard deviation / mean) of the per-technician work
    seconds over all non-trainee technicians, idle ones counting 0; 0 when the mean is 0.
overtime_minutes
    sum over routes of max(0, return home - last shift end), the return taken as reported but
    never earlier than the recomputed earliest return.
by_day (multi-day problems only: ``rules.is_multi_day``)
    local date -> the figures above (``unassigned`` and ``not_dispatchable`` left out: an
    unassigned job has no day) for that day's routes (a day copy's ``day``, else the date of the
    technician's first shift) and the jobs those routes serve (a job served after midnight by a
    night shift counts on its shift's day), plus ``jobs`` (how many) and ``technicians`` (routes with a visit). Utilisation is over that day's shifts,
    workload_cv over that day's non-trainee technicians. :func:`kpis_by_day` gives it alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import rules
from ..domain import Problem
from ..plan import Plan
from .verify import TimedRoute, time_route

KPI_KEYS: tuple[str, ...] = (
    "on_time_rate", "on_time_rate_by_category", "travel_minutes", "distance_km", "late_jobs",
    "mean_late_minutes", "p95_late_minutes", "unassigned", "not_dispatchable", "utilisation",
    "workload_cv", "overtime_minutes",
)


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 1.0


def compute_kpis(problem: Problem, plan: Plan) -> dict[str, Any]:
    """The plan's KPIs (see the module docstring for each definition)."""
    timed: list[TimedRoute] = [t for t in (time_route(problem, r) for r in plan.routes) if t is not None]
    starts = _starts(timed)
    kpis = _figures(problem, timed, problem.technicians, [job for job in problem.jobs if job.dispatchable],
                    starts)
    if rules.is_multi_day(problem):
        kpis["by_day"] = _by_day(problem, timed, starts)
    return kpis


def kpis_by_day(problem: Problem, plan: Plan) -> dict[str, dict[str, Any]]:
    """local date (ISO) -> that day's KPIs (the ``by_day`` block; any problem, one day or many)."""
    timed = [t for t in (time_route(problem, r) for r in plan.routes) if t is not None]
    return _by_day(problem, timed, _starts(timed))


def _starts(timed: list[TimedRoute]) -> dict[str, int]:
    """job id -> its start of service (a crew's latest member start)."""
    starts: dict[str, int] = {}
    for t in timed:
        for visit, job in t.visits:
            starts[job.id] = max(starts.get(job.id, visit.start_s), visit.start_s)
    return starts


def _by_day(problem: Problem, timed: list[TimedRoute], starts: dict[str, int]) -> dict[str, dict[str, Any]]:
    job_day = {job.id: rules.tech_day(problem, t.tech) for t in timed for _, job in t.visits}
    out: dict[str, dict[str, Any]] = {}
    for day in sorted({rules.tech_day(problem, tech) for tech in problem.technicians}):
        techs = [tech for tech in problem.technicians if rules.tech_day(problem, tech) == day]
        day_timed = [t for t in timed if rules.tech_day(problem, t.tech) == day]
        jobs = [problem.job(j) for j, d in job_day.items() if d == day]
        figures = _figures(problem, day_timed, techs, jobs, starts)
        del figures["unassigned"], figures["not_dispatchable"]
        out[day.isoformat()] = {"jobs": len(jobs), "technicians": sum(1 for t in day_timed if t.visits),
                                **figures}
    return out


def _figures(problem: Problem, timed: list[TimedRoute], technicians, plannable: list, starts: dict[str, int],
             ) -> dict[str, Any]:
    """The flat KPIs of ``timed`` routes (of ``technicians``) and the ``plannable`` jobs."""
    hits_by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hits = 0
    for job in plannable:
        ok = rules.on_time(job, starts.get(job.id))
        hits += ok
        hits_by_cat[job.category][0] += ok
        hits_by_cat[job.category][1] += 1

    mine = {job.id for job in plannable} | {job.id for t in timed for _, job in t.visits}
    late_min = [rules.late_s(problem.job(job_id), start) / 60 for job_id, start in starts.items()
                if job_id in mine]
    work_s: dict[str, int] = defaultdict(int)
    overtime_s = 0
    for t in timed:
        work_s[t.tech.id] += t.travel_s + t.service_s
        ret = t.return_arrival_s
        if ret is not None:
            overtime_s += max(0, ret - t.tech.shift_end_s)
    shift_s = sum(s.end_s - s.start_s for tech in technicians for s in tech.shifts)
    loads = np.array([work_s.get(tech.id, 0) for tech in technicians if not tech.trainee], dtype=float)
    mean_load = float(loads.mean()) if loads.size else 0.0

    return {
        "on_time_rate": _rate(hits, len(plannable)),
        "on_time_rate_by_category": {cat: _rate(h, n) for cat, (h, n) in sorted(hits_by_cat.items())},
        "travel_minutes": round(sum(t.travel_s for t in timed) / 60, 2),
        "distance_km": round(sum(t.distance_m for t in timed) / 1000, 2),
        "late_jobs": sum(1 for m in late_min if m > 0),
        "mean_late_minutes": round(float(np.mean(late_min)), 2) if late_min else 0.0,
        "p95_late_minutes": round(float(np.percentile(late_min, 95)), 2) if late_min else 0.0,
        "unassigned": sum(1 for job in plannable if job.id not in starts),
        "not_dispatchable": sum(1 for job in problem.jobs if not job.dispatchable),  # (whole problem)
        "utilisation": round(sum(work_s.values()) / shift_s, 4) if shift_s > 0 else 0.0,
        "workload_cv": round(float(loads.std()) / mean_load, 4) if mean_load > 0 else 0.0,
        "overtime_minutes": round(overtime_s / 60, 2),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def flat_kpis(kpis: Mapping[str, Any], *, column_names: bool = False) -> dict[str, float | None]:
    """The one flattening of a KPI dict: every nested dict (``on_time_rate_by_category``) becomes
    one entry per sub-key, sub-keys sorted; numpy scalars become Python numbers.

    Names, as users see them:

    * default: ``on_time_rate_by_category[emergency]``, the names of :func:`kpi_table` and of
      ``dispatchopt solve --csv``'s ``kpis.csv``;
    * ``column_names=True``: ``on_time_rate__emergency`` (a ``_by_category`` suffix dropped,
      ``__`` before the sub-key), the column names of batch tables (``results.csv``).

    A multi-day ``by_day`` block flattens below its date: ``by_day[2026-12-03].on_time_rate``
    (``by_day__2026-12-03__on_time_rate`` as a column name).

    Counts stay ``int``; ``None`` (a delta of :func:`compare_kpis` where one side lacks the
    value) stays ``None``.
    """
    flat: dict[str, float | None] = {}
    for name, value in kpis.items():
        if isinstance(value, Mapping):
            prefix = name.removesuffix("_by_category") if column_names else name
            for sub in sorted(value, key=str):
                key = f"{prefix}__{sub}" if column_names else f"{name}[{sub}]"
                if isinstance(value[sub], Mapping):      # by_day: date -> KPIs, flattened below it
                    inner = flat_kpis(value[sub], column_names=column_names)
                    flat.update({f"{key}__{k}" if column_names else f"{key}.{k}": v for k, v in inner.items()})
                else:
                    flat[key] = _number(value[sub])
        else:
            flat[name] = _number(value)
    return flat


def _number(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def kpi_table(kpis: dict[str, Any], other: dict[str, Any] | None = None) -> str:
    """An aligned text table of ``kpis``; with ``other``, columns base / other / delta."""
    base = flat_kpis(kpis)
    if other is None:
        rows = [("kpi", "value")] + [(k, _fmt(v)) for k, v in base.items()]
    else:
        alt = flat_kpis(other)
        delta = flat_kpis(compare_kpis(kpis, other))
        keys = list(base) + [k for k in alt if k not in base]
        rows = [("kpi", "base", "other", "delta")] + [
            (k, _fmt(base.get(k)), _fmt(alt.get(k)), _fmt(delta.get(k))) for k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


BY_DAY_COLUMNS = ("jobs", "technicians", "on_time_rate", "late_jobs", "travel_minutes", "utilisation",
                  "workload_cv", "overtime_minutes")


def by_day_table(by_day: Mapping[str, Mapping[str, Any]], columns: tuple[str, ...] = BY_DAY_COLUMNS) -> str:
    """An aligned text table of a ``by_day`` KPI block: one row per day, ``columns`` as columns."""
    rows = [("day",) + columns] + [(day,) + tuple(_fmt(kpis.get(c)) for c in columns)
                                   for day, kpis in by_day.items()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])])
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _delta(a: Any, b: Any) -> float | int | None:
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) \
            or not isinstance(b, (int, float)):
        return None
    d = b - a
    return round(d, 4) if isinstance(d, float) else d


def compare_kpis(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """``other - base`` for every numeric KPI (what-if reports); per category for the rates,
    None where one side lacks the value."""
    out: dict[str, Any] = {}
    for key in list(base) + [k for k in other if k not in base]:
        a, b = base.get(key), other.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            a, b = a or {}, b or {}
            out[key] = {cat: _delta(a.get(cat), b.get(cat)) for cat in sorted(set(a) | set(b))}
        else:
            out[key] = _delta(a, b)
    return out
