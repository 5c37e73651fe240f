"""``dispatchopt batch`` and ``dispatchopt whatif``: many runs, in parallel, one table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..experiments.batch import run_batch
from ..experiments.whatif import parse_vary, run_whatif
from .common import (EXIT_FAILED, EXIT_OK, MAX_WORKERS, add_backend, add_quiet, add_time_limit, bounded_int, err,
                     existing, int_list, need_backend, need_ray, out, output_dir, positive_float, positive_int, seed_int)

BATCH_COLUMNS = ("scenario", "variant", "backend", "seed", "status", "wall_s", "n_violations",
                 "on_time_rate", "late_jobs", "unassigned", "travel_minutes", "error")
"""Columns of the batch table that ``batch`` prints (every column is in ``results.csv``)."""
WHATIF_KPIS = ("on_time_rate", "late_jobs", "unassigned", "travel_minutes", "overtime_minutes")
"""KPIs (value and delta) that ``whatif`` prints (every KPI is in ``whatif.csv``)."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``batch`` and ``whatif`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("batch", parents=[common], help="solve scenarios x seeds (x backends) in parallel",
                       description="Solve every SCENARIO with every backend and seed; write plans, "
                                   "run records and results.csv to --out.")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="+")
    add_backend(p, repeatable=True)
    add_parallel_flags(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("whatif", parents=[common], help="solve variations of a base scenario",
                       description="Solve BASE once per combination of --vary values and compare "
                                   "each variant's KPIs with the base. Knobs: add_technicians=N, "
                                   "demand=F, speed_factor=F, close_roads=NAME|u-v;u2-v2|none.")
    p.add_argument("base", metavar="BASE", help="base scenario")
    p.add_argument("--vary", action="append", required=True, metavar="KNOB=V1,V2",
                   help="a knob and its values; repeat for several (variants: their product)")
    add_backend(p)
    p.add_argument("--template", metavar="TECH", help="technician id that add_technicians clones")
    p.add_argument("--demand-seed", type=seed_int, default=0, metavar="S",
                   help="seed of the demand resampling (default 0)")
    add_parallel_flags(p)
    p.set_defaults(func=cmd_whatif)


def add_parallel_flags(parser: argparse.ArgumentParser) -> None:
    """Seeds, limits, workers, executor and results directory of ``batch`` and ``whatif``."""
    parser.add_argument("--seeds", type=int_list, default=[0], metavar="0,1,2",
                        help="comma-separated seeds (default 0)")
    add_time_limit(parser, "solver limit per run")
    parser.add_argument("--workers", type=bounded_int(1, MAX_WORKERS), default=2, metavar="W",
                        help="parallel runs (default 2)")
    parser.add_argument("--executor", choices=("process", "ray"), default="process",
                        help="where runs execute (default process; ray needs the ray extra)")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="running Ray cluster to use with --executor ray ('auto', 'host:6379', "
                             "'ray://host:10001')")
    parser.add_argument("--ray-timeout-s", type=positive_float, default=30.0, metavar="N",
                        help="seconds allowed to reach --ray-address (default 30)")
    parser.add_argument("--solution-limit", type=positive_int, metavar="K",
                        help="stop OR-Tools after K improving solutions (reproducible runs)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="results directory (runs already recorded there are not redone)")
    add_quiet(parser)


def check_parallel_flags(args: argparse.Namespace) -> None:
    """Before any work: the results directory can be written, every backend's package and Ray
    are there when asked for."""
    output_dir(args.out, "--out")
    backends = args.backend if isinstance(args.backend, list) else [args.backend]
    for backend in backends:
        if backend:
            need_backend(backend)
    if args.executor == "ray":
        need_ray()
    elif args.ray_address:
        raise ParameterError(f"--ray-address {args.ray_address!r}: given with --executor process; "
                             "add --executor ray (or drop the address)")


def cmd_batch(args: argparse.Namespace) -> int:
    """Run the batch, print its table; exit 1 when a run failed or a plan broke a hard rule."""
    check_parallel_flags(args)
    scenarios = [existing(path, "scenario") for path in args.scenarios]
    table = run_batch(scenarios, backends=args.backend or ["auto"], seeds=args.seeds,
                      time_limit_s=args.time_limit_s, workers=args.workers, executor=args.executor,
                      ray_address=args.ray_address, out_dir=Path(args.out),
                      solution_limit=args.solution_limit, ray_timeout_s=args.ray_timeout_s,
                      progress=not getattr(args, "quiet", False))
    columns = [c for c in BATCH_COLUMNS if c in table.columns
               and not (c in ("variant", "error") and table[c].isna().all())]
    out(table[columns].to_string(index=False))
    n_runs, n_skipped = table.attrs.get("n_runs", len(table)), table.attrs.get("n_skipped", 0)
    out(f"{n_runs} runs ({n_skipped} already recorded); results: {Path(args.out) / 'results.csv'}")
    failed = int((table["status"] == "error").sum()) if "status" in table else 0
    broken = int((table["n_violations"].fillna(0) > 0).sum()) if "n_violations" in table else 0
    if failed or broken:
        err(f"dispatchopt: {failed} run(s) failed and {broken} plan(s) broke a hard rule; "
            "see the error column and the run records")
        return EXIT_FAILED
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    """Run the sweep, print each variant's main KPIs and deltas; exit 1 when a run failed."""
    check_parallel_flags(args)
    base = existing(args.base, "scenario")
    vary = parse_vary(args.vary)
    summary = run_whatif(base, vary, backend=args.backend, seeds=args.seeds,
                         time_limit_s=args.time_limit_s, workers=args.workers, executor=args.executor,
                         ray_address=args.ray_address, out_dir=Path(args.out), template=args.template,
                         demand_seed=args.demand_seed, solution_limit=args.solution_limit,
                         ray_timeout_s=args.ray_timeout_s, progress=not getattr(args, "quiet", False))
    shown = ["variant", *vary, "n_runs", "n_errors"]
    for kpi in WHATIF_KPIS:
        shown += [c for c in (kpi, f"{kpi}_delta") if c in summary.columns]
    out(summary[[c for c in shown if c in summary.columns]].to_string(index=False))
    target = Path(args.out)
    out(f"summary (every KPI and delta): {target / 'whatif.csv'}; runs: {target / 'results.csv'}")
    failed = int(summary["n_errors"].sum()) if "n_errors" in summary else 0
    if failed:
        err(f"dispatchopt: {failed} what-if run(s) failed; see {target / 'results.csv'}")
        return EXIT_FAILED
    return EXIT_OK
