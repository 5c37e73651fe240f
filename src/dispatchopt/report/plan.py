"""``plan_report(problem, plan)``: one self-contained HTML page of a plan.

Sections (each a ``<div>`` with a fixed id, so a browser test can find them): ``summary``
(scenario, solver, verifier verdict, KPI table), ``gantt`` (the board), ``route-map``,
``kpi-panels`` and ``unassigned``. The KPIs are recomputed with
:func:`dispatchopt.audit.kpi.compute_kpis`, the plan is re-checked with
:func:`dispatchopt.audit.verify.verify` (a plan that breaks a hard rule is still drawn, under a
red banner listing the first violations).

Size and speed, measured on ``scenarios/bench/day_150x2000_load1.2.yaml`` with a greedy plan
(1255 jobs planned, 745 not; 2 shared CPU cores under load): the page is 6.2 MB, of which 4.8 MB
is the one plotly.js copy and 1.35 MB the data (Gantt 0.64, map 0.55, panels 0.03); built in
1.2 s (verify 0.19, KPIs 0.08, Gantt 0.6, map 0.4, panels 0.3). Headless Chromium reaches the
end of the page's scripts (every figure drawn) after 2.7-4.5 s, against 1.2-1.6 s for a page
holding plotly.js alone; the city day (40 x 400): 5.1 MB, 0.35 s, 2.4 s. SVG, not WebGL: the
Gantt board is a dozen None-separated line traces plus one marker trace, so the DOM stays at
about 15 600 elements.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..audit.kpi import compute_kpis
from ..audit.verify import verify
from ..domain import Problem
from ..plan import Plan
from .gantt import gantt_figure
from .html import esc, figure_div, page
from .panels import kpi_summary_table, panels_figure, unassigned_table
from .routes_map import map_figure

log = logging.getLogger("dispatchopt")

SHOW_VIOLATIONS = 20
"""The banner of a plan that breaks hard rules lists this many violations."""
SECTION_IDS = ("summary", "gantt", "route-map", "kpi-panels", "unassigned")
"""The ids of the report's sections, in page order."""


def _verdict(violations: Sequence[Any]) -> str:
    if not violations:
        return '<span class="ok">verify: OK (no hard rule broken)</span>'
    items = "".join(f"<li>[{esc(v.rule)}] {esc(v.message)}</li>" for v in violations[:SHOW_VIOLATIONS])
    more = f"<li>... and {len(violations) - SHOW_VIOLATIONS} more</li>" if len(violations) > SHOW_VIOLATIONS else ""
    return (f'<span class="bad">verify: {len(violations)} hard-rule violation(s)</span>'
            f"<ul>{items}{more}</ul>")


def _summary(problem: Problem, plan: Plan, kpis: dict[str, Any], violations: Sequence[Any]) -> str:
    solver = plan.solver
    planned = len(plan.assigned_job_ids())
    meta = (f"{esc(problem.clock.origin.strftime('%Y-%m-%d %H:%M'))} {esc(problem.clock.timezone)} - "
            f"{len(problem.technicians)} technicians, {len(problem.jobs)} jobs, {planned} planned, "
            f"{len(plan.unassigned)} not planned - solver {esc(solver.backend)} "
            f"(status {esc(solver.status)}, seed {solver.seed}"
            + (f", {solver.wall_s:.1f} s" if solver.wall_s is not None else "") + ")")
    return (f'<div id="summary"><h1>Plan report: {esc(plan.scenario)}</h1>'
            f'<div class="meta">{meta}</div><div class="meta">{_verdict(violations)}</div>'
            f"{kpi_summary_table(kpis)}</div>")


def plan_report(problem: Problem, plan: Plan, *, violations: Sequence[Any] | None = None) -> str:
    """The HTML report of ``plan`` (a complete, self-contained document as a string).

    Parameters
    ----------
    problem, plan : the scenario and a plan of it (``Plan.load`` or ``solve(...).plan``).
    violations : the result of ``verify(problem, plan)`` when the caller already has it;
        computed here when None.
    """
    if violations is None:
        violations = verify(problem, plan)
    if violations:
        log.warning("report: plan %s breaks %d hard rule(s); drawn anyway", plan.scenario, len(violations))
    kpis = compute_kpis(problem, plan)
    body = "\n".join([
        _summary(problem, plan, kpis, violations),
        '<h2>Gantt board</h2><div class="note">Grey band: shift; dotted: gap between shifts; dark: '
        'travel; yellow: waiting; green: break; magenta: overtime; coloured bars: service by '
        'category; red x: a start past the SLA deadline; dotted vertical: a crew working together.</div>',
        f'<div id="gantt">{figure_div(gantt_figure(problem, plan), "gantt-figure")}</div>',
        "<h2>Route map</h2>",
        f'<div id="route-map">{figure_div(map_figure(problem, plan), "route-map-figure")}</div>',
        "<h2>KPI panels</h2>",
        f'<div id="kpi-panels">{figure_div(panels_figure(problem, plan, kpis), "kpi-panels-figure")}</div>',
        "<h2>Jobs not planned</h2>",
        f'<div id="unassigned">{unassigned_table(problem, plan)}</div>',
    ])
    return page(f"dispatchopt plan report - {plan.scenario}", body)
