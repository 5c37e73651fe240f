"""``dispatchopt book``: the appointment windows we can promise a calling customer.

``dispatchopt book SCENARIO PLAN --job JOB.json --now ISO [--days 3] [--slot-minutes 120]
[--top 5] [--hours 08:00-18:00]`` prints the feasible slots ranked by the change in plan cost,
with the technician that would go, then the slots not offered and why
(:func:`dispatchopt.live.candidate_windows`). ``--accept SLOT --out PLAN2 --scenario-out S2``
books a slot (its label as printed): the job gets that window, is inserted by a ``NewJob``
event through ``live.apply`` (as ``insert`` does), and the new plan (verified) and the scenario
as it now stands are written. Exit codes: 0 ok, 1 a plan breaks a hard rule or the booking
did not land as offered (nothing written), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..audit.belongs import check_time_in_horizon
from ..audit.kpi import compute_kpis
from ..audit.verify import verify
from ..domain import Problem
from ..errors import EventError, ParameterError
from ..live.booking import CandidateWindows, Slot, book, candidate_windows
from ..live.events import parse_job
from ..live.state import DispatchState
from ..scenario import save_scenario
from .common import (EXIT_FAILED, EXIT_OK, out, output_file, positive_int, read_job_file, running_plan)


def add_book_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``book`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("book", parents=[common], help="the appointment windows a calling customer can have",
                       description="List the slots of the coming days in which the job of --job can "
                                   "be served without moving any job out of its window or making an "
                                   "emergency or an on-time job late, cheapest first; --accept books one.")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="current plan JSON file")
    p.add_argument("--job", required=True, metavar="JOB.json",
                   help="the job to book (scenario job keys, no window)")
    p.add_argument("--now", required=True, metavar="ISO", help="current time, e.g. 2026-11-23T10:15")
    p.add_argument("--days", type=positive_int, default=3, metavar="N",
                   help="local days from today to offer (default 3)")
    p.add_argument("--slot-minutes", type=positive_int, default=120, metavar="MIN",
                   help="slot length in minutes (default 120)")
    p.add_argument("--top", type=positive_int, default=5, metavar="K", help="offer at most K slots (default 5)")
    p.add_argument("--hours", default=None, metavar="HH:MM-HH:MM",
                   help="offer slots inside these local hours only (default: the working hours)")
    p.add_argument("--accept", default=None, metavar="SLOT", help="book this slot (its label as printed)")
    p.add_argument("--out", default=None, metavar="PLAN2.json", help="with --accept: write the new plan here")
    p.add_argument("--scenario-out", default=None, metavar="S2.yaml",
                   help="with --accept: write the scenario as it now stands (with the booked job) here")
    p.set_defaults(func=cli_book)


def _read_job(path: str) -> tuple[Path, dict]:
    job_path, raw = read_job_file(path)
    if not isinstance(raw, dict):
        raise EventError(f"{job_path}: expected one job object (scenario job keys), found {type(raw).__name__}")
    if "window" in raw:
        raise EventError(f"{job_path}: window: booking chooses the window; drop the key")
    return job_path, raw


def _check_outputs(args: Any) -> None:
    accept, plan_out, scen_out = args.accept, args.out, args.scenario_out
    if accept is None and (plan_out or scen_out):
        raise ParameterError("--out / --scenario-out: only with --accept SLOT")
    if accept is not None and not (plan_out and scen_out):
        raise ParameterError("--accept: give --out PLAN2.json and --scenario-out S2.yaml to write the booking")
    if accept is not None:
        output_file(plan_out, "--out")
        output_file(scen_out, "--scenario-out")


def table(problem: Problem, answer: CandidateWindows, top: int | None = None) -> list[str]:
    """The printed answer: the ``top`` cheapest offered slots, then the refused ones and the
    closed days."""
    t = lambda s: problem.clock.to_iso(s)[11:16]    # noqa: E731
    lines = [f"{'rank':>4}  {'slot':<16} {'window':<11}  {'technician':<16} {'starts':>6} "
             f"{'+travel':>8} {'+cost':>9}"]
    shown = answer.offered[:top] if top is not None else answer.offered
    for i, s in enumerate(shown, start=1):
        lines.append(f"{i:>4}  {s.label:<16} {t(s.start_s)}-{t(s.end_s)}  {s.technician:<16} "
                     f"{t(s.visit_start_s):>6} {s.added_travel_s / 60:>7.1f}m {s.cost:>9.2f}")
    if not answer.offered:
        lines.append("      no slot can be promised in the asked days")
    if answer.feasible > len(shown):
        lines.append(f"      ({answer.feasible - len(shown)} more feasible slot(s) beyond --top)")
    for s in answer.refused:
        lines.append(f"  not offered {s.label} {t(s.start_s)}-{t(s.end_s)}: {s.reason}")
    for c in answer.closed:
        lines.append(f"  no slots on {c.day.isoformat()}: {c.reason}")
    return lines


def _landed(state: DispatchState, job_id: str, slot: Slot) -> str | None:
    """Why the booked job did not land inside its window, or None."""
    for route in state.plan.routes:
        for v in route.visits:
            if v.job == job_id:
                if slot.start_s <= v.start_s <= slot.end_s:
                    return None
                return f"it starts at {state.problem.clock.to_iso(v.start_s)}, outside the slot"
    return f"not placed: {state.unassigned.get(job_id, 'not planned')}"


def _accept(state: DispatchState, job: Any, answer: CandidateWindows, label: str, due: str,
            args: Any) -> int:
    slot = answer.slot(label)
    if slot is None:
        labels = ", ".join(s.label for s in answer.offered) or "none"
        raise ParameterError(f"--accept: no slot {label!r} in the grid (offered: {labels})")
    if not slot.offered:
        raise ParameterError(f"--accept: slot {label} is not offered: {slot.reason}")
    update = book(state, job, slot, due=due)
    new = update.state
    for line in update.lines():
        out(line)
    missed = _landed(new, job.id, slot)
    violations = verify(new.problem, new.plan)
    if violations:
        print_violations(violations)
        out("dispatchopt: the new plan breaks a hard rule; it was not written")
        return EXIT_FAILED
    if missed is not None:
        out(f"dispatchopt: the booking of {label} did not land as offered ({missed}); nothing written")
        return EXIT_FAILED
    target, scenario = Path(args.out), Path(args.scenario_out)
    target.parent.mkdir(parents=True, exist_ok=True)
    new.plan.with_kpis(compute_kpis(new.problem, new.plan)).save(target)
    scenario.parent.mkdir(parents=True, exist_ok=True)
    save_scenario(new.problem, scenario)
    out(f"booked {job.id} for {label}: plan {target} (verify OK); scenario as it now stands: {scenario}")
    return EXIT_OK


def cli_book(args: Any) -> int:
    """List the slots (and with ``--accept`` book one); see the module doc."""
    _check_outputs(args)
    problem, plan, now = running_plan(args, "booked")
    job_path, raw = _read_job(args.job)
    if plan is None:
        return EXIT_FAILED
    state = DispatchState.start(problem, plan, now)
    job = parse_job(state.problem, raw, now_s=now, source=str(job_path))
    if state.problem.has_job(job.id):
        raise EventError(f"{job_path}: id: job {job.id!r} already exists in the scenario")
    due = "job" if raw.get("due") is not None else "window"
    # every feasible slot is kept (--accept may name one beyond --top); the table shows --top
    answer = candidate_windows(state, job, days=args.days, slot_minutes=args.slot_minutes,
                               hours=args.hours, due=due)
    out(f"now {problem.clock.to_iso(now)}; job {job.id} ({job.category}, {job.duration_s // 60} min): "
        f"{answer.feasible} of {answer.feasible + len(answer.refused)} slot(s) can be promised")
    for line in table(problem, answer, args.top):
        out(line)
    out(f"answered in {answer.elapsed_ms:.1f} ms")
    if args.accept is None:
        return EXIT_OK
    return _accept(state, job, answer, str(args.accept), due, args)
