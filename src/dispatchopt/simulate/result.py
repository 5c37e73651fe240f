"""The outcome of a simulation: one row per run, and the distribution of the executed KPIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

STAT_COLUMNS = ("mean", "p5", "p50", "p95")

TABLE_KPIS = ("on_time_rate", "travel_minutes", "overtime_minutes", "unassigned", "customers_notified")
"""The KPIs of the table, in this order; the per-category on-time rates come after
``on_time_rate`` (``on_time_rate__<category>``, sorted)."""

COUNT_COLUMNS = ("new_jobs", "no_shows", "sick", "cancelled", "replans", "events", "plans_verified")
"""What happened in each day (attributes of :class:`~.replay.Executed`), after the KPIs."""


@dataclass(frozen=True)
class RunFailure:
    """A run that broke: its index, its seed and why (a verify violation or a refused event)."""

    run: int
    seed: int
    message: str


@dataclass(frozen=True)
class SimulationResult:
    """``runs``: one row per successful run (``run``, ``seed``, the executed KPIs flattened as
    batch columns, ``customers_notified`` and the counts of :data:`COUNT_COLUMNS`), by run index;
    ``failures``: the runs that broke; ``params``: what was simulated. :meth:`table` is the
    distribution over runs."""

    runs: pd.DataFrame
    failures: tuple[RunFailure, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def table(self) -> pd.DataFrame:
        """One row per KPI (``jobs_left`` is the final plan's ``unassigned``; the counts of the
        day after the KPIs), columns mean, p5, p50, p95 (numpy's linear percentiles, rounded to 4
        decimals; NaN where no run has the value)."""
        return distribution(self.runs)


def kpi_columns(columns: Sequence[str]) -> list[str]:
    """The table's rows, in order, among ``columns``."""
    cats = sorted(c for c in columns if c.startswith("on_time_rate__"))
    order = ["on_time_rate", *cats, *TABLE_KPIS[1:], *COUNT_COLUMNS]
    return [c for c in order if c in columns]


def distribution(runs: pd.DataFrame) -> pd.DataFrame:
    """mean / p5 / p50 / p95 of each KPI column of ``runs`` (see SimulationResult.table)."""
    rows = {}
    for column in kpi_columns(list(runs.columns)):
        values = pd.to_numeric(runs[column], errors="coerce").to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            rows[column] = [np.nan] * len(STAT_COLUMNS)
            continue
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        rows[column] = [round(float(v), 4) for v in (values.mean(), p5, p50, p95)]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(STAT_COLUMNS))
    table.index.name = "kpi"
    return table.rename(index={"unassigned": "jobs_left"})
