"""Field-service benchmark: greedy, dispatchopt (auto) and the VROOM peer on full dispatch days.

    python benchmarks/field_bench.py --generate 40x300:0.9,150x2000:1.2 --time-limit-s 30 \\
        [--scenarios scenarios/city_day.yaml,...] [--solvers greedy,auto,vroom] [--seed 0] \\
        [--threads 1] [--vroom-crews fixed|excluded] [--out results/field]

``--generate NxM:LOAD,...`` builds loaded days with ``dispatchopt.synth.generate_scenario(N, M,
seed=--seed, target_load=LOAD)`` (named ``gen<N>x<M>-l<LOAD>``); ``--scenarios`` adds files.
In one run, for each day, every solver plans the SAME Problem object, so they read the same
travel matrix (``matrix_of(problem)``, built once before any solver is timed):

- ``greedy``: ``solve(problem, backend="greedy")`` (the dispatcher by hand);
- any other name of ``dispatchopt.solvers.BACKENDS`` (``auto``, ``portfolio``, ``ortools``,
  ``vroom-backend`` for ``backend="vroom"``...): ``solve(problem, backend=..., time_limit_s=...)``;
- ``vroom``: the VROOM peer, ``vroom_field.run_vroom_field`` (the library's mapping, exploration
  level 5, the whole time limit, no repair; crew jobs fixed at the greedy plan's starts or, with
  ``--vroom-crews excluded``, left out).

Every plan is scored by the same code, never by the solver's own figures:
``compute_kpis`` (on-time rate overall and by category, travel minutes, unassigned...),
``plan_cost`` (the one objective) and ``verify`` (violations: a non-zero count is a bug).
``travel_per_served`` = travel minutes / assigned jobs; ``emergency_missed`` counts emergencies
that some qualified technician could reach by their due on an empty day
(``vroom_backend.due_reachable``) but that the plan does not serve on time. ``wall_s`` is the
solver call (libraries imported beforehand); ``cpu_s`` the process CPU time over it (a check on
how busy the machine was); the load average at the end is printed with each table.

Writes ``<out>/<day>_<limit>s.csv`` (one row per solver), ``.md`` (metrics x solvers, also
printed) and the plans as ``<out>/<day>_<solver>.json``.
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
from dispatchopt.scenario import problem_from_dict  # noqa: E402
from dispatchopt.solvers.vroom_backend import due_reachable  # noqa: E402
from dispatchopt.synth import generate_scenario  # noqa: E402
from dispatchopt.travel import matrix_of  # noqa: E402

log = logging.getLogger("field_bench")

SOLVERS = ("greedy", "auto", "vroom")
CATEGORY_ORDER = ("emergency", "major_leak", "road_repair", "urgent", "drainage", "drain_clearing",
                  "small_repair", "standard", "meter_change", "installation", "survey")
BASE_COLUMNS = ["scenario", "solver", "backend_used", "time_limit_s", "status", "wall_s", "cpu_s", "objective",
                "objective_ex_crew", "on_time_rate", "on_time_non_crew", "travel_minutes", "travel_per_served",
                "distance_km", "assigned", "unassigned", "crew_excluded", "emergency_missed", "late_jobs",
                "mean_late_minutes", "p95_late_minutes", "overtime_minutes", "violations", "violation_rules",
                "phases", "note"]


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
    missed = sum(1 for j in problem.jobs if j.dispatchable and j.category == "emergency"
                 and rules.static_unassigned_reason(problem, j) is None and due_reachable(problem, j)
                 and not rules.on_time(j, starts.get(j.id)))
    row = {
        "status": plan.solver.status,
        "objective": round(cost, 1),
        "objective_ex_crew": round(cost - crew_penalty, 1),
        "on_time_rate": kpis["on_time_rate"],
        "on_time_non_crew": round(on_solo / len(solo), 4) if solo else 1.0,
        "travel_minutes": kpis["travel_minutes"],
        "travel_per_served": round(kpis["travel_minutes"] / len(starts), 2) if starts else 0.0,
        "emergency_missed": missed,
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
    import dispatchopt.solvers.portfolio  # noqa: F401
    import dispatchopt.solvers.routing  # noqa: F401
    import vroom  # noqa: F401
    import vroom_field  # noqa: F401


def run_solver(problem: Problem, solver: str, *, time_limit_s: float, seed: int, threads: int,
               vroom_options: dict) -> tuple[Plan, dict]:
    """(plan, extra row fields) of one solver on ``problem``; wall and CPU around the call."""
    extra: dict = {"crew_excluded": 0, "note": "", "phases": ""}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if solver == "vroom":
        from vroom_field import run_vroom_field

        run = run_vroom_field(problem, time_limit_s=time_limit_s, threads=threads, check=False,
                              **vroom_options)
        plan = run.plan
        extra["crew_excluded"] = len(run.crew_excluded)
        extra["note"] = "; ".join(run.notes)
        extra["backend_used"] = "vroom peer"
    else:
        from dispatchopt.solvers import solve

        backend = "vroom" if solver == "vroom-backend" else solver
        result = solve(problem, backend=backend, time_limit_s=time_limit_s, seed=seed)
        plan = result.plan
        extra["backend_used"] = result.stats.extra.get("backend", plan.solver.backend)
        phases = result.stats.extra.get("phases", {})
        extra["phases"] = " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in phases.items())
        costs = result.stats.extra.get("costs")
        extra["note"] = f"status {result.status.value}" + (
            "; phase costs " + ", ".join(f"{k} {v:,.0f}" for k, v in costs.items()) if costs else "")
    extra["wall_s"] = round(time.perf_counter() - wall0, 2)
    extra["cpu_s"] = round(time.process_time() - cpu0, 2)
    return plan, extra


def without_crews(problem: Problem) -> Problem:
    """The same problem without its crew jobs (what VROOM can model), for a like-for-like run."""
    return problem.replace(name=f"{problem.name}-solo", jobs=tuple(j for j in problem.jobs if j.crew_size == 1))


def generated_days(spec: str, seed: int) -> list[tuple[str, Problem]]:
    """``NxM:LOAD,...`` -> [(name, Problem)] built by synth.generate_scenario."""
    days = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        size, _, load = part.partition(":")
        n, _, m = size.lower().partition("x")
        load_f = float(load) if load else 0.9
        data = generate_scenario(int(n), int(m), seed=seed, target_load=load_f)
        days.append((f"gen{int(n)}x{int(m)}-l{load_f:g}", problem_from_dict(data)))
    return days


def bench_scenario(path: Path | tuple[str, Problem], *, solvers: list[str], time_limit_s: float, seed: int,
                   threads: int, out: Path | None, vroom_options: dict, solo: bool = False
                   ) -> tuple[list[dict], dict]:
    if isinstance(path, tuple):
        stem, problem = path
    else:
        problem, stem = load_scenario(path), path.stem
    if solo:
        problem, stem = without_crews(problem), f"{stem}-solo"
    t0 = time.perf_counter()
    matrix = matrix_of(problem)            # built once, shared by every solver
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
    metrics += [("travel minutes", "travel_minutes"), ("travel min / served job", "travel_per_served"),
                ("distance km", "distance_km"),
                ("assigned jobs", "assigned"), ("unassigned (dispatchable)", "unassigned"),
                ("crew jobs excluded", "crew_excluded"),
                ("reachable emergencies not on time", "emergency_missed"), ("late jobs", "late_jobs"),
                ("mean late min (assigned)", "mean_late_minutes"), ("overtime minutes", "overtime_minutes"),
                ("verify violations", "violations"), ("status", "status"), ("backend used", "backend_used"),
                ("wall s", "wall_s"), ("cpu s", "cpu_s")]
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
        bits = [b for b in (r.get("violation_rules"), r.get("note"), r.get("phases")) if b]
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
    parser.add_argument("--scenarios", default=None,
                        help="comma-separated scenario files (default: scenarios/city_day.yaml when "
                             "--generate is not given)")
    parser.add_argument("--generate", default=None,
                        help="generated loaded days NxM:LOAD,... (synth.generate_scenario, seed --seed)")
    parser.add_argument("--time-limit-s", type=float, default=30.0)
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="VROOM threads (OR-Tools uses one)")
    parser.add_argument("--vroom-crews", default="fixed", choices=("fixed", "excluded"),
                        help="VROOM peer: crew jobs fixed at the greedy starts (default) or left out")
    parser.add_argument("--vroom-exploration", type=int, default=5)
    parser.add_argument("--solo-variant", action="store_true",
                        help="also run every solver on the scenario without its crew jobs (<name>-solo), "
                             "the like-for-like comparison with VROOM")
    parser.add_argument("--out", default=None, help="folder for CSV, markdown and plan JSON")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from dispatchopt.solvers import BACKENDS

    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    known = set(SOLVERS) | set(BACKENDS) | {"vroom-backend"}
    unknown = [s for s in solvers if s not in known]
    if unknown:
        parser.error(f"--solvers: unknown {', '.join(unknown)} (expected {', '.join(sorted(known))})")
    vroom_options = {"crews": args.vroom_crews, "exploration_level": args.vroom_exploration}
    warm_imports(solvers)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    days: list = generated_days(args.generate, args.seed) if args.generate else []
    scenarios = args.scenarios or ("" if days else str(HERE.parent / "scenarios" / "city_day.yaml"))
    days += [Path(s.strip()) for s in scenarios.split(",") if s.strip()]
    for path in days:
        variants = [False]
        problem = path[1] if isinstance(path, tuple) else load_scenario(path)
        if args.solo_variant and any(j.crew_size > 1 for j in problem.jobs):
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
