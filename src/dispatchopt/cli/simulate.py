"""``dispatchopt simulate SCENARIO PLAN``: the plan on many random days, the KPI distribution.

Prints the table (one row per executed KPI: mean, p5, p50, p95 over the runs), the failed runs
with their seeds and the wall time; ``--out DIR`` writes ``simulation.csv`` (the table) and
``runs.csv`` (one row per run). Exit 1 when a run failed (a plan broke a hard rule or the live
engine refused an event), 2 for bad input (a morning plan that does not verify included). A
progress bar on a terminal, nothing in a pipe or with ``-q``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ..simulate import simulate
from ..simulate.runs import POLICIES
from .common import EXIT_FAILED, EXIT_OK, add_quiet, err, load_plan, load_problem, out, positive_int


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _probability(text: str) -> float:
    value = _non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}")
    return value


def add_simulate_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``simulate`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("simulate", parents=[common], help="replay a plan on random days, KPI distribution",
                       description="Draw --runs random days (new emergencies, service times around "
                                   "the planned ones, customers not at home, technicians falling "
                                   "ill), replay each through the live engine (every plan verified) "
                                   "and print the distribution of the executed KPIs.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="the morning plan (JSON) to simulate")
    p.add_argument("--runs", type=positive_int, default=100, metavar="N", help="days to draw (default 100)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="run i uses seed S + i (default 0)")
    p.add_argument("--emergencies-per-hour", type=_non_negative, default=1.0, metavar="R",
                   help="new emergencies / urgent jobs per hour of the working day (default 1)")
    p.add_argument("--duration-noise", type=_non_negative, default=0.3, metavar="CV",
                   help="coefficient of variation of the service times (lognormal; default 0.3)")
    p.add_argument("--no-show", type=_probability, default=0.03, metavar="P",
                   help="probability a customer is not at home (default 0.03)")
    p.add_argument("--sick", type=_probability, default=0.02, metavar="P",
                   help="probability a technician falls ill during the day (default 0.02)")
    p.add_argument("--cancel", type=_probability, default=0.0, metavar="P",
                   help="probability a customer cancels a job before it starts (default 0)")
    p.add_argument("--policy", choices=POLICIES, default=None,
                   help="preemption of emergencies (default: the scenario's)")
    p.add_argument("--replan-every", type=_non_negative, default=None, metavar="MIN",
                   help="re-optimise the open day every MIN minutes (default: immediate answers only)")
    p.add_argument("--workers", type=positive_int, default=2, metavar="W", help="parallel runs (default 2)")
    p.add_argument("--executor", choices=("process", "ray"), default=None,
                   help="where runs execute (default process, ray with --ray-address; ray needs the ray extra)")
    p.add_argument("--ray-address", metavar="A", help="running Ray cluster to use with --executor ray")
    p.add_argument("--full-verify", action="store_true",
                   help="check every published plan with verify itself (default: the same answers, "
                        "re-checking only the routes an event changed; about 5x faster)")
    p.add_argument("--out", metavar="DIR", help="write simulation.csv (the table) and runs.csv there")
    add_quiet(p)
    p.set_defaults(func=cmd_simulate)


def _fmt(value: float) -> str:
    if value != value:      # NaN
        return "-"
    return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def format_table(table) -> str:
    """The distribution table as aligned text (KPI, mean, p5, p50, p95)."""
    rows = [("kpi", *table.columns)] + [(str(k), *(_fmt(v) for v in row)) for k, row in
                                         zip(table.index, table.itertuples(index=False))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_simulate(args: argparse.Namespace) -> int:
    problem = load_problem(args.scenario)
    plan = load_plan(problem, args.plan)
    result = simulate(problem, plan, runs=args.runs, seed=args.seed,
                      emergencies_per_hour=args.emergencies_per_hour, duration_noise_cv=args.duration_noise,
                      no_show_p=args.no_show, sick_p=args.sick, cancel_p=args.cancel, policy=args.policy,
                      workers=args.workers, executor=args.executor, ray_address=args.ray_address,
                      replan_every=args.replan_every or None,
                      progress=not getattr(args, "quiet", False), full_verify=args.full_verify)
    table = result.table()
    good = len(result.runs)
    verified = int(result.runs["plans_verified"].sum()) if good else 0
    out(f"{problem.name}: {good} of {args.runs} simulated day(s), seeds {args.seed}..{args.seed + args.runs - 1}, "
        f"each replayed with every published plan verified ({verified} plans, all clean)")
    out(format_table(table))
    for failure in result.failures:
        err(f"run {failure.run} failed: {failure.message}")
    out(f"wall time {result.wall_s:.1f} s ({args.workers} worker(s), {result.params['executor']})")
    if args.out:
        directory = Path(args.out)
        directory.mkdir(parents=True, exist_ok=True)
        table.to_csv(directory / "simulation.csv")
        result.runs.to_csv(directory / "runs.csv", index=False)
        out(f"table: {directory / 'simulation.csv'}; runs: {directory / 'runs.csv'}")
    return EXIT_FAILED if result.failures else EXIT_OK
