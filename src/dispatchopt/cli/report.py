"""``dispatchopt report``: the HTML report of a plan, or of a batch / what-if folder.

``dispatchopt report SCENARIO PLAN --out report.html`` re-checks the plan (the report is
written even when it breaks a hard rule, under a red banner; exit 1 then) and writes
:func:`dispatchopt.report.plan_report`. ``dispatchopt report --batch DIR --out report.html``
writes :func:`dispatchopt.report.batch_report` of a ``batch`` / ``whatif`` ``--out`` folder.

Registered by :func:`add_report_parser`; ``solve --report FILE`` can call
:func:`write_plan_report` with the plan it has just verified.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..audit.verify import verify
from ..domain import Problem
from ..errors import ParameterError
from ..plan import Plan
from .common import EXIT_FAILED, EXIT_OK, err, existing, load_plan, load_problem, out, print_violations

log = logging.getLogger("dispatchopt")


def add_report_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``report`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("report", parents=[common], help="write an HTML report of a plan or a batch",
                       description="Write a self-contained HTML report (opens offline): of PLAN "
                                   "against SCENARIO (Gantt board, route map, KPI panels, jobs not "
                                   "planned), or with --batch of a batch / whatif output folder.")
    p.add_argument("scenario", metavar="SCENARIO", nargs="?", help="scenario file (not with --batch)")
    p.add_argument("plan", metavar="PLAN", nargs="?", help="plan JSON file (not with --batch)")
    p.add_argument("--batch", metavar="DIR", help="the --out folder of dispatchopt batch or whatif")
    p.add_argument("--out", metavar="REPORT.html", required=True, help="write the report here")
    p.set_defaults(func=cmd_report)


def write_html(text: str, target: str | Path) -> Path:
    """Write a report page (parent folders made); returns the path."""
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_plan_report(problem: Problem, plan: Plan, target: str | Path, *,
                      violations: Sequence[Any] | None = None) -> Path:
    """The plan report of ``plan`` written to ``target`` (``violations`` as from ``verify``)."""
    from ..report import plan_report    # plotly is imported only when a report is written

    t0 = time.perf_counter()
    path = write_html(plan_report(problem, plan, violations=violations), target)
    log.info("report written to %s (%.1f MB, %.2f s)", path, path.stat().st_size / 1e6,
             time.perf_counter() - t0)
    return path


def cmd_report(args: argparse.Namespace) -> int:
    """Write the plan report (exit 1 when the plan breaks a hard rule) or the batch report."""
    if args.batch is not None:
        if args.scenario is not None or args.plan is not None:
            raise ParameterError(f"report --batch {args.batch!r}: takes no SCENARIO or PLAN "
                                 f"(got {' '.join(a for a in (args.scenario, args.plan) if a)!r})")
        from ..report import batch_report

        folder = existing(args.batch, "batch folder")
        path = write_html(batch_report(folder), args.out)
        out(f"report: {path}")
        return EXIT_OK
    if args.scenario is None or args.plan is None:
        raise ParameterError("report: expected SCENARIO and PLAN (or --batch DIR), got "
                             f"{'nothing' if args.scenario is None else repr(args.scenario) + ' only'}")
    problem = load_problem(args.scenario)
    plan = load_plan(problem, args.plan)
    violations = verify(problem, plan)
    path = write_plan_report(problem, plan, args.out, violations=violations)
    if violations:
        print_violations(violations)
        err(f"dispatchopt: the plan breaks {len(violations)} hard rule(s); the report shows them")
        out(f"report: {path}")
        return EXIT_FAILED
    out(f"report: {path}")
    return EXIT_OK
