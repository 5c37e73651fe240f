"""``dispatchopt insert`` and ``dispatchopt replay``: live re-planning from the command line.

Both commands return the exit code: 0 ok, 1 a plan breaks a hard rule (never written), 2 bad
input (raised as a DispatchOptError or FileNotFoundError, mapped by :mod:`.main`).

Optional arguments read when the caller provides them (``getattr`` with these defaults, so a
hand-made ``argparse.Namespace`` works): ``reopt_time_limit_s`` (insert: 0 = immediate answer
only; replay: 2 s after each event, 0 = off), ``churn_penalty_min`` (30), ``backend`` (replay's
morning plan: ortools), ``time_limit_s`` (replay's morning plan: jobs / 40 seconds, between 2
and 10), ``seed`` (0).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import IO, Any

from ..audit.belongs import check_events, check_time_in_horizon
from ..audit.kpi import compute_kpis, kpi_table
from ..audit.verify import verify
from ..domain import Problem
from ..errors import EventError, ParameterError
from ..live.events import NewJob, apply, describe_event, event_to_json, parse_event, parse_job, read_events
from ..live.notify import describe, notice_rules
from ..live.replan import replan
from ..live.state import DispatchState
from ..objective import plan_cost
from ..scenario import save_scenario
from ..solvers import solve
from .common import (EXIT_FAILED, EXIT_OK, existing, load_plan, load_problem, nonnegative_float,
                     nonnegative_minutes, now_arg_s, out, output_dir, output_file, positive_float,
                     print_violations, read_job_file, running_plan, seed_int)

INSERT_REOPT_S = 0.0
REPLAY_REOPT_S = 2.0
CHURN_PENALTY_MIN = 30.0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``insert`` and ``replay`` on ``sub`` (``common`` holds ``-v``)."""
    p = sub.add_parser("insert", parents=[common], help="insert a new job into a running plan",
                       description="Insert the job of --job into PLAN at time --now.", epilog=notice_rules())
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("plan", metavar="PLAN", help="current plan JSON file")
    p.add_argument("--job", required=True, metavar="JOB.json", help="the new job (scenario job keys)")
    p.add_argument("--now", required=True, metavar="ISO", help="current time, e.g. 2026-11-23T10:15")
    p.add_argument("--out", required=True, metavar="NEW.json", help="write the new plan here")
    add_reopt_flags(p, default_s=0.0)
    p.set_defaults(func=cli_insert)

    p = sub.add_parser("replay", parents=[common], help="replay a day's events, re-planning after each",
                       description="Replay EVENTS.jsonl against SCENARIO; write plans and a log.",
                       epilog=notice_rules())
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("events", metavar="EVENTS.jsonl", help="one event per line")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory (refused when it holds an earlier replay, unless --force)")
    p.add_argument("--force", action="store_true",
                   help="delete an earlier replay's files in --out (plans, updates.jsonl, kpis.json) first")
    add_reopt_flags(p, default_s=None)
    p.add_argument("--backend", default="ortools", help="backend of the morning plan (default ortools)")
    p.add_argument("--time-limit-s", type=positive_float, default=None, metavar="N",
                   help="time limit of the morning plan (default: by size, 2-10 s)")
    p.set_defaults(func=cli_replay)


def add_reopt_flags(p: argparse.ArgumentParser, *, default_s: float | None) -> None:
    """Flags of the OR-Tools re-optimisation that follows the immediate live answer."""
    p.add_argument("--reopt-time-limit-s", dest="reopt_time_limit_s", type=nonnegative_float, default=default_s,
                   metavar="N", help="re-optimise with OR-Tools for N s after the immediate answer "
                   "(0 = immediate answer only; insert default 0, replay default 2)")
    p.add_argument("--churn-penalty-min", type=nonnegative_minutes, default=30.0, metavar="MIN",
                   help="cost, in travel minutes, of moving a job to another technician (default 30)")
    p.add_argument("--seed", type=seed_int, default=0, metavar="S", help="seed (default 0)")


def _write(update_state: DispatchState, target: Path) -> Path:
    """Write the plan (with KPIs) and, beside it, the scenario as it now stands (new jobs,
    actual durations, follow-ups): the plan verifies against that file."""
    problem, plan = update_state.problem, update_state.plan
    target.parent.mkdir(parents=True, exist_ok=True)
    plan.with_kpis(compute_kpis(problem, plan)).save(target)
    scenario = target.with_name(target.stem + ".scenario.yaml")
    save_scenario(problem, scenario)
    return scenario


# -- insert -------------------------------------------------------------------------------------
def _read_jobs(path: str) -> tuple[Path, list]:
    """The job object(s) of ``--job`` (one object or a list), unparsed."""
    job_path, raw = read_job_file(path)
    return job_path, raw if isinstance(raw, list) else [raw]


def _where_now(state: DispatchState, job_ids: list[str]) -> list[str]:
    """After a re-optimisation: each inserted job as the written plan has it."""
    t = lambda s: state.problem.clock.to_iso(s)[11:16]    # noqa: E731
    visits: dict[str, list[tuple[str, int, int]]] = {}
    for route in state.plan.routes:
        for v in route.visits:
            visits.setdefault(v.job, []).append((route.technician, v.arrival_s, v.start_s))
    lines = []
    for job_id in job_ids:
        held = visits.get(job_id)
        if not held:
            lines.append(f"after re-optimisation {job_id}: NOT PLACED: {state.unassigned.get(job_id, 'not planned')}")
            continue
        lines.append(f"after re-optimisation {job_id}: {'+'.join(sorted(h[0] for h in held))} arrives "
                     f"{t(min(h[1] for h in held))}, starts {t(max(h[2] for h in held))}")
    return lines


def cli_insert(args: Any) -> int:
    """Insert the job(s) of ``--job`` into PLAN at ``--now``; print who goes, when, who is
    bumped and whom to call; write the new plan (and its scenario) to ``--out``."""
    output_file(args.out, "--out")
    problem, plan, now = running_plan(args, "inserted")
    job_path, raws = _read_jobs(args.job)
    if plan is None:
        return EXIT_FAILED
    state = DispatchState.start(problem, plan, now)
    updates = []
    for i, item in enumerate(raws):
        where = f"{job_path}" if len(raws) == 1 else f"{job_path}[{i}]"
        job = parse_job(state.problem, item, now_s=now, source=where)
        update = apply(state, NewJob(at_s=now, job=job))
        updates.append(update)
        state = update.state
    out(f"now {problem.clock.to_iso(now)}; {len(updates)} job(s) inserted")
    for update in updates:
        event = update.event
        if not update.dispatches:
            reason = update.state.unassigned.get(event.job.id, "not placed")
            out(f"{event.job.id} ({event.job.category}): NOT PLACED: {reason}")
        for line in update.lines():
            out(line)
        out(f"answered in {update.elapsed_ms:.1f} ms")
    reopt_s = float(getattr(args, "reopt_time_limit_s", INSERT_REOPT_S) or 0)
    if reopt_s > 0:
        update = replan(state, time_limit_s=reopt_s,
                        churn_penalty_min=float(getattr(args, "churn_penalty_min", CHURN_PENALTY_MIN)),
                        seed=int(getattr(args, "seed", 0) or 0))
        for line in update.lines():
            out(line)
        state = update.state
        for line in _where_now(state, [u.event.job.id for u in updates]):
            out(line)
    violations = verify(state.problem, state.plan)
    if violations:
        print_violations(violations)
        out("dispatchopt: the new plan breaks a hard rule; it was not written")
        return EXIT_FAILED
    target = Path(args.out)
    scenario = _write(state, target)
    out(f"plan: {target} (verify OK); scenario as it now stands: {scenario}")
    return EXIT_OK


# -- replay -------------------------------------------------------------------------------------
class _Replay:
    """One replay: its settings (from the arguments), where it writes, and the running figures."""

    def __init__(self, args: Any, problem: Problem) -> None:
        self.events_path = Path(args.events)
        self.out = Path(args.out)
        self.backend = getattr(args, "backend", None) or "ortools"
        self.limit_s = float(getattr(args, "time_limit_s", None)
                             or min(10.0, max(2.0, len(problem.jobs) / 40)))
        reopt_s = getattr(args, "reopt_time_limit_s", None)
        self.reopt_s = REPLAY_REOPT_S if reopt_s is None else float(reopt_s)
        self.churn = float(getattr(args, "churn_penalty_min", None) or CHURN_PENALTY_MIN)
        self.seed = int(getattr(args, "seed", 0) or 0)
        self.failures = 0
        self.latencies: list[float] = []

    def step(self, state: DispatchState, n: int, item: dict, log_file: IO[str]) -> DispatchState:
        """Apply event ``n`` (the immediate answer), re-optimise, verify, log and write the plan."""
        where = f"{self.events_path}: line {item['line']}"
        try:
            event = parse_event(state.problem, item["data"], source=where)
            update = apply(state, event)
        except EventError as exc:
            text = str(exc)
            raise EventError(text if text.startswith(str(self.events_path)) else f"{where}: {text}") from None
        self.latencies.append(update.elapsed_ms)
        lines = update.lines()
        record = {"n": n, "event": event_to_json(update.problem, event),
                  "elapsed_ms": round(update.elapsed_ms, 2),
                  "dispatches": [d.job + " -> " + "+".join(d.technicians) for d in update.dispatches],
                  "notifications": [describe(update.problem, x) for x in update.notifications],
                  "moved": update.diff.moved, "retimed": len(update.diff.retimed),
                  "notes": list(update.notes)}
        state = update.state
        if self.reopt_s > 0:
            t0 = time.perf_counter()
            re = replan(state, time_limit_s=self.reopt_s, churn_penalty_min=self.churn, seed=self.seed)
            record["reopt"] = {"wall_s": round(time.perf_counter() - t0, 2), "notes": list(re.notes),
                               "notifications": [describe(re.problem, x) for x in re.notifications]}
            lines += [f"  re-opt: {x}" for x in re.notes]
            state = re.state
        violations = verify(state.problem, state.plan)
        record["violations"] = [str(v) for v in violations]
        if violations:
            self.failures += 1
        log_file.write(json.dumps(record, ensure_ascii=False) + "\n")
        _write(state, self.out / f"plan_{n:03d}_{event.kind}.json")
        out(f"[{n}] {describe_event(update.problem, event)} "
            f"({update.elapsed_ms:.1f} ms){' VIOLATIONS' if violations else ''}")
        for line in lines:
            out(f"    {line}")
        return state

    def finish(self, state: DispatchState) -> int:
        """The day as executed (everything up to the horizon end happened as planned): write it
        and its KPIs, print them and the answer latencies; exit 1 if any plan broke a rule."""
        final = state.advance(max(state.now_s, state.problem.end_s))
        violations = verify(final.problem, final.plan)
        _write(final, self.out / "day_executed.json")
        kpis = compute_kpis(final.problem, final.plan)
        (self.out / "kpis.json").write_text(json.dumps(kpis, indent=2) + "\n", encoding="utf-8")
        out()
        out("the day as executed:")
        out(kpi_table(kpis))
        if self.latencies:
            lat = sorted(self.latencies)
            p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
            out(f"immediate answers: {len(lat)} events, p50 {lat[len(lat) // 2]:.1f} ms, p95 {p95:.1f} ms")
        out(f"plans, updates.jsonl, day_executed.json, kpis.json: {self.out}")
        if violations or self.failures:
            print_violations(violations)
            out(f"dispatchopt: {self.failures} intermediate plan(s) and the final plan break hard rules")
            return EXIT_FAILED
        return EXIT_OK


REPLAY_FILES = ("plan_*.json", "plan_*.scenario.yaml", "updates.jsonl", "day_executed.json",
                "day_executed.scenario.yaml", "kpis.json")
"""What a replay writes into its ``--out`` folder (and ``--force`` deletes)."""


def _earlier_replay(directory: Path) -> list[Path]:
    """The files of an earlier replay in ``directory``."""
    if not directory.is_dir():
        return []
    return sorted({p for pattern in REPLAY_FILES for p in directory.glob(pattern) if p.is_file()})


def _prepare_out(directory: Path, *, force: bool) -> None:
    """Refuse (ParameterError, exit 2) a folder holding an earlier replay, or
    with ``force`` delete that replay's files (nothing else in the folder)."""
    stale = _earlier_replay(directory)
    if stale and not force:
        raise ParameterError(f"--out {directory}: holds an earlier replay ({len(stale)} file(s), e.g. "
                             f"{stale[0].name}); choose another folder or add --force to replace it")
    for path in stale:
        path.unlink()


def _validated_events(problem: Problem, events_path: Path) -> list[dict]:
    """Every event of the file parsed and checked against the scenario before anything is solved:
    the first bad one is an EventError naming its line."""
    raw_events = read_events(problem, events_path)
    parsed = []
    for item in raw_events:
        where = f"{events_path}: line {item['line']}"
        try:
            parsed.append((where, parse_event(problem, item["data"], source=where)))
        except EventError as exc:
            text = str(exc)
            raise EventError(text if text.startswith(str(events_path)) else f"{where}: {text}") from None
    check_events(problem, parsed)
    return raw_events


def cli_replay(args: Any) -> int:
    """Replay EVENTS.jsonl against SCENARIO: the morning plan, then each event in order
    (immediate answer, then a short re-optimisation), a plan written after each; at the end
    the day as executed and its KPIs (on-time rate by category, travel, overtime)."""
    output_dir(args.out, "--out")
    problem = load_problem(args.scenario)
    events_path = existing(args.events, "events file")
    raw_events = _validated_events(problem, events_path)
    replay = _Replay(args, problem)
    _prepare_out(replay.out, force=bool(getattr(args, "force", False)))
    replay.out.mkdir(parents=True, exist_ok=True)
    result = solve(problem, backend=replay.backend, time_limit_s=replay.limit_s, seed=replay.seed)
    state = DispatchState.start(problem, result.plan, 0)
    _write(state, replay.out / "plan_000_initial.json")
    out(f"morning plan: {replay.backend}, {len(state.plan.assigned_job_ids())}/{len(problem.jobs)} jobs "
        f"planned, cost {plan_cost(problem, state.plan):.1f}")
    with (replay.out / "updates.jsonl").open("w", encoding="utf-8") as log_file:
        for n, item in enumerate(raw_events, start=1):
            state = replay.step(state, n, item, log_file)
    return replay.finish(state)
