"""HTML reports a planner opens in a browser: one self-contained file each (plotly.js inlined
once, nothing fetched from the network).

- :func:`plan_report` (``dispatchopt report SCENARIO PLAN``): Gantt board, route map, KPI
  panels and the jobs not planned, of one plan;
- :func:`batch_report` (``dispatchopt report --batch DIR``): each variant's KPIs and deltas
  against the base of a batch or what-if output folder.
"""

from .batch import batch_report as batch_report
from .plan import SECTION_IDS as SECTION_IDS, plan_report as plan_report

__all__ = ["SECTION_IDS", "batch_report", "plan_report"]
