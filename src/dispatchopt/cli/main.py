"""The ``dispatchopt`` command line: solve, verify, kpi, batch, whatif, insert, replay, generate.

Only this module prints; the library logs to the ``dispatchopt`` logger (``-v`` shows it).
Exit codes: 0 ok; 1 the plan breaks a hard rule, or nothing was plannable; 2 bad input
(a missing or invalid scenario, plan or event file, unknown travel data) or bad usage.

Feature modules are imported inside the command functions, so that a build without one of
them (or a broken optional dependency) still runs every other command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .. import __version__
from ..errors import DispatchOptError, SolverError
from . import generate

log = logging.getLogger("dispatchopt")

EXIT_OK = 0
EXIT_FAILED = 1      # violations, or nothing plannable
EXIT_BAD_INPUT = 2   # bad scenario / plan / event file, missing path, bad usage

FALLBACK_BACKENDS = ("ortools", "greedy")   # when dispatchopt.solvers cannot be imported
SHOW_UNASSIGNED = 20


class Unavailable(Exception):
    """A command needs a module or function this build does not have."""


# -- small helpers ------------------------------------------------------------------------------
def _out(text: str = "") -> None:
    print(text, file=sys.stdout)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _need(module: str, name: str, feature: str) -> Callable[..., Any]:
    """``module.name``, imported now; :class:`Unavailable` when the build lacks it."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{feature} is not available in this build ({exc})") from None
    func = getattr(mod, name, None)
    if func is None:
        raise Unavailable(f"{feature} is not available in this build ({module}.{name} is missing)")
    return func


def _existing(path: str, what: str) -> Path:
    """The path, checked to exist (a clear message instead of a deep FileNotFoundError)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, f"{what} not found", str(p))
    return p


def _load_problem(path: str):
    scenario = _existing(path, "scenario")
    load_scenario = _need("dispatchopt.scenario", "load_scenario", "loading scenarios")
    return load_scenario(scenario)


def _load_plan(problem, path: str):
    from ..plan import Plan

    return Plan.load(problem, _existing(path, "plan file"))


def _print_violations(violations: Sequence[Any]) -> None:
    _out(f"{len(violations)} violation(s) of the hard rules:")
    for v in violations:
        _out(f"  [{v.rule}] {v.message}")


def _flatten_kpis(kpis: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for name, value in kpis.items():
        if isinstance(value, dict):     # on_time_rate_by_category[emergency], as in kpi_table
            rows.extend((f"{name}[{sub}]", sub_value) for sub, sub_value in value.items())
        else:
            rows.append((name, value))
    return rows


def _kpi_table(kpis: dict[str, Any]) -> str:
    kpi_table = _need("dispatchopt.audit.kpi", "kpi_table", "KPI tables")
    return kpi_table(kpis)


def _int_list(text: str) -> list[int]:
    """argparse type for ``--seeds 0,1,2``."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one integer, got {text!r}")
    return values


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


# -- commands -----------------------------------------------------------------------------------
def cmd_solve(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    problem = _load_problem(args.scenario)
    solve = _need("dispatchopt.solvers", "solve", "solving")
    verify = _need("dispatchopt.audit.verify", "verify", "verification")
    compute_kpis = _need("dispatchopt.audit.kpi", "compute_kpis", "KPIs")
    _need("dispatchopt.audit.kpi", "kpi_table", "KPI tables")  # fail before a long solve, not after

    log.info("solving %s (%d jobs, %d technicians) with %s, limit %.1f s, seed %d",
             args.scenario, len(problem.jobs), len(problem.technicians), args.backend,
             args.time_limit_s, args.seed)
    result = solve(problem, backend=args.backend, time_limit_s=args.time_limit_s, seed=args.seed)
    plan = result.plan
    violations = verify(problem, plan)
    if violations:
        _print_violations(violations)
        _err(f"dispatchopt: the {args.backend} plan breaks {len(violations)} hard rule(s); "
             "it was not written")
        return EXIT_FAILED

    plan = plan.with_kpis(compute_kpis(problem, plan))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        plan.save(out)
        log.info("plan written to %s", out)
    if args.csv:
        _write_csv(plan, Path(args.csv))

    status = getattr(result.status, "value", result.status)
    _out(_kpi_table(plan.kpis))
    _out()
    _out(f"status: {status}")
    _out(f"wall time: {result.stats.wall_s:.2f} s solver, {time.perf_counter() - t0:.2f} s total")
    _out(f"planned: {len(plan.assigned_job_ids())} of {len(problem.jobs)} jobs; "
         f"not planned: {len(plan.unassigned)}" + (":" if plan.unassigned else ""))
    for item in plan.unassigned[:SHOW_UNASSIGNED]:
        _out(f"  {item.job}: {item.reason}")
    if len(plan.unassigned) > SHOW_UNASSIGNED:
        _out(f"  ... and {len(plan.unassigned) - SHOW_UNASSIGNED} more"
             + (f" (see {args.out})" if args.out else ""))
    if args.out:
        _out(f"plan: {args.out}")
    if args.csv:
        _out(f"tables: {args.csv}")
    if status == "no_solution":
        _err("dispatchopt: nothing was plannable (status no_solution); see the reasons above")
        return EXIT_FAILED
    return EXIT_OK


def _write_csv(plan, directory: Path) -> None:
    import pandas as pd

    directory.mkdir(parents=True, exist_ok=True)
    plan.to_frame().to_csv(directory / "visits.csv", index=False)
    plan.unassigned_frame().to_csv(directory / "unassigned.csv", index=False)
    pd.DataFrame(_flatten_kpis(plan.kpis or {}), columns=["kpi", "value"]).to_csv(
        directory / "kpis.csv", index=False)
    log.info("visits.csv, unassigned.csv and kpis.csv written to %s", directory)


def cmd_verify(args: argparse.Namespace) -> int:
    problem = _load_problem(args.scenario)
    verify = _need("dispatchopt.audit.verify", "verify", "verification")
    plan = _load_plan(problem, args.plan)
    violations = verify(problem, plan)
    if violations:
        _print_violations(violations)
        return EXIT_FAILED
    _out("OK")
    return EXIT_OK


def cmd_kpi(args: argparse.Namespace) -> int:
    problem = _load_problem(args.scenario)
    compute_kpis = _need("dispatchopt.audit.kpi", "compute_kpis", "KPIs")
    plan = _load_plan(problem, args.plan)
    _out(_kpi_table(compute_kpis(problem, plan)))
    return EXIT_OK


BATCH_COLUMNS = ("scenario", "variant", "backend", "seed", "status", "wall_s", "n_violations",
                 "on_time_rate", "late_jobs", "unassigned", "travel_minutes", "error")


WHATIF_KPIS = ("on_time_rate", "late_jobs", "unassigned", "travel_minutes", "overtime_minutes")


def cmd_batch(args: argparse.Namespace) -> int:
    run_batch = _need("dispatchopt.experiments.batch", "run_batch", "batch runs")
    scenarios = [_existing(path, "scenario") for path in args.scenarios]
    table = run_batch(scenarios, backends=args.backend or ["ortools"], seeds=args.seeds,
                      time_limit_s=args.time_limit_s, workers=args.workers, executor=args.executor,
                      ray_address=args.ray_address, out_dir=Path(args.out),
                      solution_limit=args.solution_limit)
    columns = [c for c in BATCH_COLUMNS if c in table.columns
               and not (c in ("variant", "error") and table[c].isna().all())]
    _out(table[columns].to_string(index=False))
    n_runs, n_skipped = table.attrs.get("n_runs", len(table)), table.attrs.get("n_skipped", 0)
    _out(f"{n_runs} runs ({n_skipped} already recorded); results: {Path(args.out) / 'results.csv'}")
    failed = int((table["status"] == "error").sum()) if "status" in table else 0
    broken = int((table["n_violations"].fillna(0) > 0).sum()) if "n_violations" in table else 0
    if failed or broken:
        _err(f"dispatchopt: {failed} run(s) failed and {broken} plan(s) broke a hard rule; "
             "see the error column and the run records")
        return EXIT_FAILED
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    parse_vary = _need("dispatchopt.experiments.whatif", "parse_vary", "what-if runs")
    run_whatif = _need("dispatchopt.experiments.whatif", "run_whatif", "what-if runs")
    base = _existing(args.base, "scenario")
    vary = parse_vary(args.vary)
    summary = run_whatif(base, vary, backend=args.backend, seeds=args.seeds,
                         time_limit_s=args.time_limit_s, workers=args.workers, executor=args.executor,
                         ray_address=args.ray_address, out_dir=Path(args.out), template=args.template,
                         demand_seed=args.demand_seed, solution_limit=args.solution_limit)
    shown = ["variant", *vary, "n_runs", "n_errors"]
    for kpi in WHATIF_KPIS:
        shown += [c for c in (kpi, f"{kpi}_delta") if c in summary.columns]
    _out(summary[[c for c in shown if c in summary.columns]].to_string(index=False))
    out = Path(args.out)
    _out(f"summary (every KPI and delta): {out / 'whatif.csv'}; runs: {out / 'results.csv'}")
    failed = int(summary["n_errors"].sum()) if "n_errors" in summary else 0
    if failed:
        _err(f"dispatchopt: {failed} what-if run(s) failed; see {out / 'results.csv'}")
        return EXIT_FAILED
    return EXIT_OK


def _add_reopt_flags(p: argparse.ArgumentParser, *, default_s: float | None) -> None:
    """Flags of the OR-Tools re-optimisation that follows the immediate live answer."""
    p.add_argument("--reopt-time-limit-s", dest="reopt_time_limit_s", type=float, default=default_s,
                   metavar="N", help="re-optimise with OR-Tools for N s after the immediate answer "
                   "(0 = immediate answer only; insert default 0, replay default 2)")
    p.add_argument("--churn-penalty-min", type=float, default=30.0, metavar="MIN",
                   help="cost, in travel minutes, of moving a job to another technician (default 30)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0)")


def _live_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        func = _need("dispatchopt.cli.live", name, f"'{args.command}'")
        code = func(args)
        return EXIT_OK if code is None else int(code)

    run.__name__ = f"cmd_{name}"
    return run


# -- parser -------------------------------------------------------------------------------------
def _backends() -> tuple[str, ...]:
    try:
        from ..solvers import BACKENDS
    except ImportError:
        return FALLBACK_BACKENDS
    return tuple(BACKENDS)


def _add_time_limit(parser: argparse.ArgumentParser, what: str = "solver wall-clock limit") -> None:
    parser.add_argument("--time-limit-s", type=_positive_float, default=30.0, metavar="N",
                        help=f"{what} in seconds (default 30)")


def _add_parallel_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=_int_list, default=[0], metavar="0,1,2",
                        help="comma-separated seeds (default 0)")
    _add_time_limit(parser, "solver limit per run")
    parser.add_argument("--workers", type=_positive_int, default=2, metavar="W",
                        help="parallel runs (default 2)")
    parser.add_argument("--executor", choices=("process", "ray"), default="process",
                        help="where runs execute (default process; ray needs the ray extra)")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="running Ray cluster to use with --executor ray ('auto', 'ray://host:10001')")
    parser.add_argument("--solution-limit", type=_positive_int, metavar="K",
                        help="stop OR-Tools after K improving solutions (reproducible runs)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="results directory (runs already recorded there are not redone)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dispatchopt",
        description="Plan and re-plan field-service repair work with Google OR-Tools.",
        epilog="exit codes: 0 ok; 1 hard-rule violations or nothing plannable; 2 bad input")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress to stderr (-vv: debug)")
    # -v also after the command; SUPPRESS keeps a subcommand from resetting the count to 0
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log progress to stderr (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    backends = _backends()
    backend_help = f"solver backend: {', '.join(backends)} (default ortools)"

    p = sub.add_parser("solve", parents=[common], help="solve a scenario, verify the plan, print KPIs",
                       description="Load SCENARIO, solve it, verify the plan against every hard "
                                   "rule, compute the KPIs and write the plan.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML/JSON file or CSV directory")
    _add_time_limit(p)
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--backend", choices=backends, default="ortools", metavar="B", help=backend_help)
    p.add_argument("--out", metavar="PLAN.json", help="write the plan (with its KPIs) here")
    p.add_argument("--csv", metavar="DIR", help="write visits.csv, unassigned.csv and kpis.csv here")
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

    p = sub.add_parser("batch", parents=[common], help="solve scenarios x seeds (x backends) in parallel",
                       description="Solve every SCENARIO with every backend and seed; write plans, "
                                   "run records and results.csv to --out.")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="+")
    p.add_argument("--backend", choices=backends, action="append", metavar="B",
                   help=backend_help + "; repeat for several")
    _add_parallel_flags(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("whatif", parents=[common], help="solve variations of a base scenario",
                       description="Solve BASE once per combination of --vary values and compare "
                                   "each variant's KPIs with the base. Knobs: add_technicians=N, "
                                   "demand=F, speed_factor=F, close_roads=NAME|u-v;u2-v2|none.")
    p.add_argument("base", metavar="BASE", help="base scenario")
    p.add_argument("--vary", action="append", required=True, metavar="KNOB=V1,V2",
                   help="a knob and its values; repeat for several (variants: their product)")
    p.add_argument("--backend", choices=backends, default="ortools", metavar="B", help=backend_help)
    p.add_argument("--template", metavar="TECH", help="technician id that add_technicians clones")
    p.add_argument("--demand-seed", type=int, default=0, metavar="S",
                   help="seed of the demand resampling (default 0)")
    _add_parallel_flags(p)
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("insert", parents=[common], help="insert a new job into a running plan",
                       description="Insert the job of --job into PLAN at time --now.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="current plan JSON file")
    p.add_argument("--job", required=True, metavar="JOB.json", help="the new job (scenario job keys)")
    p.add_argument("--now", required=True, metavar="ISO", help="current time, e.g. 2026-11-23T10:15")
    p.add_argument("--out", required=True, metavar="NEW.json", help="write the new plan here")
    _add_reopt_flags(p, default_s=0.0)
    p.set_defaults(func=_live_command("cli_insert"))

    p = sub.add_parser("replay", parents=[common], help="replay a day's events, re-planning after each",
                       description="Replay EVENTS.jsonl against SCENARIO; write plans and a log.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("events", metavar="EVENTS.jsonl", help="one event per line")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    _add_reopt_flags(p, default_s=None)
    p.add_argument("--backend", default="ortools", help="backend of the morning plan (default ortools)")
    p.add_argument("--time-limit-s", type=float, default=None, metavar="N",
                   help="time limit of the morning plan (default: by size, 2-10 s)")
    p.set_defaults(func=_live_command("cli_replay"))

    generate.add_parsers(sub, common)
    return parser


# -- entry point --------------------------------------------------------------------------------
def _setup_logging(verbosity: int) -> tuple[logging.Handler, int]:
    """Send the library's log to stderr at the chosen level; returns what to undo."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler.setLevel(level)
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(level)
    return handler, old_level


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        what = exc.strerror or "no such file or directory"
        return f"{exc.filename}: {what}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the ``dispatchopt`` command line; returns the exit code (0, 1 or 2)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:       # --help, --version, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler, old_level = _setup_logging(args.verbose)
    try:
        return args.func(args)
    except SolverError:
        raise                       # a bug or a broken installation: keep the traceback
    except (DispatchOptError, FileNotFoundError) as exc:    # bad input: one line, exit 2
        log.debug("bad input", exc_info=True)
        _err(f"dispatchopt: error: {_describe(exc)}")
        return EXIT_BAD_INPUT
    except Unavailable as exc:
        _err(f"dispatchopt: error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err("dispatchopt: interrupted")
        return 130
    except BrokenPipeError:         # output piped into `head` and the like: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):   # stdout is not a real file (tests capture it)
            pass
        return EXIT_FAILED
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
