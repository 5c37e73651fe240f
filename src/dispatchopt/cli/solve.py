"""``dispatchopt solve``, ``verify`` and ``kpi``: one scenario, one plan."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from pathlib import Path
from typing import Any

from ..audit.kpi import by_day_table, compute_kpis, flat_kpis, kpi_table
from ..audit.verify import verify
from ..plan import Plan
from ..solvers import solve
from .report import write_plan_report
from .common import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, add_backend, add_time_limit, check_backend, err, load_plan,
                     load_problem, out, output_dir, output_file, print_violations, seed_int)

log = logging.getLogger("dispatchopt")

SHOW_UNASSIGNED = 20
"""``solve`` lists this many jobs not planned (with their reasons), then a count of the rest."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``solve``, ``verify`` and ``kpi`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("solve", parents=[common], help="solve a scenario, verify the plan, print KPIs",
                       description="Load SCENARIO, solve it, verify the plan against every hard "
                                   "rule, compute the KPIs and write the plan.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML/JSON file or CSV directory")
    add_time_limit(p)
    p.add_argument("--seed", type=seed_int, default=0, metavar="S", help="random seed (default 0)")
    add_backend(p)
    p.add_argument("--out", metavar="PLAN.json", help="write the plan (with its KPIs) here")
    p.add_argument("--csv", metavar="DIR", help="write visits.csv, unassigned.csv and kpis.csv here")
    p.add_argument("--report", metavar="REPORT.html", help="write the HTML plan report here")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("verify", parents=[common], help="check a plan against every hard rule",
                       description="Re-time PLAN against SCENARIO; print OK or the violations.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="plan JSON file")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("kpi", parents=[common], help="recompute and print a plan's KPIs",
                       description="Recompute the KPIs of PLAN from SCENARIO and print them.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="plan JSON file")
    p.set_defaults(func=cmd_kpi)


def cmd_solve(args: argparse.Namespace) -> int:
    """Load, solve, verify (a plan that breaks a hard rule is not written: exit 1), compute the
    KPIs, write ``--out`` / ``--csv`` and print the summary; exit 1 when nothing was plannable."""
    t0 = time.perf_counter()
    if args.out:
        output_file(args.out, "--out")
    if args.csv:
        output_dir(args.csv, "--csv")
    if args.report:
        output_file(args.report, "--report")
    problem = load_problem(args.scenario)
    check_backend(problem, args.backend)
    log.info("solving %s (%d jobs, %d technicians) with %s, limit %.1f s, seed %d",
             args.scenario, len(problem.jobs), len(problem.technicians), args.backend,
             args.time_limit_s, args.seed)
    out(f"solving {args.scenario}: {len(problem.jobs)} jobs, {len(problem.technicians)} technicians, "
        f"{args.backend}, limit {args.time_limit_s:g} s (Ctrl-C stops)", flush=True)
    result, interrupted = solve_interruptibly(problem, args)
    if interrupted:
        return interrupted_solve(problem, args, time.perf_counter() - t0, result)
    plan = result.plan
    violations = verify(problem, plan)
    if violations:
        print_violations(violations)
        err(f"dispatchopt: the {args.backend} plan breaks {len(violations)} hard rule(s); "
            "it was not written")
        return EXIT_FAILED

    plan = plan.with_kpis(compute_kpis(problem, plan))
    if args.out:
        target = Path(args.out)
        target.parent.mkdir(parents=True, exist_ok=True)
        plan.save(target)
        log.info("plan written to %s", target)
    if args.csv:
        write_csv(plan, Path(args.csv))
    if args.report:
        write_plan_report(problem, plan, args.report, violations=violations)

    status = getattr(result.status, "value", result.status)
    kpis = dict(plan.kpis)
    by_day = kpis.pop("by_day", None)
    out(kpi_table(kpis))
    if by_day:
        out()
        out(by_day_table(by_day))
    out()
    out(f"status: {status} (backend {plan.solver.backend})")
    out(f"wall time: {result.stats.wall_s:.2f} s solver, {time.perf_counter() - t0:.2f} s total")
    print_unassigned(plan, len(problem.jobs), more_in=args.out)
    if args.out:
        out(f"plan: {args.out}")
    if args.csv:
        out(f"tables: {args.csv}")
    if args.report:
        out(f"report: {args.report}")
    if status == "no_solution":
        err("dispatchopt: nothing was plannable (status no_solution); see the reasons above")
        return EXIT_FAILED
    return EXIT_OK


HANDBACK_S = 1.2
"""After Ctrl-C, how long ``solve`` waits for the search to hand back its best plan."""


def solve_interruptibly(problem: Any, args: argparse.Namespace) -> tuple[Any, bool]:
    """``solve`` in a worker thread, so that Ctrl-C reaches this (main) thread at once:
    (result, False) when the search ended, or (its best result or None, True) on Ctrl-C. On
    Ctrl-C the search is asked to stop (``solve(stop=...)``) and given :data:`HANDBACK_S` to
    hand back the best plan it has; a second Ctrl-C stops the wait."""
    box: dict[str, Any] = {}
    stop, finished = threading.Event(), threading.Event()

    def work() -> None:
        try:
            box["result"] = solve(problem, backend=args.backend, time_limit_s=args.time_limit_s,
                                  seed=args.seed, stop=stop.is_set)
        except BaseException as exc:   # handed to the main thread, raised there
            box["error"] = exc
        finally:
            finished.set()

    # (an Event, not Thread.join: a join interrupted by Ctrl-C may return at once when called again)
    thread = threading.Thread(target=work, name="dispatchopt-solve", daemon=True)
    thread.start()
    try:
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        stop.set()
        # what a search says of being cut short ("found no solution in 1.1 s") is not news: one line
        log.setLevel(max(log.getEffectiveLevel(), logging.ERROR))
        try:
            finished.wait(HANDBACK_S)
        except KeyboardInterrupt:
            pass
        if "error" in box:
            log.error("the interrupted search failed: %r", box["error"])
        return box.get("result"), True
    if "error" in box:
        raise box["error"]
    return box["result"], False


def interrupted_solve(problem: Any, args: argparse.Namespace, elapsed_s: float, result: Any = None) -> int:
    """Ctrl-C during ``solve``: exit 130 with one line. With ``--out`` the best plan the search
    handed back is written, verified first; when none came back in time (or it broke a rule), the
    greedy plan (the dispatcher-by-hand baseline, a fraction of a second), verified too."""
    where = f"interrupted after {elapsed_s:.1f} s"
    if not args.out:
        err(f"dispatchopt: {where}; no plan written (no --out)")
        return EXIT_INTERRUPTED
    if result is not None and not verify(problem, result.plan):
        plan = result.plan
        _write(problem, plan, args.out)
        err(f"dispatchopt: {where}; wrote the best plan found so far ({len(plan.assigned_job_ids())} of "
            f"{len(problem.jobs)} jobs, verified, backend {plan.solver.backend}) to {args.out}")
        return EXIT_INTERRUPTED
    if result is not None:
        log.error("the best plan the search handed back breaks a hard rule (a bug); writing the greedy plan")
    plan = solve(problem, backend="greedy", time_limit_s=10.0, seed=args.seed).plan
    if verify(problem, plan):
        err(f"dispatchopt: {where}; the greedy plan at hand breaks a hard rule; nothing written")
        return EXIT_INTERRUPTED
    _write(problem, plan, args.out)
    err(f"dispatchopt: {where}; the {args.backend} search handed back no plan in time, so the greedy "
        f"plan ({len(plan.assigned_job_ids())} of {len(problem.jobs)} jobs, verified) was written to {args.out}")
    return EXIT_INTERRUPTED


def _write(problem: Any, plan: Plan, target: str) -> None:
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    plan.with_kpis(compute_kpis(problem, plan)).save(Path(target))


def print_unassigned(plan: Plan, n_jobs: int, *, more_in: str | None = None) -> None:
    """How many jobs are planned, then the first :data:`SHOW_UNASSIGNED` others with reasons."""
    out(f"planned: {len(plan.assigned_job_ids())} of {n_jobs} jobs; "
        f"not planned: {len(plan.unassigned)}" + (":" if plan.unassigned else ""))
    for item in plan.unassigned[:SHOW_UNASSIGNED]:
        out(f"  {item.job}: {item.reason}")
    if len(plan.unassigned) > SHOW_UNASSIGNED:
        out(f"  ... and {len(plan.unassigned) - SHOW_UNASSIGNED} more"
            + (f" (see {more_in})" if more_in else ""))


def write_csv(plan: Plan, directory: Path) -> None:
    """``visits.csv``, ``unassigned.csv`` and ``kpis.csv`` (columns kpi, value) of ``plan``."""
    import pandas as pd     # here, not at the top: half a second that every other command saves

    directory.mkdir(parents=True, exist_ok=True)
    plan.to_frame().to_csv(directory / "visits.csv", index=False)
    plan.unassigned_frame().to_csv(directory / "unassigned.csv", index=False)
    pd.DataFrame(list(flat_kpis(plan.kpis or {}).items()), columns=["kpi", "value"]).to_csv(
        directory / "kpis.csv", index=False)
    log.info("visits.csv, unassigned.csv and kpis.csv written to %s", directory)


def cmd_verify(args: argparse.Namespace) -> int:
    """Print ``OK`` (exit 0) or every violation (exit 1)."""
    problem = load_problem(args.scenario)
    plan = load_plan(problem, args.plan)
    violations = verify(problem, plan)
    if violations:
        print_violations(violations)
        return EXIT_FAILED
    out("OK")
    return EXIT_OK


def cmd_kpi(args: argparse.Namespace) -> int:
    """Print the KPI table of a plan file, recomputed from the scenario."""
    problem = load_problem(args.scenario)
    plan = load_plan(problem, args.plan)
    out(kpi_table(compute_kpis(problem, plan)))
    return EXIT_OK
