#!/usr/bin/env python3
"""Booking benchmark (issue 10): answer time of :func:`dispatchopt.live.candidate_windows`.

For each bundled scenario (the city day, 40 technicians x 400 jobs, and the 3-day scenario,
40 people = 118 day copies x 330 jobs) and a generated 5-day one (``multi_day_5x400``:
``generate_multi_day(40, 80, days=5, load=0.6)``, 40 people x 400 jobs): a morning plan (``--backend``, ``--time-limit-s``), the
dispatch state at ``--now`` (default: 08:00 of the first day), then ``--calls`` calling customers
(seeded: the skills, category and duration of a random bookable job of the scenario, at a random
place inside the scenario's bounding box). Each call asks the whole list of ``--days`` days x
the slots of ``--slot-minutes`` inside ``--hours`` (defaults 5 days, 150 min, 08:00-18:00: 4 slots
a day; a day beyond the horizon offers none). The wall time of each call is the answer time
(p50 / p95 / max). Every ``--check-every``-th call also books its cheapest slot through
``live.apply`` and checks that the plan verifies and the job lands where it was offered.

    python benchmarks/bench_book.py                       # both scenarios, 100 calls each
    python benchmarks/bench_book.py --scenarios city_day --calls 20 --backend greedy
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import dispatchopt  # noqa: F401
except ImportError:  # pragma: no cover - running from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))

from dispatchopt.audit.verify import verify  # noqa: E402
from dispatchopt.domain import Location  # noqa: E402
from dispatchopt.live import DispatchState, book, candidate_windows, is_emergency  # noqa: E402
from dispatchopt.scenario import load_scenario, problem_from_dict  # noqa: E402
from dispatchopt.synth.multiday import generate_multi_day  # noqa: E402
from dispatchopt.solvers import solve  # noqa: E402

SCENARIOS = {"city_day": "scenarios/city_day.yaml", "multi_day": "scenarios/multi_day_3x40.yaml",
             "multi_day_5x400": None}   # generated: 5 days, 40 people x 400 jobs (synth/multiday.py)


def load(name: str):
    if SCENARIOS[name] is not None:
        return load_scenario(ROOT / SCENARIOS[name])
    data = generate_multi_day(40, 80, days=5, seed=20261207, load=0.6)
    return problem_from_dict(data, source=name)


def callers(problem, now_s: int, n: int, seed: int):
    rng = random.Random(seed)
    pool = [j for j in problem.jobs if j.crew_size == 1 and j.dispatchable and not j.pinned_to
            and j.follow_up is None and not is_emergency(problem, j)]
    lats = [j.location.lat for j in problem.jobs]
    lons = [j.location.lon for j in problem.jobs]
    for i in range(n):
        like = rng.choice(pool)
        loc = Location(lat=rng.uniform(min(lats), max(lats)), lon=rng.uniform(min(lons), max(lons)))
        yield replace(like, id=f"CALL{i:03d}", location=loc, window=None, received_s=now_s,
                      due_s=now_s + 86400)


def reason_class(reason: str) -> str:
    if reason.startswith("would "):
        return "every place breaks a promise"
    return reason.split(":")[0]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run(name: str, args) -> dict:
    problem = load(name)
    t0 = time.perf_counter()
    plan = solve(problem, backend=args.backend, time_limit_s=args.time_limit_s, seed=args.seed).plan
    solve_s = time.perf_counter() - t0
    now = problem.clock.to_seconds(args.now) if args.now else \
        problem.clock.to_seconds(problem.clock.to_iso(0)[:10] + "T08:00")
    state = DispatchState.start(problem, plan, now)
    times, offered, slots = [], [], []
    reasons: collections.Counter = collections.Counter()
    checked = mismatched = dearer = 0
    for i, job in enumerate(callers(problem, now, args.calls, args.seed)):
        t = time.perf_counter()
        answer = candidate_windows(state, job, days=args.days, slot_minutes=args.slot_minutes,
                                   top=args.top, hours=args.hours)
        times.append((time.perf_counter() - t) * 1000.0)
        offered.append(answer.feasible)
        slots.append(answer.feasible + len(answer.refused))
        for s in answer.refused:
            reasons[reason_class(s.reason)] += 1
        dearer += sum(1 for s in answer.offered if getattr(s, "note", None) is not None)
        if args.check_every and i % args.check_every == 0 and answer.offered:
            best = answer.offered[0]
            new = book(state, job, best).state
            checked += 1
            starts = {v.job: (r.technician, v.start_s) for r in new.plan.routes for v in r.visits}
            if verify(new.problem, new.plan) or starts.get(job.id) != (best.technician, best.visit_start_s):
                mismatched += 1
    return {"scenario": name, "technicians": len(problem.technicians), "jobs": len(problem.jobs),
            "backend": args.backend, "morning_solve_s": round(solve_s, 1),
            "planned": len(plan.assigned_job_ids()), "now": problem.clock.to_iso(now),
            "calls": len(times), "slots_per_call": round(statistics.mean(slots), 1),
            "feasible_per_call": round(statistics.mean(offered), 1),
            "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1),
            "max_ms": round(max(times), 1), "booked_checked": checked,
            "booked_not_as_offered_or_violating": mismatched,
            "offered_at_a_dearer_harmless_place": dearer,
            "refused_reasons": dict(reasons.most_common())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default="city_day,multi_day,multi_day_5x400")
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--slot-minutes", type=int, default=150)
    ap.add_argument("--hours", default="08:00-18:00")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--now", default=None, help="ISO time (default 08:00 of the first day)")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--time-limit-s", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check-every", type=int, default=10)
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args()
    results = []
    for name in args.scenarios.split(","):
        res = run(name.strip(), args)
        results.append(res)
        print(json.dumps(res), flush=True)
    print()
    print("| scenario | techs x jobs | morning plan | slots/call | feasible/call | p50 ms | p95 ms | max ms | booked ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['scenario']} | {r['technicians']} x {r['jobs']} | {r['backend']} {r['planned']} planned | "
              f"{r['slots_per_call']} | {r['feasible_per_call']} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['max_ms']} | {r['booked_checked'] - r['booked_not_as_offered_or_violating']}/{r['booked_checked']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
