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
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .errors import EventError, PlanFormatError, ScenarioError, TravelError

log = logging.getLogger("dispatchopt")

EXIT_OK = 0
EXIT_FAILED = 1      # violations, or nothing plannable
EXIT_BAD_INPUT = 2   # bad scenario / plan / event file, missing path, bad usage

BACKENDS = ("ortools", "greedy")
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
    from .plan import Plan

    return Plan.load(problem, _existing(path, "plan file"))


def _format_violation(v: Any) -> str:
    where = []
    technician = getattr(v, "technician", None)
    job = getattr(v, "job", None)
    if technician:
        where.append(f"technician {technician}")
    if job:
        where.append(f"job {job}")
    suffix = f" ({', '.join(where)})" if where else ""
    return f"  [{v.rule}] {v.message}{suffix}"


def _print_violations(violations: Sequence[Any]) -> None:
    _out(f"{len(violations)} violation(s) of the hard rules:")
    for v in violations:
        _out(_format_violation(v))


def _flatten_kpis(kpis: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten_kpis(value, prefix=name + "."))
        else:
            rows.append((name, value))
    return rows


def _kpi_table(kpis: dict[str, Any]) -> str:
    kpi_table = _need("dispatchopt.kpi", "kpi_table", "KPI tables")
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
    verify = _need("dispatchopt.verify", "verify", "verification")
    compute_kpis = _need("dispatchopt.kpi", "compute_kpis", "KPIs")
    _need("dispatchopt.kpi", "kpi_table", "KPI tables")  # fail before a long solve, not after

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
         f"unassigned: {len(plan.unassigned)}")
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
    verify = _need("dispatchopt.verify", "verify", "verification")
    plan = _load_plan(problem, args.plan)
    violations = verify(problem, plan)
    if violations:
        _print_violations(violations)
        return EXIT_FAILED
    _out("OK")
    return EXIT_OK


def cmd_kpi(args: argparse.Namespace) -> int:
    problem = _load_problem(args.scenario)
    compute_kpis = _need("dispatchopt.kpi", "compute_kpis", "KPIs")
    plan = _load_plan(problem, args.plan)
    _out(_kpi_table(compute_kpis(problem, plan)))
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    run_batch = _need("dispatchopt.batch", "run_batch", "batch runs")
    scenarios = [_existing(path, "scenario") for path in args.scenarios]
    frame = run_batch(scenarios, seeds=args.seeds, time_limit_s=args.time_limit_s,
                      workers=args.workers, backends=args.backend or ["ortools"],
                      executor=args.executor, ray_address=args.ray_address, out=Path(args.out))
    _out(frame.to_string(index=False))
    _out(f"results: {args.out}")
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    parse_vary = _need("dispatchopt.whatif", "parse_vary", "what-if runs")
    run_whatif = _need("dispatchopt.whatif", "run_whatif", "what-if runs")
    base = _existing(args.base, "scenario")
    variations = parse_vary(args.vary)
    frame = run_whatif(base, variations, seeds=args.seeds, time_limit_s=args.time_limit_s,
                       backend=args.backend, out=Path(args.out))
    _out(frame.to_string(index=False))
    _out(f"results: {args.out}")
    return EXIT_OK


def _live_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        func = _need("dispatchopt.live", name, f"'{args.command}'")
        code = func(args)
        return EXIT_OK if code is None else int(code)

    run.__name__ = f"cmd_{name}"
    return run


def cmd_generate(args: argparse.Namespace) -> int:
    generate_scenario = _need("dispatchopt.scenario.generate", "generate_scenario",
                              "scenario generation")
    data = generate_scenario(technicians=args.technicians, jobs=args.jobs, seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, dict):
        if out.suffix.lower() == ".json":
            out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            import yaml

            out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    else:  # a Problem
        save_scenario = _need("dispatchopt.scenario", "save_scenario", "saving scenarios")
        save_scenario(data, out)
    _out(f"scenario: {out} ({args.technicians} technicians, {args.jobs} jobs, seed {args.seed})")
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------
def _add_solver_flags(parser: argparse.ArgumentParser, *, time_limit: float = 30.0) -> None:
    parser.add_argument("--time-limit-s", type=_positive_float, default=time_limit, metavar="N",
                        help=f"solver wall-clock limit in seconds (default {time_limit:g})")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--backend", choices=BACKENDS, default="ortools",
                        help="solver backend (default ortools)")


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

    p = sub.add_parser("solve", parents=[common], help="solve a scenario, verify the plan, print KPIs",
                       description="Load SCENARIO, solve it, verify the plan against every hard "
                                   "rule, compute the KPIs and write the plan.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML/JSON file or CSV directory")
    _add_solver_flags(p)
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
                       description="Solve every SCENARIO with every seed; write the results table.")
    p.add_argument("scenarios", metavar="SCENARIO", nargs="+")
    p.add_argument("--seeds", type=_int_list, default=[0], metavar="0,1,2",
                   help="comma-separated seeds (default 0)")
    p.add_argument("--time-limit-s", type=_positive_float, default=30.0, metavar="N",
                   help="solver limit per run in seconds (default 30)")
    p.add_argument("--workers", type=_positive_int, default=2, metavar="W",
                   help="parallel runs (default 2)")
    p.add_argument("--backend", choices=BACKENDS, action="append", metavar="{ortools,greedy}",
                   help="backend; repeat for several (default ortools)")
    p.add_argument("--executor", choices=("process", "ray"), default="process",
                   help="where runs execute (default process)")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster address (with --executor ray)")
    p.add_argument("--out", required=True, metavar="DIR", help="results directory")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("whatif", parents=[common], help="solve variations of a base scenario",
                       description="Solve BASE once per combination of --vary values.")
    p.add_argument("base", metavar="BASE", help="base scenario")
    p.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2",
                   help="a parameter and its values; repeat for several")
    p.add_argument("--seeds", type=_int_list, default=[0], metavar="0,1,2",
                   help="comma-separated seeds (default 0)")
    _add_solver_flags(p)
    p.add_argument("--out", required=True, metavar="DIR", help="results directory")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("insert", parents=[common], help="insert a new job into a running plan",
                       description="Insert the job of --job into PLAN at time --now.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="current plan JSON file")
    p.add_argument("--job", required=True, metavar="JOB.json", help="the new job (scenario job keys)")
    p.add_argument("--now", required=True, metavar="ISO", help="current time, e.g. 2026-11-23T10:15")
    p.add_argument("--out", required=True, metavar="NEW.json", help="write the new plan here")
    p.set_defaults(func=_live_command("cli_insert"))

    p = sub.add_parser("replay", parents=[common], help="replay a day's events, re-planning after each",
                       description="Replay EVENTS.jsonl against SCENARIO; write plans and a log.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("events", metavar="EVENTS.jsonl", help="one event per line")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.set_defaults(func=_live_command("cli_replay"))

    p = sub.add_parser("generate", parents=[common], help="write a random scenario",
                       description="Generate a random scenario (contract v1) for tests and benchmarks.")
    p.add_argument("--technicians", type=_positive_int, required=True, metavar="N")
    p.add_argument("--jobs", type=_positive_int, required=True, metavar="M")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--out", required=True, metavar="FILE", help="scenario file (.yaml or .json)")
    p.set_defaults(func=cmd_generate)
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
    except (ScenarioError, PlanFormatError, EventError, TravelError, FileNotFoundError) as exc:
        log.debug("bad input", exc_info=True)
        _err(f"dispatchopt: error: {_describe(exc)}")
        return EXIT_BAD_INPUT
    except Unavailable as exc:
        _err(f"dispatchopt: error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err("dispatchopt: interrupted")
        return 130
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
