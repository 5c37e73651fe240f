"""What every ``dispatchopt`` subcommand shares: exit codes, printing, input paths, flag types.

The command modules (:mod:`.solve`, :mod:`.experiments`, :mod:`.live`, :mod:`.generate`) each
register their subparsers with an ``add_parsers(sub, common)`` function and import from here;
:mod:`.main` builds the parser and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ..audit.belongs import check_time_in_horizon, load_plan_checked
from ..audit.verify import verify
from ..domain import Problem
from ..errors import EventError, ParameterError
from ..plan import Plan
from ..scenario import load_scenario
from ..solvers import BACKENDS

EXIT_OK = 0
EXIT_FAILED = 1      # violations, nothing plannable, or failed batch / what-if runs
EXIT_BAD_INPUT = 2   # bad scenario / plan / event file, missing path, bad usage
EXIT_INTERRUPTED = 130   # Ctrl-C (SIGINT): what was finished is kept

BACKEND_HELP = f"solver backend: {', '.join(BACKENDS)} (default auto: the engine that plans best for the problem)"


# -- printing (only cli/ prints) ----------------------------------------------------------------
def out(text: str = "", *, flush: bool = False) -> None:
    """Print a line of the command's output to stdout."""
    print(text, file=sys.stdout, flush=flush)


def err(text: str) -> None:
    """Print a line to stderr (failure summaries, error messages)."""
    print(text, file=sys.stderr)


def print_violations(violations: Sequence[Any]) -> None:
    """The count of hard-rule violations, then one ``[rule] message`` line each."""
    out(f"{len(violations)} violation(s) of the hard rules:")
    for v in violations:
        out(f"  [{v.rule}] {v.message}")


# -- input paths --------------------------------------------------------------------------------
def existing(path: str | Path, what: str) -> Path:
    """The path, checked to exist (a clear message instead of a deep FileNotFoundError)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, f"{what} not found", str(p))
    return p


# -- output paths, checked before any work starts ------------------------------------------------
def _nearest_existing(p: Path) -> Path:
    """``p`` or its nearest existing ancestor."""
    p = p.absolute()
    while not p.exists() and p.parent != p:
        p = p.parent
    return p


def _check_creatable(p: Path, flag: str) -> None:
    """``p`` does not exist yet: its nearest existing ancestor must be a writable directory."""
    base = _nearest_existing(p)
    if not base.is_dir():
        raise ParameterError(f"{flag} {p}: {base} is a file, not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ParameterError(f"{flag} {p}: no permission to write in {base}")


def output_file(path: str | Path, flag: str) -> Path:
    """The path of a file to write (``--out PLAN.json``), checked before any work: not a
    directory, not under a regular file, not under /proc, /sys or /dev, writable.
    ParameterError (exit 2) otherwise."""
    p = Path(path)
    resolved = p.absolute()
    if resolved.parts[1:2] and resolved.parts[1] in ("proc", "sys", "dev"):
        raise ParameterError(f"{flag} {p}: not a place for output files (/{resolved.parts[1]})")
    if p.is_dir():
        raise ParameterError(f"{flag} {p}: is a directory; expected a file name")
    if p.exists():
        if not p.is_file():
            raise ParameterError(f"{flag} {p}: exists and is not a regular file")
        if not os.access(p, os.W_OK):
            raise ParameterError(f"{flag} {p}: no permission to overwrite it")
        return p
    _check_creatable(p, flag)
    return p


def output_dir(path: str | Path, flag: str) -> Path:
    """The path of a directory to write into (``--csv DIR``, ``batch --out DIR``), checked
    before any work: not a file, not under a file, not under /proc, /sys or /dev, writable."""
    p = Path(path)
    resolved = p.absolute()
    if resolved.parts[1:2] and resolved.parts[1] in ("proc", "sys", "dev"):
        raise ParameterError(f"{flag} {p}: not a place for output files (/{resolved.parts[1]})")
    if p.exists():
        if not p.is_dir():
            raise ParameterError(f"{flag} {p}: is a file; expected a directory")
        if not os.access(p, os.W_OK | os.X_OK):
            raise ParameterError(f"{flag} {p}: no permission to write in it")
        return p
    _check_creatable(p, flag)
    return p


def need_ray() -> None:
    """ParameterError (exit 2, one line) when Ray, the ``ray`` extra, is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ParameterError("--executor ray: Ray is not installed; "
                             "pip install 'dispatchopt[ray]' (or use --executor process)") from None


BACKEND_PACKAGES = {"pyvrp": ("pyvrp", "pyvrp"), "vroom": ("vroom", "pyvroom")}
"""backend -> (module it imports, the pip package that provides it)."""


def need_backend(backend: str) -> None:
    """ParameterError (exit 2, one line naming what to install) when the package ``--backend``
    needs is not installed."""
    module, package = BACKEND_PACKAGES.get(backend, (None, None))
    if module is None:
        return
    try:
        __import__(module)
    except ImportError:
        raise ParameterError(f"--backend {backend}: the package {package} is not installed; "
                             f"pip install {package} (a dependency of dispatchopt) or use "
                             "--backend auto") from None


def check_backend(problem: Problem, backend: str) -> None:
    """ParameterError (exit 2, one line) before any work when ``--backend`` cannot run: its
    package is not installed (:func:`need_backend`), or ``pyvrp`` is asked for a problem that is
    not plain routing (the first reasons, and which backend to use)."""
    need_backend(backend)
    if backend == "pyvrp":
        from ..solvers.pyvrp_backend import plain_routing_issues

        issues = plain_routing_issues(problem)
        if issues:
            more = f"; and {len(issues) - 2} more" if len(issues) > 2 else ""
            raise ParameterError(f"--backend pyvrp: scenario '{problem.name}' is not plain routing "
                                 f"({'; '.join(issues[:2])}{more}); use --backend auto or ortools")


def load_problem(path: str | Path) -> Problem:
    """The scenario at ``path`` (FileNotFoundError when missing, ScenarioError when invalid)."""
    return load_scenario(existing(path, "scenario"))


def load_plan(problem: Problem, path: str | Path) -> Plan:
    """The plan file at ``path``, read against ``problem`` after checking that it belongs to it
    (a JSON object, the same scenario name, known technician and job ids): PlanFormatError."""
    return load_plan_checked(problem, existing(path, "plan file"))


# -- argparse types and shared flags ------------------------------------------------------------
def int_list(text: str) -> list[int]:
    """argparse type for ``--seeds 0,1,2``."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one integer, got {text!r}")
    bad = [v for v in values if not 0 <= v <= MAX_SEED]
    if bad:
        raise argparse.ArgumentTypeError(f"expected seeds from 0 to {MAX_SEED}, got {bad[0]} in {text!r}")
    if len(values) > 10_000:
        raise argparse.ArgumentTypeError(f"expected at most 10000 seeds, got {len(values)}")
    return values


MAX_SECONDS = 7 * 86_400.0
"""Largest accepted time limit (a week): above it a limit is a typo, not a budget."""
MAX_SEED = 2**31 - 1
MAX_WORKERS = 1024
MAX_SOLUTION_LIMIT = 10**9


def _seconds(text: str, *, zero_ok: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    low = "0" if zero_ok else "above 0"
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok) or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"expected a finite number of seconds {low} and at most {MAX_SECONDS:.0f} (a week), got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type for a positive, finite number of seconds, at most :data:`MAX_SECONDS`."""
    return _seconds(text, zero_ok=False)


def nonnegative_float(text: str) -> float:
    """argparse type for a finite number of seconds from 0 (off) to :data:`MAX_SECONDS`."""
    return _seconds(text, zero_ok=True)


def bounded_int(low: int, high: int):
    """argparse type for an integer in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to {high}, got {text!r}")
        return value
    return parse


def positive_int(text: str) -> int:
    """argparse type for an integer >= 1 (at most :data:`MAX_SOLUTION_LIMIT`)."""
    return bounded_int(1, MAX_SOLUTION_LIMIT)(text)


def seed_int(text: str) -> int:
    """argparse type for a seed, 0 to 2**31 - 1."""
    return bounded_int(0, MAX_SEED)(text)


def nonnegative_minutes(text: str) -> float:
    """argparse type for a finite, non-negative number of minutes (at most a week)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of minutes, got {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 7 * 1440:
        raise argparse.ArgumentTypeError(f"expected a finite number of minutes from 0 to {7 * 1440}, got {text!r}")
    return value


def add_time_limit(parser: argparse.ArgumentParser, what: str = "solver wall-clock limit") -> None:
    """``--time-limit-s N`` (positive seconds, default 30)."""
    parser.add_argument("--time-limit-s", type=positive_float, default=30.0, metavar="N",
                        help=f"{what} in seconds (default 30)")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet``: no progress bar (on a terminal there is one), only the result lines."""
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar, only the result lines (a pipe never gets a bar)")


def add_backend(parser: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """``--backend B``, one of :data:`~dispatchopt.solvers.BACKENDS` (default auto); with
    ``repeatable`` the flag may be given several times (a list, ``None`` when not given)."""
    if repeatable:
        parser.add_argument("--backend", choices=BACKENDS, action="append", metavar="B",
                            help=BACKEND_HELP + "; repeat for several")
    else:
        parser.add_argument("--backend", choices=BACKENDS, default="auto", metavar="B",
                            help=BACKEND_HELP)


def now_arg_s(problem: Problem, text: str) -> int:
    """``--now`` as problem seconds, inside the horizon (else one line, exit 2)."""
    try:
        now = problem.clock.to_seconds(str(text))
    except ValueError as exc:
        raise EventError(f"--now: bad time {text!r} ({exc})") from None
    check_time_in_horizon(problem, now, what="--now")
    return now


def read_job_file(path: str) -> tuple[Path, Any]:
    """The JSON of ``--job`` (a job object or a list of them), unparsed."""
    job_path = existing(path, "job file")
    try:
        return job_path, json.loads(job_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EventError(f"{job_path}: not valid JSON: {exc}") from None


def running_plan(args: argparse.Namespace, doing: str) -> tuple[Problem, Plan | None, int]:
    """SCENARIO, PLAN and ``--now`` of ``insert`` / ``book``: the plan is ``None`` (its
    violations printed, with one line saying nothing was ``doing``) when it does not verify."""
    problem = load_problem(args.scenario)
    plan = load_plan(problem, args.plan)
    now = now_arg_s(problem, args.now)
    violations = verify(problem, plan)
    if violations:
        print_violations(violations)
        out(f"dispatchopt: the plan {Path(args.plan)} does not verify against {args.scenario}; nothing {doing}")
        return problem, None, now
    return problem, plan, now

