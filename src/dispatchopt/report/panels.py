"""The KPI panels: on-time by category against the SLA, travel and utilisation per technician,
workload spread, lateness histogram (one plotly figure of subplots), and the unassigned table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..domain import Problem
from ..plan import Plan
from .common import categories, category_colours, technician_loads
from .html import esc, table


def _late_minutes(plan: Plan) -> list[float]:
    """Per late job (a crew counted once, at its latest member), minutes past the SLA deadline."""
    late: dict[str, float] = defaultdict(float)
    for route in plan.routes:
        for visit in route.visits:
            if visit.late_s > 0:
                late[visit.job] = max(late[visit.job], visit.late_s / 60)
    return list(late.values())


def _on_time_bar(problem: Problem, kpis: dict[str, Any]):
    import plotly.graph_objects as go

    rates = kpis.get("on_time_rate_by_category", {})
    counts = defaultdict(int)
    for job in problem.jobs:
        if job.dispatchable:
            counts[job.category] += 1
    cats = [c for c in categories(problem) if c in rates]
    colours = category_colours(problem)
    labels = [f"{rates[c] * 100:.0f}% of {counts[c]}" for c in cats]
    sla = [problem.sla[c] for c in cats]
    hover = [f"{c}: {rates[c] * 100:.1f}% on time of {counts[c]} jobs<br>SLA: "
             + (f"{s.working_days} working day(s)" if s.working_days else f"on site within {s.respond_minutes:g} min")
             + f", weight {s.weight:g}" for c, s in zip(cats, sla)]
    return go.Bar(x=cats, y=[rates[c] for c in cats], text=labels, textposition="outside",
                  hovertext=hover, hoverinfo="text", name="on time",
                  marker={"color": [colours[c] for c in cats]}, showlegend=False)


def panels_figure(problem: Problem, plan: Plan, kpis: dict[str, Any]):
    """The KPI panels of ``plan`` (a plotly Figure of subplots)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    loads = technician_loads(problem, plan)
    ids = list(loads)
    late = _late_minutes(plan)
    workers = [loads[t.id].work_s / 3600 for t in problem.technicians if not t.trainee]
    figure = make_subplots(
        rows=4, cols=2, vertical_spacing=0.09, horizontal_spacing=0.08,
        specs=[[{}, {}], [{"colspan": 2}, None], [{"colspan": 2}, None], [{}, {}]],
        subplot_titles=(
            f"On time by category (SLA met; overall {kpis.get('on_time_rate', 0) * 100:.1f}%)",
            f"Lateness of late jobs ({len(late)} late, p95 {kpis.get('p95_late_minutes', 0):g} min over all)",
            f"Travel per technician (total {kpis.get('travel_minutes', 0):g} min)",
            f"Utilisation per technician (work / shift; overall {kpis.get('utilisation', 0) * 100:.1f}%)",
            f"Workload spread (non-trainees; CV {kpis.get('workload_cv', 0):g})",
            "Visits per technician"))
    figure.add_trace(_on_time_bar(problem, kpis), row=1, col=1)
    figure.add_trace(go.Histogram(x=late, nbinsx=30, name="late jobs", showlegend=False,
                                  marker={"color": "#c62828"},
                                  hovertemplate="%{x} min late: %{y} job(s)<extra></extra>"), row=1, col=2)
    figure.add_trace(go.Bar(x=ids, y=[loads[i].travel_s / 60 for i in ids], name="travel", showlegend=False,
                            marker={"color": "#5f6b7a"},
                            hovertemplate="%{x}: %{y:.1f} min travel<extra></extra>"), row=2, col=1)
    util = [loads[i].utilisation for i in ids]
    figure.add_trace(go.Bar(x=ids, y=util, name="utilisation", showlegend=False,
                            marker={"color": ["#c62828" if u > 1 else "#1f77b4" for u in util]},
                            hovertemplate="%{x}: %{y:.1%} of shift worked<extra></extra>"), row=3, col=1)
    figure.add_trace(go.Histogram(x=workers, nbinsx=20, name="work hours", showlegend=False,
                                  marker={"color": "#2ca02c"},
                                  hovertemplate="%{x} h of work: %{y} technician(s)<extra></extra>"),
                     row=4, col=1)
    figure.add_trace(go.Histogram(x=[loads[i].visits for i in ids], name="visits", showlegend=False,
                                  marker={"color": "#9467bd"},
                                  hovertemplate="%{x} visits: %{y} technician(s)<extra></extra>"),
                     row=4, col=2)
    if not late:
        figure.add_annotation(text="no late job", showarrow=False, font={"size": 14, "color": "#1a7f37"},
                              xref="x2 domain", yref="y2 domain", x=0.5, y=0.5)
    figure.update_yaxes(range=[0, 1.15], tickformat=".0%", row=1, col=1)
    figure.update_xaxes(title="minutes late", row=1, col=2)
    figure.update_yaxes(title="jobs", row=1, col=2)
    figure.update_yaxes(title="minutes", row=2, col=1)
    figure.update_yaxes(tickformat=".0%", row=3, col=1)
    figure.update_xaxes(title="hours of work (travel + service)", row=4, col=1)
    figure.update_xaxes(title="visits", row=4, col=2)
    figure.update_yaxes(title="technicians", row=4, col=1)
    figure.update_xaxes(tickfont={"size": 9}, row=2, col=1)
    figure.update_xaxes(tickfont={"size": 9}, row=3, col=1)
    figure.update_layout(height=1250, margin={"l": 60, "r": 20, "t": 60, "b": 50}, bargap=0.15)
    return figure


def kpi_summary_table(kpis: dict[str, Any]) -> str:
    """The KPIs of :func:`compute_kpis`, one row each (per category rates as their own rows)."""
    from ..audit.kpi import flat_kpis

    flat = flat_kpis({k: v for k, v in kpis.items() if k != "by_day"})
    rows = [(name, _cell(value)) for name, value in flat.items()]
    return table(("kpi", "value"), rows, table_id="kpi-table", numeric=(False, True)) + by_day_summary_table(kpis)


def _cell(value: Any) -> Any:
    return "-" if value is None else (f"{value:g}" if isinstance(value, float) else value)


def by_day_summary_table(kpis: dict[str, Any]) -> str:
    """A multi-day plan's KPIs split by day (the ``by_day`` block of :func:`compute_kpis`), one
    row per day; ``""`` for a one-day plan."""
    from ..audit.kpi import BY_DAY_COLUMNS

    by_day = kpis.get("by_day")
    if not by_day:
        return ""
    rows = [(day,) + tuple(_cell(day_kpis.get(c)) for c in BY_DAY_COLUMNS) for day, day_kpis in by_day.items()]
    return ("<h2>By day</h2>" + table(("day",) + BY_DAY_COLUMNS, rows, table_id="kpi-by-day",
                                      numeric=(False,) + (True,) * len(BY_DAY_COLUMNS)))


def unassigned_table(problem: Problem, plan: Plan) -> str:
    """Every job not planned, with its category, SLA due and the reason (a dispatcher can act on)."""
    from .common import ClockText

    clock = ClockText(problem)
    rows = []
    for item in plan.unassigned:
        job = problem.job(item.job) if problem.has_job(item.job) else None
        rows.append((item.job, job.category if job else "?", clock.hhmm(job.due_s) if job else "-",
                     item.reason))
    if not rows:
        return '<p class="note" id="unassigned-table">Every dispatchable job is planned.</p>'
    reasons: dict[str, int] = defaultdict(int)
    for item in plan.unassigned:
        reasons[item.reason] += 1
    top = sorted(reasons.items(), key=lambda kv: -kv[1])[:5]
    summary = "; ".join(f"{n} x {esc(r)}" for r, n in top)
    return (f'<p class="note">{len(rows)} job(s) not planned. Most common reasons: {summary}</p>'
            f'<div class="scroll">{table(("job", "category", "SLA due", "reason"), rows, table_id="unassigned-table")}</div>')

