"""``dispatchopt generate``: write a random but realistic scenario (contract v1).

``--days N`` (N > 1) writes a multi-day scenario instead (:func:`dispatchopt.synth.multiday.
generate_multi_day`, docs/multiday.md): ``--technicians`` people on a weekly shift pattern and
``--jobs`` jobs spread over the N days (a multiple of N), ``--load`` per day (default 0.7)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ParameterError, ScenarioError
from ..scenario import problem_from_dict
from ..synth.generate import generate_scenario, load_of
from ..synth.multiday import generate_multi_day
from .common import EXIT_OK, out, positive_float, positive_int


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``generate`` on ``sub`` (the subparsers of ``build_parser``); ``common`` holds ``-v``."""
    p = sub.add_parser("generate", parents=[common], help="write a random scenario",
                       description="Generate a random scenario (contract v1) for tests and benchmarks.")
    p.add_argument("--technicians", type=positive_int, required=True, metavar="N")
    p.add_argument("--jobs", type=positive_int, required=True, metavar="M")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--out", required=True, metavar="FILE", help="scenario file (.yaml or .json)")
    p.add_argument("--load", type=positive_float, metavar="F",
                   help="a busy day: service technician-minutes (duration x crew size) over the work "
                        "minutes of the technicians who may work alone, exactly F (0.7 quiet, 1.0 full, "
                        "1.3 overloaded); adds hot spots, early emergencies, 2-hour windows, drainage crews")
    p.add_argument("--hotspots", type=int, metavar="N",
                   help="hot spots the jobs cluster around (default 3 with --load, else 0)")
    p.add_argument("--days", type=positive_int, default=1, metavar="N",
                   help="a multi-day scenario over N days (2..7; --jobs in all, a multiple of N; --load "
                        "per day, default 0.7; people on a weekly shift pattern, days off, history "
                        "minutes, follow-ups, surveys due in 2 working days: docs/multiday.md)")
    p.set_defaults(func=cmd_generate)


def _data(args: argparse.Namespace) -> dict[str, Any]:
    if args.days == 1:
        return generate_scenario(args.technicians, args.jobs, seed=args.seed, load=args.load,
                                 hotspots=args.hotspots)
    if args.jobs % args.days:
        raise ParameterError(f"--jobs {args.jobs}: with --days {args.days} give a multiple of {args.days} "
                             f"(the same number of jobs each day)")
    if args.hotspots is not None:
        raise ParameterError("--hotspots: not with --days (a multi-day scenario has no hot spots)")
    load = 0.7 if args.load is None else args.load
    return generate_multi_day(args.technicians, args.jobs // args.days, days=args.days, seed=args.seed,
                              load=load)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate, validate (a generated file always loads), then write ``--out``."""
    target = Path(args.out)
    suffix = target.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ScenarioError(f"--out {target}: unknown scenario format {suffix or target.name!r} "
                            "(expected .yaml, .yml or .json)", source=str(target))
    data = _data(args)
    problem = problem_from_dict(data, source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    if args.days > 1:
        out(f"scenario: {target} ({args.days} days from {data['start'][:10]}, {args.technicians} people = "
            f"{len(problem.technicians)} day copies, {args.jobs} jobs, seed {args.seed})")
        return EXIT_OK
    out(f"scenario: {target} ({args.technicians} technicians, {args.jobs} jobs, seed {args.seed}, "
        f"load {load_of(data):.3f})")
    return EXIT_OK
