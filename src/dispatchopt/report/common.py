"""What the plan figures share: colours, clock formatting, per-technician loads, hover text.

Every figure reads the plan's decisions and figures (visits, travel_minutes, breaks, return)
and the problem's data; the KPIs come from :func:`dispatchopt.audit.kpi.compute_kpis`.
"""

from __future__ import annotations

import colorsys
from collections import defaultdict
from dataclasses import dataclass

from ..domain import Job, Problem
from ..plan import Plan, Visit

CATEGORY_COLOURS = ("#d62728", "#ff7f0e", "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                    "#bcbd22", "#393b79", "#f7b6d2", "#843c39", "#6baed6", "#fd8d3c", "#c5b0d5")
"""Service colours by category (categories sorted by SLA weight, heaviest first). No green and no
grey or yellow: those are the Gantt board's break, travel and waiting."""


def categories(problem: Problem) -> list[str]:
    """The job categories of the problem, heaviest SLA weight first, then by name."""
    used = {job.category for job in problem.jobs}
    return sorted(used, key=lambda c: (-problem.sla[c].weight, c))


def category_colours(problem: Problem) -> dict[str, str]:
    """One colour per category (cycled when there are more than fourteen)."""
    return {cat: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, cat in enumerate(categories(problem))}


def technician_colours(tech_ids: list[str]) -> dict[str, str]:
    """One colour per technician: hues spread evenly, lightness alternating so neighbours differ."""
    n = max(len(tech_ids), 1)
    colours = {}
    for i, tech_id in enumerate(tech_ids):
        hue = (i * 0.618033988749895) % 1.0          # golden-ratio steps: neighbours far apart
        light = 0.38 if i % 2 == 0 else 0.50
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.75 if n > 1 else 0.6)
        colours[tech_id] = f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
    return colours


class ClockText:
    """Local wall-clock strings of problem seconds, cached (a 2000-job plan asks ~20 000 times)."""

    def __init__(self, problem: Problem) -> None:
        self.clock = problem.clock
        self._stamps: dict[int, str] = {}

    def stamp(self, seconds: int) -> str:
        """``YYYY-MM-DD HH:MM:SS`` local time, the form plotly reads as a date axis value."""
        text = self._stamps.get(seconds)
        if text is None:
            text = self.clock.to_datetime(seconds).strftime("%Y-%m-%d %H:%M:%S")
            self._stamps[seconds] = text
        return text

    def hhmm(self, seconds: int) -> str:
        """``HH:MM`` local time (with the date when it is not the plan day)."""
        when = self.clock.to_datetime(seconds)
        if when.date() != self.clock.plan_day:
            return when.strftime("%m-%d %H:%M")
        return when.strftime("%H:%M")


@dataclass
class TechLoad:
    """One technician's day as the plan reports it (seconds)."""

    travel_s: int = 0           # every leg, the return included
    service_s: int = 0
    visits: int = 0
    shift_s: int = 0            # total length of the shifts

    @property
    def work_s(self) -> int:
        return self.travel_s + self.service_s

    @property
    def utilisation(self) -> float:
        return self.work_s / self.shift_s if self.shift_s > 0 else 0.0


def technician_loads(problem: Problem, plan: Plan) -> dict[str, TechLoad]:
    """Per technician of the problem (idle ones included), in problem order."""
    loads = {tech.id: TechLoad(shift_s=sum(s.end_s - s.start_s for s in tech.shifts))
             for tech in problem.technicians}
    for route in plan.routes:
        load = loads.get(route.technician)
        if load is None:
            continue
        for visit in route.visits:
            load.travel_s += visit.travel_s
            load.service_s += visit.end_s - visit.start_s
            load.visits += 1
        if route.ret is not None:
            load.travel_s += route.ret.travel_s
    return loads


def crews_of(plan: Plan) -> dict[str, list[str]]:
    """Job id -> the technicians visiting it (several for a crew job)."""
    crews: dict[str, list[str]] = defaultdict(list)
    for route in plan.routes:
        for visit in route.visits:
            crews[visit.job].append(route.technician)
    return crews


def job_window_text(job: Job, clock: ClockText) -> str:
    if job.window is None:
        return "none"
    return f"{clock.hhmm(job.window.start_s)}-{clock.hhmm(job.window.end_s)}"


def visit_hover(job: Job, tech_id: str, visit: Visit, crew: list[str], clock: ClockText) -> str:
    """The hover text of a visit: job, technician, times, window, SLA due, lateness, crew."""
    lines = [f"<b>{job.id}</b> ({job.category}) - {tech_id}",
             f"service {clock.hhmm(visit.start_s)}-{clock.hhmm(visit.end_s)}",
             f"arrival {clock.hhmm(visit.arrival_s)}, travel {visit.travel_s / 60:.1f} min",
             f"window {job_window_text(job, clock)}",
             f"SLA due {clock.hhmm(job.due_s)}",
             f"late {visit.late_s / 60:.1f} min" if visit.late_s > 0 else "on time"]
    if len(crew) > 1:
        lines.append("crew " + ", ".join(crew))
    return "<br>".join(lines)
