"""Solomon VRPTW benchmark: dispatchopt side by side with OR-Tools, PyVRP and VROOM.

    python benchmarks/solomon_bench.py [--instances C101,R101,... | --all] --time-limit-s 10 \\
        [--peers ortools,pyvrp,vroom] [--backends default,ortools] [--out results/solomon] [--data DIR]

Every solver runs in the same invocation on the same instances with the same time limit,
one after another (``--processes 2`` runs two at a time, which makes wall times less fair).
dispatchopt runs through ``dispatchopt.solvers.solve(problem, backend=..., time_limit_s=...,
seed=...)`` (``dispatchopt:default`` names no backend: the library default; the backend actually
used is in the note). Every solution, dispatchopt's included, is re-checked by
``solomon.check_routes`` (capacity, windows, every customer once) and its distance re-summed
in DIMACS tenths; gaps are against ``bks_distance_dimacs.csv`` (proven optima, distance-only
objective, so fewer vehicles earn nothing). An infeasible solution gets no gap and is left out
of the mean. When ``dispatchopt.audit.verify`` exists, its violation count is reported too.

Writes ``<out>/solomon_<limit>s.csv`` (one row per instance and solver) and ``.md`` (the wide
table, also printed; ``cpu_s`` is the process CPU time of the run, a check on how busy the
machine was). Data: ``<repo>/../shared/benchmarks/solomon`` unless ``--data``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from solomon import (SIX_HARD, check_routes, default_data_dir, gap_percent, load_bks,  # noqa: E402
                     parse_solomon, plan_distance, plan_routes, to_problem)

DEFAULT_PEERS = "ortools,pyvrp,vroom"
COLUMNS = ["instance", "solver", "bks_vehicles", "bks_distance", "vehicles", "distance", "gap_pct",
           "wall_s", "cpu_s", "feasible", "reported_distance", "unassigned", "violations", "note"]


def solomon_dir(data: Path) -> Path:
    """``--data`` may name the shared benchmarks folder or the solomon folder itself."""
    return data / "solomon" if (data / "solomon").is_dir() else data


def _solve_dispatchopt(problem, backend: str, time_limit_s: float, seed: int):
    """(Result, backend actually used). ``backend="default"`` calls ``solve`` without naming one
    (the library default, ``auto``)."""
    from dispatchopt.solvers import solve

    options = {} if backend == "default" else {"backend": backend}
    result = solve(problem, time_limit_s=time_limit_s, seed=seed, **options)
    return result, result.stats.extra.get("backend", result.plan.solver.backend)


def run_one(path: str, solver: str, time_limit_s: float, seed: int) -> dict:
    """One (instance, solver) run -> a CSV row (without the BKS columns)."""
    inst = parse_solomon(path)
    row = {"instance": inst.name, "solver": solver, "vehicles": "", "distance": "", "wall_s": "", "cpu_s": "",
           "feasible": False, "reported_distance": "", "unassigned": "", "violations": "", "note": ""}
    try:
        if solver.startswith("dispatchopt:"):
            problem = to_problem(inst)
            started, cpu = time.perf_counter(), time.process_time()
            result, used = _solve_dispatchopt(problem, solver.split(":", 1)[1], time_limit_s, seed)
            wall_s = time.perf_counter() - started
            row["cpu_s"] = round(time.process_time() - cpu, 2)
            plan = result.plan
            check = check_routes(inst, plan_routes(plan))
            row.update(vehicles=check.vehicles, distance=round(check.distance, 1), wall_s=round(wall_s, 2),
                       feasible=check.feasible and not plan.unassigned,
                       reported_distance=round(plan_distance(plan), 1), unassigned=len(plan.unassigned),
                       note=f"backend={plan.solver.backend} ({used}) status={result.status.value}")
            try:
                from dispatchopt.audit.verify import verify
            except ImportError:
                verify = None
            if verify is not None:
                row["violations"] = len(verify(problem, plan))
            problems = check.problems
        else:
            from peers import PEERS

            cpu = time.process_time()
            res = PEERS[solver](inst, time_limit_s, seed)
            row["cpu_s"] = round(time.process_time() - cpu, 2)
            row.update(vehicles=res.vehicles, distance=round(res.distance, 1), wall_s=round(res.wall_s, 2),
                       feasible=res.feasible,
                       reported_distance="" if res.reported_distance is None else round(res.reported_distance, 1))
            problems = res.problems
        if problems:
            row["note"] = (row["note"] + " " if row["note"] else "") + "; ".join(problems[:3])
    except Exception as exc:  # a benchmark row records a failing solver and goes on
        row["note"] = f"error: {type(exc).__name__}: {exc}"
    return row


def _fmt(value, spec: str) -> str:
    if value == "" or value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def markdown_table(rows: list[dict], solvers: list[str], instances: list[str], time_limit_s: float) -> str:
    by = {(r["instance"], r["solver"]): r for r in rows}
    head = ["instance", "BKS veh", "BKS dist"]
    for s in solvers:
        head += [f"{s} veh", f"{s} dist", f"{s} gap %", f"{s} s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    walls: dict[str, list[float]] = {s: [] for s in solvers}
    for name in instances:
        any_row = next((by[(name, s)] for s in solvers if (name, s) in by), None)
        if any_row is None:
            continue
        cells = [name, _fmt(any_row["bks_vehicles"], "d"), _fmt(any_row["bks_distance"], ".1f")]
        for s in solvers:
            r = by.get((name, s))
            if r is None or r["distance"] == "":
                cells += ["-", "-", "-", "-" if r is None else _fmt(r["wall_s"], ".1f")]
                continue
            gap = r["gap_pct"]
            gap_cell = _fmt(gap, ".2f") if r["feasible"] else "infeasible"
            if r["feasible"] and gap != "":
                gaps[s].append(gap)
            walls[s].append(r["wall_s"])
            cells += [_fmt(r["vehicles"], "d"), _fmt(r["distance"], ".1f"), gap_cell, _fmt(r["wall_s"], ".1f")]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["mean", "", ""]
    for s in solvers:
        mean_gap = sum(gaps[s]) / len(gaps[s]) if gaps[s] else float("nan")
        n_runs = len(walls[s])
        note = f" ({len(gaps[s])}/{n_runs} feasible)" if len(gaps[s]) != n_runs else ""
        cells += ["", "", _fmt(mean_gap, ".2f") + note, _fmt(sum(walls[s]) / n_runs if n_runs else float("nan"), ".1f")]
    lines.append("| " + " | ".join(cells) + " |")
    shares = []
    for s in solvers:
        wall = sum(r["wall_s"] for r in rows if r["solver"] == s and r["wall_s"] != "")
        cpu = sum(r["cpu_s"] for r in rows if r["solver"] == s and r["cpu_s"] != "")
        if wall:
            shares.append(f"{s} {cpu / wall:.2f}")
    lines.append("")
    lines.append("CPU seconds per wall second (process CPU; below 1 for a one-thread solver means the "
                 "machine was busy): " + ", ".join(shares))
    return (f"Solomon VRPTW, time limit {time_limit_s:g} s, gap vs DIMACS-rounding optimum "
            f"(distance only)\n\n" + "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--instances", default=",".join(SIX_HARD),
                       help=f"comma-separated instance names (default: {','.join(SIX_HARD)})")
    which.add_argument("--all", action="store_true", help="every instance in the solomon folder")
    parser.add_argument("--time-limit-s", type=float, default=10.0)
    parser.add_argument("--peers", default=DEFAULT_PEERS,
                        help=f"comma-separated subset of {DEFAULT_PEERS}, or 'none'")
    parser.add_argument("--backends", default="default,ortools",
                        help="comma-separated dispatchopt backends ('default' = solve() with no backend "
                             "named, i.e. auto; e.g. default,ortools,portfolio), or 'none'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("results/solomon"))
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="shared benchmarks folder (or its solomon subfolder); default: %(default)s")
    parser.add_argument("--processes", type=int, default=1,
                        help="runs at a time (default 1: sequential, fair timing)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from peers import PEERS

    folder = solomon_dir(args.data)
    if not folder.is_dir():
        parser.error(f"--data: no solomon folder at {folder}")
    if args.all:
        instances = sorted(p.stem for p in folder.glob("*.txt"))
    else:
        instances = [s.strip().upper() for s in args.instances.split(",") if s.strip()]
    missing = [name for name in instances if not (folder / f"{name}.txt").is_file()]
    if missing:
        parser.error(f"--instances: no file for {missing} in {folder}")
    peers = [] if args.peers.strip().lower() == "none" else [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"--peers: unknown {unknown} (expected some of {sorted(PEERS)})")
    backends = [] if args.backends.strip().lower() == "none" else [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.time_limit_s <= 0:
        parser.error(f"--time-limit-s: must be > 0, got {args.time_limit_s}")
    solvers = [f"dispatchopt:{b}" for b in backends] + peers
    bks = load_bks(folder / "bks_distance_dimacs.csv")

    tasks = [(str(folder / f"{name}.txt"), solver) for name in instances for solver in solvers]
    if args.processes > 1:
        with ProcessPoolExecutor(max_workers=args.processes) as pool:
            futures = [pool.submit(run_one, path, solver, args.time_limit_s, args.seed) for path, solver in tasks]
            rows = [f.result() for f in futures]
    else:
        rows = []
        for path, solver in tasks:
            rows.append(run_one(path, solver, args.time_limit_s, args.seed))
            r = rows[-1]
            print(f"{r['instance']:6s} {solver:20s} veh {r['vehicles']!s:>3} dist {r['distance']!s:>8} "
                  f"wall {r['wall_s']!s:>6} feasible {r['feasible']} {r['note']}", file=sys.stderr, flush=True)
    for r in rows:
        best = bks.get(r["instance"])
        r["bks_vehicles"] = best.vehicles if best else ""
        r["bks_distance"] = best.distance if best else ""
        r["gap_pct"] = (round(gap_percent(r["distance"], best.distance), 3)
                        if best and r["distance"] != "" else "")

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"solomon_{args.time_limit_s:g}s"
    with open(stem.with_suffix(".csv"), "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    table = markdown_table(rows, solvers, instances, args.time_limit_s)
    stem.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    print(f"wrote {stem.with_suffix('.csv')} and {stem.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
