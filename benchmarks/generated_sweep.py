"""300 generated days through the default solver, ``verify`` and the independent checker.

    python benchmarks/generated_sweep.py [--days 300] [--first-seed 1000] [--out results/sweep] \\
        [--time-limit-s auto|S] [--backend auto]

Day ``k`` (0-based) is ``dispatchopt.synth.generate_scenario(N, M, seed=first_seed + k, ...)``
with ``N x M`` cycling through :data:`SIZES` (5x30 up to 60x700), the load through
:data:`LOADS` (0.7-1.3, the generator's ``load=``), busy days (hot spots, early emergencies,
2-hour windows, drainage crews) and plain ones (``busy=False``) alternating, and every third
day ``anticipate_jobs: true`` (the others keep the default false: nobody sets off before a job
is received). Each scenario dict is written as JSON, loaded back with ``load_scenario`` (the
file path a user takes), solved with ``solve(problem, backend=..., time_limit_s=...)`` (auto:
1 s + 1 s per 350 jobs, at most 3 s), and the plan written with ``Plan.to_json``. Then:

- ``dispatchopt.audit.verify(problem, plan)``: the library's verifier;
- ``scripts/check_plan_json.py``: the independent checker (it imports nothing from
  dispatchopt), called in-process on the saved scenario file + plan JSON (its ``Checker``).

Writes ``<out>/sweep.csv`` (one row per day) and ``<out>/sweep.md`` (the summary table, also
printed). The scenario and plan of every day with a violation or an error stay in
``<out>/failures/`` (``day<k>_s<seed>.json`` / ``..._plan.json``) to reproduce it; the others are
deleted. A non-zero count is a bug: the exit code is 1 then.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import logging
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from dispatchopt.audit.verify import verify
from dispatchopt.scenario import load_scenario
from dispatchopt.solvers import solve
from dispatchopt.synth import generate_scenario

REPO = Path(__file__).resolve().parent.parent
SIZES = ((5, 30), (8, 60), (10, 80), (12, 120), (15, 150), (20, 200), (25, 260), (30, 320),
         (40, 420), (50, 550), (60, 700))
LOADS = (0.7, 0.85, 1.0, 1.15, 1.3)
COLUMNS = ["day", "seed", "techs", "jobs", "load", "busy", "anticipate", "time_limit_s", "backend",
           "status", "wall_s", "planned", "unassigned", "verify", "check", "verify_rules", "check_first",
           "error"]


def checker_module():
    """scripts/check_plan_json.py as a module (it is a script, not a package member)."""
    spec = importlib.util.spec_from_file_location("check_plan_json", REPO / "scripts" / "check_plan_json.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def day_spec(k: int, first_seed: int) -> dict:
    """The generator arguments of day ``k``: sizes cycle, loads cycle at another pace, busy
    alternates, every third day anticipates jobs."""
    techs, jobs = SIZES[k % len(SIZES)]
    return {"day": k, "seed": first_seed + k, "techs": techs, "jobs": jobs,
            "load": LOADS[(k // len(SIZES)) % len(LOADS)] if k % 2 else LOADS[k % len(LOADS)],
            "busy": k % 2 == 0, "anticipate": k % 3 == 2}


def limit_for(jobs: int, given: str) -> float:
    return min(3.0, 1.0 + jobs / 350) if given == "auto" else float(given)


def run_day(spec: dict, *, out: Path, backend: str, time_limit: str, checker) -> dict:
    """Generate, save, load, solve, save the plan, verify, check; -> a CSV row."""
    row = dict(spec, time_limit_s=limit_for(spec["jobs"], time_limit), backend="", status="", wall_s="",
               planned="", unassigned="", verify="", check="", verify_rules="", check_first="", error="")
    stem = out / "failures" / f"day{spec['day']:03d}_s{spec['seed']}"
    scenario_path, plan_path = stem.with_suffix(".json"), Path(f"{stem}_plan.json")
    try:
        data = generate_scenario(spec["techs"], spec["jobs"], seed=spec["seed"], load=spec["load"],
                                 busy=spec["busy"])
        if spec["anticipate"]:
            data["anticipate_jobs"] = True
        scenario_path.write_text(json.dumps(data), encoding="utf-8")
        problem = load_scenario(scenario_path)
        started = time.perf_counter()
        result = solve(problem, backend=backend, time_limit_s=row["time_limit_s"], seed=spec["seed"])
        row["wall_s"] = round(time.perf_counter() - started, 2)
        plan = result.plan
        plan_json = plan.to_json()
        plan_path.write_text(json.dumps(plan_json), encoding="utf-8")
        violations = verify(problem, plan)
        scenario, base = checker.read_scenario(scenario_path)
        check = checker.Checker(scenario, base, json.loads(plan_path.read_text(encoding="utf-8")))
        check.run()
        row.update(backend=plan.solver.backend, status=result.status.value,
                   planned=len({v.job for r in plan.routes for v in r.visits}), unassigned=len(plan.unassigned),
                   verify=len(violations), check=len(check.violations),
                   verify_rules=" ".join(f"{r}:{n}" for r, n in sorted(Counter(v.rule for v in violations).items())),
                   check_first=check.violations[0][:300] if check.violations else "")
        if violations:
            row["check_first"] = (row["check_first"] + " | verify: " + violations[0].message[:300]).strip(" |")
    except Exception as exc:  # a sweep records a failing day and goes on
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
        (out / "failures" / f"day{spec['day']:03d}_s{spec['seed']}_error.txt").write_text(
            traceback.format_exc(), encoding="utf-8")
    if not row["error"] and not row["verify"] and not row["check"]:
        scenario_path.unlink(missing_ok=True)
        plan_path.unlink(missing_ok=True)
    return row


def summary(rows: list[dict], backend: str) -> str:
    ok = [r for r in rows if not r["error"]]
    bad_v = [r for r in ok if r["verify"]]
    bad_c = [r for r in ok if r["check"]]
    lines = [f"Generated-day sweep: {len(rows)} days, backend {backend}", "",
             "| | days | violations (sum) |", "|---|--:|--:|",
             f"| solved | {len(ok)} | |",
             f"| with a verify violation | {len(bad_v)} | {sum(r['verify'] for r in ok)} |",
             f"| with a check_plan_json violation | {len(bad_c)} | {sum(r['check'] for r in ok)} |",
             f"| errors (exception) | {len(rows) - len(ok)} | |", ""]
    by_size: dict[tuple[int, int], list[dict]] = {}
    for r in ok:
        by_size.setdefault((r["techs"], r["jobs"]), []).append(r)
    lines += ["| size | days | busy | anticipate | mean wall s | planned / jobs | verify | check |",
              "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for (t, j), rs in sorted(by_size.items()):
        lines.append(f"| {t}x{j} | {len(rs)} | {sum(r['busy'] for r in rs)} | {sum(r['anticipate'] for r in rs)} | "
                     f"{sum(r['wall_s'] for r in rs) / len(rs):.2f} | "
                     f"{sum(r['planned'] for r in rs) / (j * len(rs)):.3f} | "
                     f"{sum(r['verify'] for r in rs)} | {sum(r['check'] for r in rs)} |")
    backends = Counter(r["backend"] for r in ok)
    lines += ["", "backends used: " + ", ".join(f"{b} {n}" for b, n in backends.most_common())]
    failing = [r for r in rows if r["error"] or r["verify"] or r["check"]]
    if failing:
        lines += ["", "| day | seed | size | load | busy | anticipate | verify | check | first finding / error |",
                  "|--:|--:|---|--:|---|---|--:|--:|---|"]
        for r in failing:
            lines.append(f"| {r['day']} | {r['seed']} | {r['techs']}x{r['jobs']} | {r['load']} | {r['busy']} | "
                         f"{r['anticipate']} | {r['verify']} | {r['check']} | "
                         f"{(r['error'] or r['verify_rules'] + ' ' + r['check_first']).replace('|', '/')[:400]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--time-limit-s", default="auto",
                        help="seconds per day, or 'auto' (1 s + 1 s per 350 jobs, at most 3 s)")
    parser.add_argument("--out", type=Path, default=Path("results/sweep"))
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error(f"--days: must be >= 1, got {args.days}")
    if args.time_limit_s != "auto":
        try:
            if float(args.time_limit_s) <= 0:
                raise ValueError
        except ValueError:
            parser.error(f"--time-limit-s: a positive number or 'auto', got {args.time_limit_s!r}")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    (args.out / "failures").mkdir(parents=True, exist_ok=True)
    checker = checker_module()
    rows = []
    for k in range(args.days):
        row = run_day(day_spec(k, args.first_seed), out=args.out, backend=args.backend,
                      time_limit=args.time_limit_s, checker=checker)
        rows.append(row)
        print(f"day {k:3d} seed {row['seed']} {row['techs']}x{row['jobs']} load {row['load']} busy {row['busy']!s:5} "
              f"anticipate {row['anticipate']!s:5} {row['backend']:18s} wall {row['wall_s']!s:>5} "
              f"planned {row['planned']!s:>4} verify {row['verify']!s:>2} check {row['check']!s:>2} {row['error']}",
              file=sys.stderr, flush=True)
        with open(args.out / "sweep.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    table = summary(rows, args.backend)
    (args.out / "sweep.md").write_text(table, encoding="utf-8")
    print(table)
    return 1 if any(r["error"] or r["verify"] or r["check"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
