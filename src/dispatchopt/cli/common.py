"""What every ``dispatchopt`` subcommand shares: exit codes, printing, input paths, flag types.

The command modules (:mod:`.solve`, :mod:`.experiments`, :mod:`.live`, :mod:`.generate`) each
register their subparsers with an ``add_parsers(sub, common)`` function and import from here;
:mod:`.main` builds the parser and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from ..domain import Problem
from ..plan import Plan
from ..scenario import load_scenario
from ..solvers import BACKENDS

EXIT_OK = 0
EXIT_FAILED = 1      # violations, nothing plannable, or failed batch / what-if runs
EXIT_BAD_INPUT = 2   # bad scenario / plan / event file, missing path, bad usage

BACKEND_HELP = f"solver backend: {', '.join(BACKENDS)} (default ortools)"


# -- printing (only cli/ prints) ----------------------------------------------------------------
def out(text: str = "") -> None:
    """Print a line of the command's output to stdout."""
    print(text, file=sys.stdout)


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


def load_problem(path: str | Path) -> Problem:
    """The scenario at ``path`` (FileNotFoundError when missing, ScenarioError when invalid)."""
    return load_scenario(existing(path, "scenario"))


def load_plan(problem: Problem, path: str | Path) -> Plan:
    """The plan file at ``path``, read against ``problem``."""
    return Plan.load(problem, existing(path, "plan file"))


# -- argparse types and shared flags ------------------------------------------------------------
def int_list(text: str) -> list[int]:
    """argparse type for ``--seeds 0,1,2``."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one integer, got {text!r}")
    return values


def positive_float(text: str) -> float:
    """argparse type for a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """argparse type for an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def add_time_limit(parser: argparse.ArgumentParser, what: str = "solver wall-clock limit") -> None:
    """``--time-limit-s N`` (positive seconds, default 30)."""
    parser.add_argument("--time-limit-s", type=positive_float, default=30.0, metavar="N",
                        help=f"{what} in seconds (default 30)")


def add_backend(parser: argparse.ArgumentParser, *, repeatable: bool = False) -> None:
    """``--backend B``, one of :data:`~dispatchopt.solvers.BACKENDS` (default ortools); with
    ``repeatable`` the flag may be given several times (a list, ``None`` when not given)."""
    if repeatable:
        parser.add_argument("--backend", choices=BACKENDS, action="append", metavar="B",
                            help=BACKEND_HELP + "; repeat for several")
    else:
        parser.add_argument("--backend", choices=BACKENDS, default="ortools", metavar="B",
                            help=BACKEND_HELP)
