"""The ``dispatchopt`` command line: the parser, logging, and the mapping of errors to exit codes.

Only ``cli/`` prints; the library logs to the ``dispatchopt`` logger (``-v`` shows it).
Exit codes: 0 ok; 1 the plan breaks a hard rule, nothing was plannable, or batch / what-if runs
failed; 2 bad input (a missing or invalid scenario, plan or event file, unknown travel data, a
parameter the library refuses) or bad usage.

The commands live in one module per group, each registering its subparsers with
``add_parsers(sub, common)``: :mod:`.solve` (solve, verify, kpi), :mod:`.experiments` (batch,
whatif), :mod:`.live` (insert, replay) and :mod:`.generate`. Every command is part of every
build: an import error is a bug and fails loudly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from ..errors import DispatchOptError, SolverError
from . import experiments, generate, live, solve
from .book import add_book_parser
from .report import add_report_parser
from .simulate import add_simulate_parser
from .common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, err

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "build_parser", "main"]

log = logging.getLogger("dispatchopt")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (no usage block), exit 2."""

    def error(self, message: str):  # type: ignore[override]
        first = " ".join(message.split())
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {first} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``dispatchopt`` parser with every subcommand."""
    parser = OneLineParser(
        prog="dispatchopt",
        description="Plan and re-plan field-service repair work with Google OR-Tools.",
        epilog="exit codes: 0 ok; 1 hard-rule violations or nothing plannable; 2 bad input")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress to stderr (-vv: debug)")
    # -v also after the command; SUPPRESS keeps a subcommand from resetting the count to 0
    common = OneLineParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log progress to stderr (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in (solve, experiments, live, generate):   # the order of the help listing
        group.add_parsers(sub, common)
    add_report_parser(sub, common)
    add_simulate_parser(sub, common)
    add_book_parser(sub, common)
    return parser


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
    """One line for a bad-input error (a multi-line message is joined with ``; ``)."""
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        what = exc.strerror or "no such file or directory"
        return f"{exc.filename}: {what}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines) if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the ``dispatchopt`` command line; returns the exit code (0, 1 or 2).

    Every :class:`~dispatchopt.errors.DispatchOptError` (ScenarioError, PlanFormatError,
    TravelError, EventError, ParameterError, ...) and a missing path is bad input: one line on
    stderr, exit 2. A :class:`~dispatchopt.errors.SolverError` is a bug or a broken
    installation and keeps its traceback.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:       # --help, --version, or a usage error (argparse printed it)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler, old_level = _setup_logging(args.verbose)
    try:
        code = args.func(args)
        return EXIT_OK if code is None else int(code)
    except SolverError:
        raise                       # a bug or a broken installation: keep the traceback
    except (DispatchOptError, FileNotFoundError) as exc:    # bad input: one line, exit 2
        log.debug("bad input", exc_info=True)
        err(f"dispatchopt: error: {_describe(exc)}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:   # Ctrl-C; a batch says what it kept (BatchInterrupted)
        detail = _describe(exc) if str(exc) else ""
        err("dispatchopt: interrupted" + (f": {detail}" if detail else ""))
        return EXIT_INTERRUPTED
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
