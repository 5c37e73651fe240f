#!/usr/bin/env python3
"""Stochastic day simulation benchmark (issue 9): N random days of a plan, wall time and table.

Simulates ``--runs`` days of the morning plan of ``--scenario`` (``--plan`` a plan JSON, else
solved here with the default backend for ``--morning-s`` seconds and written next to the
output) with ``--workers`` processes (``--executor ray``: local Ray, or ``--ray-address``),
and prints the load average before and after, the wall time, seconds per run, the number of
published plans checked (all clean, or the failed seeds) and the KPI distribution table.
``--repeat K`` runs the same simulation K times and says whether the tables are identical;
``--executors process,ray`` runs it once per executor and compares their tables.
``--full-verify-runs M`` replays the first M days again with ``verify`` on every plan and
says whether their rows equal the fast path's.

    python benchmarks/bench_simulate.py                                  # city day, 200 runs, 2 workers
    python benchmarks/bench_simulate.py --runs 20 --plan /tmp/city_plan.json --repeat 2
    python benchmarks/bench_simulate.py --plan /tmp/city_plan.json --executors process,ray
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import dispatchopt  # noqa: F401
except ImportError:  # pragma: no cover - running from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))

from dispatchopt.audit.verify import verify  # noqa: E402
from dispatchopt.cli.simulate import format_table  # noqa: E402
from dispatchopt.audit.belongs import load_plan_checked  # noqa: E402
from dispatchopt.scenario import load_scenario  # noqa: E402
from dispatchopt.simulate import simulate  # noqa: E402
from dispatchopt.solvers import solve  # noqa: E402


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def _morning(args, problem):
    if args.plan:
        return load_plan_checked(problem, Path(args.plan))
    result = solve(problem, time_limit_s=args.morning_s, seed=0)
    path = Path(args.out or ".") / "morning_plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.plan.to_json(), indent=2), encoding="utf-8")
    print(f"morning plan: {result.status.value}, {len(result.plan.unassigned)} unassigned, written to {path}")
    return result.plan


def _one(problem, plan, args, executor: str, full_verify: bool = False, runs: int | None = None):
    print(f"-- {runs or args.runs} runs, seed {args.seed}, {args.workers} worker(s), {executor}"
          f"{', verify on every plan' if full_verify else ''}; before: {_load()}", flush=True)
    t0 = time.perf_counter()
    result = simulate(problem, plan, runs=runs or args.runs, seed=args.seed, workers=args.workers,
                      executor=executor, ray_address=args.ray_address, full_verify=full_verify,
                      emergencies_per_hour=args.emergencies_per_hour, duration_noise_cv=args.duration_noise,
                      no_show_p=args.no_show, sick_p=args.sick, policy=args.policy)
    wall = time.perf_counter() - t0
    n = len(result.runs)
    verified = int(result.runs["plans_verified"].sum()) if n else 0
    print(f"   wall {wall:.1f} s ({wall / max(1, n):.2f} s per run, simulate's own {result.wall_s:.1f} s); "
          f"after: {_load()}")
    print(f"   {n} of {runs or args.runs} days ok, {verified} published plans checked, all clean; "
          f"{len(result.failures)} failed run(s)")
    for failure in result.failures:
        print(f"   FAILED run {failure.run}: {failure.message}")
    return result, wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "city_day.yaml"))
    ap.add_argument("--plan", help="morning plan JSON (default: solve the scenario here)")
    ap.add_argument("--morning-s", type=float, default=30.0, help="solve time for the morning plan")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executors", default="process", help="comma-separated: process, ray")
    ap.add_argument("--ray-address", default=None)
    ap.add_argument("--repeat", type=int, default=1, help="run each executor's simulation this many times")
    ap.add_argument("--full-verify-runs", type=int, default=0,
                    help="replay the first M days with verify on every plan and compare the rows")
    ap.add_argument("--emergencies-per-hour", type=float, default=1.0)
    ap.add_argument("--duration-noise", type=float, default=0.3)
    ap.add_argument("--no-show", type=float, default=0.03)
    ap.add_argument("--sick", type=float, default=0.02)
    ap.add_argument("--policy", default=None)
    ap.add_argument("--out", help="directory for simulation_<executor>.csv, runs_<executor>.csv, summary.json")
    args = ap.parse_args(argv)

    problem = load_scenario(Path(args.scenario))
    plan = _morning(args, problem)
    if verify(problem, plan):
        print("the morning plan does not verify", file=sys.stderr)
        return 2
    print(f"{problem.name}: {len(problem.technicians)} technicians, {len(problem.jobs)} jobs; "
          f"{len(plan.unassigned)} unassigned in the morning plan")
    tables = {}
    summary = {"runs": args.runs, "seed": args.seed, "workers": args.workers, "walls": {}}
    failed = False
    for executor in [e.strip() for e in args.executors.split(",") if e.strip()]:
        for k in range(args.repeat):
            result, wall = _one(problem, plan, args, executor)
            failed |= not result.ok
            table = result.table()
            summary["walls"].setdefault(executor, []).append(round(wall, 1))
            if not tables:
                print(format_table(table))
                first = table
            else:
                print(f"   table identical to the first: {table.equals(first)}")
                failed |= not table.equals(first)
            tables[(executor, k)] = table
            if args.out and k == 0:
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                table.to_csv(out / f"simulation_{executor}.csv")
                result.runs.to_csv(out / f"runs_{executor}.csv", index=False)
            if args.full_verify_runs and executor == "process" and k == 0:
                full, _ = _one(problem, plan, args, "process", full_verify=True, runs=args.full_verify_runs)
                head = result.runs.head(args.full_verify_runs).reset_index(drop=True)
                same = full.runs.reset_index(drop=True).equals(head)
                print(f"   rows of the first {args.full_verify_runs} days with verify on every plan "
                      f"equal the fast path's: {same}")
                failed |= not same
    if args.out:
        (Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
