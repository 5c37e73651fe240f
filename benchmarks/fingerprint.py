#!/usr/bin/env python3
"""Behaviour fingerprint: the same seeds and solution limits, plans reduced to a digest.

A restructuring step must not change a plan. This script plans the bundled scenarios and a
generated day with reproducible settings (greedy; OR-Tools stopped on a solution limit; a
sequence of live insertions) and prints, per case, the plan cost, the unassigned count and a
digest of every visit (technician, job, start). Run it before and after a change and diff:

    python benchmarks/fingerprint.py > before.json
    ... change ...
    python benchmarks/fingerprint.py > after.json && diff before.json after.json
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from dispatchopt import load_scenario, solve, verify  # noqa: E402
from dispatchopt.live import DispatchState, NewJob, apply  # noqa: E402
from dispatchopt.objective import plan_cost  # noqa: E402
from dispatchopt.scenario import problem_from_dict  # noqa: E402

try:  # the generator's home moves with the restructuring
    from dispatchopt.synth import generate_scenario  # noqa: E402
except ImportError:  # pragma: no cover - before the move
    from dispatchopt.scenario.generate import generate_scenario  # noqa: E402

from bench_live import _new_job  # noqa: E402


def digest(plan) -> str:
    rows = sorted((r.technician, v.job, v.start_s) for r in plan.routes for v in r.visits)
    rows += sorted(("-", u.job, u.reason) for u in plan.unassigned)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def row(problem, plan) -> dict:
    return {"cost": round(plan_cost(problem, plan), 3), "unassigned": len(plan.unassigned),
            "violations": len(verify(problem, plan)), "digest": digest(plan)}


def main() -> int:
    out: dict[str, dict] = {}
    cases = {name: load_scenario(ROOT / path) for name, path in (
        ("small", "scenarios/small.yaml"), ("city_day", "scenarios/city_day.yaml"),
        ("road_graph", "scenarios/road_graph/scenario.yaml"))}
    cases["gen_60x600"] = problem_from_dict(generate_scenario(60, 600, seed=3))
    for name, problem in cases.items():
        out[f"{name}/greedy"] = row(problem, solve(problem, backend="greedy").plan)
        if name != "gen_60x600":
            plan = solve(problem, backend="ortools", time_limit_s=600, solution_limit=30).plan
            out[f"{name}/ortools_sl30"] = row(problem, plan)
    problem = cases["city_day"]
    morning = solve(problem, backend="greedy").plan
    rng = random.Random(0)
    now = problem.clock.to_seconds(f"{problem.clock.plan_day.isoformat()}T09:00")
    state = DispatchState.start(problem, morning, now)
    for n in range(1, 41):
        now += rng.randint(1, 3) * 60
        state = apply(state, NewJob(at_s=now, job=_new_job(rng, state.problem, n, now))).state
    out["city_day/live40"] = row(state.problem, state.plan)
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
