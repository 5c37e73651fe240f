"""``batch_report(results_dir)``: the KPIs of a batch or what-if folder as charts and a table.

Reads ``results.csv`` (one row per run, written by ``dispatchopt batch`` and ``whatif``) or,
when only that is there, ``whatif.csv``. Runs are grouped per variant (scenario, what-if
variant and backend, whichever differ between runs) and averaged over their successful seeds.
The base of the deltas is, per scenario and backend, the what-if variant ``base``; in a plain
batch (no variants), the first group of each scenario (backends in table order).
Charts: on-time by category, travel, unassigned and overtime, once as values and once as
deltas against the base; the table beside them has every figure with its delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..experiments.runs import ERROR_STATUS
from .html import esc, figure_div, number, page, table

CHART_KPIS = ("travel_minutes", "unassigned", "overtime_minutes")
"""The single-figure KPIs charted beside on-time by category."""
TABLE_KPIS = ("on_time_rate", "late_jobs", "mean_late_minutes", "unassigned", "travel_minutes",
              "distance_km", "utilisation", "workload_cv", "overtime_minutes")
CATEGORY_PREFIX = "on_time_rate__"
BASE_LABEL = "base"


@dataclass
class Group:
    """One variant: its label, run counts and mean KPIs (NaN where no run succeeded)."""

    label: str
    base_key: tuple
    is_base: bool
    n_runs: int
    n_errors: int
    kpis: dict[str, float] = field(default_factory=dict)
    deltas: dict[str, float] = field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _groups_from_runs(runs) -> list[Group]:
    import pandas as pd

    for col in ("scenario", "variant", "backend"):
        if col not in runs:
            runs[col] = ""
        runs[col] = runs[col].map(_text)
    kpi_cols = [c for c in runs.columns if c in TABLE_KPIS or c.startswith(CATEGORY_PREFIX)]
    has_variants = (runs["variant"] != "").any()
    varying = [c for c in ("scenario", "variant", "backend") if runs[c].nunique() > 1]
    groups = []
    for key, mine in runs.groupby(["scenario", "variant", "backend"], sort=False):
        scenario, variant, backend = key
        label = " / ".join(str(dict(zip(("scenario", "variant", "backend"), key))[c]) for c in varying) \
            or (variant or scenario or "run")
        ok = mine[mine["status"].map(_text) != ERROR_STATUS] if "status" in mine else mine
        group = Group(label=label, base_key=(scenario, backend) if has_variants else (scenario,),
                      is_base=(variant or BASE_LABEL) == BASE_LABEL if has_variants else False,
                      n_runs=len(mine), n_errors=len(mine) - len(ok))
        for col in kpi_cols:
            values = pd.to_numeric(ok[col], errors="coerce")
            group.kpis[col] = float(values.mean()) if values.notna().any() else math.nan
        groups.append(group)
    if has_variants:            # the base first (the table is sorted by variant name)
        groups.sort(key=lambda g: not g.is_base)
    else:                       # a plain batch: the first group of each scenario is its base
        seen: set[tuple] = set()
        for group in groups:
            group.is_base = group.base_key not in seen
            seen.add(group.base_key)
    return groups


def _groups_from_whatif(summary) -> list[Group]:
    kpis = [c for c in summary.columns if f"{c}_delta" in summary.columns]
    groups = []
    for _, row in summary.iterrows():
        label = _text(row["variant"])
        group = Group(label=label, base_key=(), is_base=label == BASE_LABEL,
                      n_runs=int(row.get("n_runs", 0) or 0), n_errors=int(row.get("n_errors", 0) or 0))
        group.kpis = {k: float(row[k]) for k in kpis}
        groups.append(group)
    return groups


def _add_deltas(groups: list[Group]) -> None:
    bases = {g.base_key: g for g in groups if g.is_base}
    for group in groups:
        base = bases.get(group.base_key)
        group.deltas = {k: (v - base.kpis.get(k, math.nan)) if base is not None else math.nan
                        for k, v in group.kpis.items()}


def load_groups(results_dir: str | Path) -> list[Group]:
    """The variants of a batch / what-if output folder with their mean KPIs and deltas."""
    import pandas as pd

    folder = Path(results_dir)
    results, whatif = folder / "results.csv", folder / "whatif.csv"
    if results.is_file():
        groups = _groups_from_runs(pd.read_csv(results))
        if whatif.is_file():    # the what-if's own variant order (the order of its --vary values)
            labels = pd.read_csv(whatif).get("variant", pd.Series(dtype=str)).map(_text)
            order = {label: i for i, label in enumerate(labels)}
            groups.sort(key=lambda g: order.get(g.label, len(order)))
    elif whatif.is_file():
        groups = _groups_from_whatif(pd.read_csv(whatif))
    else:
        raise ParameterError(f"results_dir {str(folder)!r}: no results.csv or whatif.csv in it "
                             "(expected the --out folder of dispatchopt batch or whatif)")
    if not groups:
        raise ParameterError(f"results_dir {str(folder)!r}: the results table has no runs")
    _add_deltas(groups)
    return groups


def _charts(groups: list[Group], which: str):
    """2 x 2 bar charts of the groups' values (``which="kpis"``) or deltas (``"deltas"``)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    labels = [g.label.replace(",", ",<br>") for g in groups]     # one knob per line under a bar
    cats = sorted({k for g in groups for k in g.kpis if k.startswith(CATEGORY_PREFIX)})
    if not cats and any("on_time_rate" in g.kpis for g in groups):
        cats = ["on_time_rate"]
    word = "" if which == "kpis" else " - delta vs base"
    figure = make_subplots(rows=2, cols=2, vertical_spacing=0.26, horizontal_spacing=0.1, subplot_titles=(
        f"On time by category{word}", f"Travel minutes{word}", f"Unassigned jobs{word}",
        f"Overtime minutes{word}"))
    for cat in cats:
        name = cat.removeprefix(CATEGORY_PREFIX) if cat != "on_time_rate" else "all"
        figure.add_trace(go.Bar(x=labels, y=[getattr(g, which).get(cat) for g in groups], name=name,
                                legendgroup=name, hovertemplate=f"{esc(name)}: %{{y:.1%}}<extra>%{{x}}</extra>"),
                         row=1, col=1)
    for (kpi, colour), (row, col) in zip(zip(CHART_KPIS, ("#5f6b7a", "#c62828", "#ff00aa")),
                                         ((1, 2), (2, 1), (2, 2))):
        figure.add_trace(go.Bar(x=labels, y=[getattr(g, which).get(kpi) for g in groups], name=kpi,
                                showlegend=False, marker={"color": colour},
                                hovertemplate=f"{kpi}: %{{y:.2f}}<extra>%{{x}}</extra>"), row=row, col=col)
    figure.update_yaxes(tickformat=".0%", row=1, col=1)
    figure.update_xaxes(tickangle=-30, tickfont={"size": 10})
    figure.update_layout(height=880, width=980, barmode="group", margin={"l": 60, "r": 20, "t": 110, "b": 40},
                         legend={"title": {"text": "category"}, "font": {"size": 10}, "orientation": "h",
                                 "y": 1.08, "yanchor": "bottom", "x": 0})
    return figure


def _summary_table(groups: list[Group]) -> str:
    """One column per variant (the base marked), one row per KPI: value (delta vs base)."""
    kpis = [k for k in TABLE_KPIS if any(k in g.kpis for g in groups)] + sorted(
        {k for g in groups for k in g.kpis if k.startswith(CATEGORY_PREFIX)})
    header = ["kpi"] + [g.label + (" (base)" if g.is_base else "") for g in groups]
    rows = [["runs"] + [g.n_runs for g in groups], ["failed runs"] + [g.n_errors for g in groups]]
    for k in kpis:
        cells = [k.replace(CATEGORY_PREFIX, "on time: ")]
        for g in groups:
            value, delta = g.kpis.get(k), g.deltas.get(k)
            text = number(value, 4)
            if not g.is_base and delta is not None and not math.isnan(delta):
                text += f" ({'+' if delta >= 0 else ''}{number(delta, 4)})"
            cells.append(text)
        rows.append(cells)
    return table(header, rows, table_id="batch-table", numeric=[False] + [True] * len(groups))


def batch_report(results_dir: str | Path) -> str:
    """The HTML report of a ``dispatchopt batch`` / ``whatif`` output folder (a complete page).

    Raises :class:`~dispatchopt.errors.ParameterError` naming the folder when it holds neither
    ``results.csv`` nor ``whatif.csv``, or a table without runs.
    """
    groups = load_groups(results_dir)
    name = Path(results_dir).resolve().name
    failed = sum(g.n_errors for g in groups)
    meta = (f"{len(groups)} variant(s), {sum(g.n_runs for g in groups)} run(s)"
            + (f', <span class="bad">{failed} failed</span>' if failed else "")
            + "; figures are means over the successful seeds, deltas against the base "
              "(in brackets in the table).")
    body = "\n".join([
        f'<div id="summary"><h1>Batch report: {esc(name)}</h1><div class="meta">{meta}</div></div>',
        '<div class="side">',
        f'<div id="batch-charts">{figure_div(_charts(groups, "kpis"), "batch-kpis-figure")}'
        f'{figure_div(_charts(groups, "deltas"), "batch-deltas-figure")}</div>',
        f'<div id="batch-table-box" class="scroll tall">{_summary_table(groups)}</div>',
        "</div>",
    ])
    return page(f"dispatchopt batch report - {name}", body)
