"""Field-service benchmark: greedy, dispatchopt OR-Tools and VROOM on full dispatch scenarios.

    python benchmarks/field_bench.py [--scenarios scenarios/city_day.yaml,...] --time-limit-s 30 \\
        [--solvers greedy,ortools,vroom] [--seed 0] [--threads 1] [--out results/field]

In one run, for each scenario, the three solvers plan the SAME Problem object, so they read the
same travel matrix (``problem.travel_matrix``, built once before any solver is timed):

- ``greedy``: ``dispatchopt.solvers.solve(problem, backend="greedy")`` (the dispatcher by hand);
- ``ortools``: ``solve(problem, backend="ortools", time_limit_s=..., seed=...)``;
- ``vroom``: ``vroom_field.run_vroom_field`` (pyvroom, exploration level 5, ``--threads``
  threads, timeout = the time limit; see that module for the mapping and what VROOM cannot
  model: crew jobs are excluded and reported, soft SLA deadlines become hard window ends).

Every plan is scored by the same code, never by the solver's own figures:
``dispatchopt.audit.kpi.compute_kpis`` (on-time rate overall and by category, travel minutes, distance,
unassigned, late jobs, overtime), ``dispatchopt.objective.plan_cost`` (the one objective of every
backend) and ``dispatchopt.audit.verify.verify`` (violations: a non-zero count is a bug or, for VROOM,
a mapping approximation; the rules are listed). ``objective_ex_crew`` is the objective without
the unassigned penalty of crew jobs, and ``on_time_non_crew`` the on-time rate over the
dispatchable crew_size-1 jobs: VROOM cannot serve crew jobs, so these two compare the solvers on
the work VROOM can do. ``wall_s`` is the solver call (model build + search + mapping back; libraries imported
beforehand); ``cpu_s`` the process CPU time over it (a check on how busy the machine was).

``--solo-variant`` also runs every solver on the scenario with its crew jobs removed
(``<scenario>-solo``): the like-for-like comparison with VROOM.

Writes ``<out>/<scenario>_<limit>s.csv`` (one row per solver), ``.md`` (metrics x solvers, also
printed) and the plans as ``<out>/<scenario>_<solver>.json``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from dispatchopt import rules  # noqa: E402
from dispatchopt.domain import Problem  # noqa: E402
from dispatchopt.audit.kpi import compute_kpis  # noqa: E402
from dispatchopt.objective import plan_cost  # noqa: E402
from dispatchopt.plan import Plan  # noqa: E402
from dispatchopt.scenario import load_scenario  # noqa: E402
from dispatchopt.audit.verify import verify  # noqa: E402

log = logging.getLogger("field_bench")

SOLVERS = ("greedy", "ortools", "vroom")
CATEGORY_ORDER = ("emergency", "major_leak", "road_repair", "urgent", "drainage", "drain_clearing",
                  "small_repair", "standard", "meter_change", "installation", "survey")
BASE_COLUMNS = ["scenario", "solver", "time_limit_s", "status", "wall_s", "cpu_s", "objective",
                "objective_ex_crew", "on_time_rate", "on_time_non_crew", "travel_minutes", "distance_km",
                "assigned", "unassigned", "crew_excluded", "late_jobs", "mean_late_minutes",
                "p95_late_minutes", "overtime_minutes", "violations", "violation_rules", "note"]


def _categories(problem: Problem) -> list[str]:
    used = {job.category for job in problem.jobs if job.dispatchable}
    return [c for c in CATEGORY_ORDER if c in used] + sorted(used - set(CATEGORY_ORDER))


def _starts(plan: Plan) -> dict[str, int]:
    out: dict[str, int] = {}
    for route in plan.routes:
        for visit in route.visits:
            out[visit.job] = max(out.get(visit.job, visit.start_s), visit.start_s)
    return out


def score(problem: Problem, plan: Plan) -> dict:
    """The plan's figures, recomputed from the problem (same code for every solver)."""
    kpis = compute_kpis(problem, plan)
    cost = plan_cost(problem, plan)
    obj = problem.objective
    unassigned = {u.job for u in plan.unassigned}
    crew_penalty = sum(obj.unassigned * problem.weight(j) for j in problem.jobs
                       if j.dispatchable and j.crew_size > 1 and j.id in unassigned)
    starts = _starts(plan)
    solo = [j for j in problem.jobs if j.dispatchable and j.crew_size == 1]
    on_solo = sum(rules.on_time(j, starts.get(j.id)) for j in solo)
    violations = verify(problem, plan)
    counts = Counter(v.rule for v in violations)
    row = {
        "status": plan.solver.status,
        "objective": round(cost, 1),
        "objective_ex_crew": round(cost - crew_penalty, 1),
        "on_time_rate": kpis["on_time_rate"],
        "on_time_non_crew": round(on_solo / len(solo), 4) if solo else 1.0,
        "travel_minutes": kpis["travel_minutes"],
        "distance_km": kpis["distance_km"],
        "assigned": len(starts),
        "unassigned": kpis["unassigned"],
        "late_jobs": kpis["late_jobs"],
        "mean_late_minutes": kpis["mean_late_minutes"],
        "p95_late_minutes": kpis["p95_late_minutes"],
        "overtime_minutes": kpis["overtime_minutes"],
        "violations": len(violations),
        "violation_rules": " ".join(f"{r}:{n}" for r, n in sorted(counts.items())),
    }
    for cat, rate in kpis["on_time_rate_by_category"].items():
        row[f"on_time[{cat}]"] = rate
    return row, violations


def warm_imports(solvers: list[str]) -> None:
    """Import the solver libraries before anything is timed (pyvroom pulls in pandas, ~0.4 s)."""
    import dispatchopt.solvers.greedy  # noqa: F401

    if "ortools" in solvers:
        import dispatchopt.solvers.routing  # noqa: F401
    if "vroom" in solvers:
        import vroom  # noqa: F401
        import vroom_field  # noqa: F401


def run_solver(problem: Problem, solver: str, *, time_limit_s: float, seed: int, threads: int,
               vroom_options: dict) -> tuple[Plan, dict]:
    """(plan, extra row fields) of one solver on ``problem``; wall and CPU around the call."""
    extra: dict = {"crew_excluded": 0, "note": ""}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if solver == "vroom":
        from vroom_field import run_vroom_field

        run = run_vroom_field(problem, time_limit_s=time_limit_s, threads=threads, check=False,
                              **vroom_options)
        plan = run.plan
        extra["crew_excluded"] = len(run.crew_excluded)
        extra["note"] = "; ".join(run.notes)
    else:
        from dispatchopt.solvers import solve

        result = solve(problem, backend=solver, time_limit_s=time_limit_s, seed=seed)
        plan = result.plan
        extra["note"] = f"status {result.status.value}"
    extra["wall_s"] = round(time.perf_counter() - wall0, 2)
    extra["cpu_s"] = round(time.process_time() - cpu0, 2)
    return plan, extra


def without_crews(problem: Problem) -> Problem:
    """The same problem without its crew jobs (what VROOM can model), for a like-for-like run."""
    return problem.replace(name=f"{problem.name}-solo", jobs=tuple(j for j in problem.jobs if j.crew_size == 1))


def bench_scenario(path: Path, *, solvers: list[str], time_limit_s: float, seed: int, threads: int,
                   out: Path | None, vroom_options: dict, solo: bool = False) -> tuple[list[dict], dict]:
    problem = load_scenario(path)
    stem = path.stem
    if solo:
        problem, stem = without_crews(problem), f"{path.stem}-solo"
    t0 = time.perf_counter()
    matrix = problem.travel_matrix            # built once, shared by every solver
    facts = {
        "scenario": stem, "name": problem.name, "technicians": len(problem.technicians),
        "jobs": len(problem.jobs), "dispatchable": sum(j.dispatchable for j in problem.jobs),
        "crew_jobs": sum(1 for j in problem.jobs if j.dispatchable and j.crew_size > 1),
        "locations": len(matrix.locations), "matrix_s": round(time.perf_counter() - t0, 3),
        "categories": _categories(problem),
    }
    rows = []
    for solver in solvers:
        log.info("%s: %s (time limit %g s)", stem, solver, time_limit_s)
        plan, extra = run_solver(problem, solver, time_limit_s=time_limit_s, seed=seed, threads=threads,
                                 vroom_options=vroom_options)
        row, violations = score(problem, plan)
        row.update(extra)
        row.update({"scenario": stem, "solver": solver, "time_limit_s": time_limit_s})
        for v in violations:
            log.warning("%s %s: %s", stem, solver, v)
        if out is not None:
            plan.with_kpis(compute_kpis(problem, plan)).save(out / f"{stem}_{solver}.json")
        rows.append(row)
    return rows, facts


def _fmt(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def markdown(rows: list[dict], facts: dict, *, time_limit_s: float) -> str:
    """Metrics as rows, solvers as columns."""
    solvers = [r["solver"] for r in rows]
    metrics = [("objective (plan_cost)", "objective"), ("objective ex crew penalty", "objective_ex_crew"),
               ("on-time rate", "on_time_rate"), ("on-time, crew_size-1 jobs", "on_time_non_crew")]
    metrics += [(f"on-time {c}", f"on_time[{c}]") for c in facts["categories"]]
    metrics += [("travel minutes", "travel_minutes"), ("distance km", "distance_km"),
                ("assigned jobs", "assigned"), ("unassigned (dispatchable)", "unassigned"),
                ("crew jobs excluded", "crew_excluded"), ("late jobs", "late_jobs"),
                ("mean late min (assigned)", "mean_late_minutes"), ("overtime minutes", "overtime_minutes"),
                ("verify violations", "violations"), ("status", "status"), ("wall s", "wall_s"),
                ("cpu s", "cpu_s")]
    lines = [f"### {facts['scenario']} ({facts['name']}): {facts['technicians']} technicians x "
             f"{facts['jobs']} jobs, time limit {time_limit_s:g} s",
             "",
             f"{facts['dispatchable']} dispatchable jobs, {facts['crew_jobs']} of them crew jobs; "
             f"{facts['locations']} locations, travel matrix built once in {facts['matrix_s']} s and shared. "
             f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end.",
             "",
             "| metric | " + " | ".join(solvers) + " |",
             "| --- | " + " | ".join("---:" for _ in solvers) + " |"]
    for label, key in metrics:
        lines.append(f"| {label} | " + " | ".join(_fmt(r.get(key)) for r in rows) + " |")
    lines.append("")
    for r in rows:
        bits = [b for b in (r.get("violation_rules"), r.get("note")) if b]
        if bits:
            lines.append(f"- {r['solver']}: " + "; ".join(bits))
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: list[dict], categories: list[str]) -> None:
    columns = BASE_COLUMNS + [f"on_time[{c}]" for c in categories]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=str(HERE.parent / "scenarios" / "city_day.yaml"),
                        help="comma-separated scenario files")
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="VROOM threads (OR-Tools uses one)")
    parser.add_argument("--vroom-hard-sla", default="0",
                        help="VROOM: SLA due as a hard window end for categories of at least this weight "
                             "('none' = off; default 0 = every category)")
    parser.add_argument("--vroom-max-work", default="split", choices=("split", "travel"))
    parser.add_argument("--solo-variant", action="store_true",
                        help="also run every solver on the scenario without its crew jobs (<name>-solo), "
                             "the like-for-like comparison with VROOM")
    parser.add_argument("--out", default=None, help="folder for CSV, markdown and plan JSON")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in solvers if s not in SOLVERS]
    if unknown:
        parser.error(f"--solvers: unknown {', '.join(unknown)} (expected {', '.join(SOLVERS)})")
    hard = None if args.vroom_hard_sla.lower() == "none" else float(args.vroom_hard_sla)
    vroom_options = {"hard_sla_min_weight": hard, "max_work": args.vroom_max_work}
    warm_imports(solvers)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
        path = Path(name)
        variants = [False]
        if args.solo_variant and any(j.crew_size > 1 for j in load_scenario(path).jobs):
            variants.append(True)
        for solo in variants:
            rows, facts = bench_scenario(path, solvers=solvers, time_limit_s=args.time_limit_s, seed=args.seed,
                                         threads=args.threads, out=out, vroom_options=vroom_options, solo=solo)
            text = markdown(rows, facts, time_limit_s=args.time_limit_s)
            print(text, flush=True)
            if out is not None:
                stem = f"{facts['scenario']}_{args.time_limit_s:g}s"
                write_csv(out / f"{stem}.csv", rows, facts["categories"])
                (out / f"{stem}.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
