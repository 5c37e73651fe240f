"""``dispatchopt insert`` and ``dispatchopt replay`` (dispatched to from :mod:`dispatchopt.cli`).

Only these two functions print (the CLI's job); they return the exit code: 0 ok, 1 a plan
breaks a hard rule (never written), 2 bad input (raised as a DispatchOptError, mapped by the CLI).

Optional arguments read when the CLI provides them (``getattr`` with these defaults):
``reopt_time_limit_s`` (insert: 0 = immediate answer only; replay: 2 s after each event, 0 = off),
``churn_penalty_min`` (30), ``backend`` (replay's morning plan: ortools), ``time_limit_s``
(replay's morning plan: jobs / 40 seconds, between 2 and 10), ``seed`` (0).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import EventError

INSERT_REOPT_S = 0.0
REPLAY_REOPT_S = 2.0


def _out(text: str = "") -> None:
    print(text, file=sys.stdout)


def _load(scenario: str):
    from ..scenario import load_scenario

    path = Path(scenario)
    if not path.exists():
        raise FileNotFoundError(2, "scenario not found", str(path))
    return load_scenario(path)


def _write(update_state, out: Path) -> Path:
    """Write the plan (with KPIs) and, beside it, the scenario as it now stands (new jobs,
    actual durations, follow-ups): the plan verifies against that file."""
    from ..audit.kpi import compute_kpis
    from ..scenario import save_scenario

    problem, plan = update_state.problem, update_state.plan
    out.parent.mkdir(parents=True, exist_ok=True)
    plan.with_kpis(compute_kpis(problem, plan)).save(out)
    scenario = out.with_name(out.stem + ".scenario.yaml")
    save_scenario(problem, scenario)
    return scenario


def _violations(problem, plan) -> list:
    from ..audit.verify import verify

    return verify(problem, plan)


def _print_violations(violations: list) -> None:
    _out(f"{len(violations)} violation(s) of the hard rules:")
    for v in violations:
        _out(f"  {v}")


def cli_insert(args: Any) -> int:
    """Insert the job(s) of ``--job`` into PLAN at ``--now``; print who goes, when, who is
    bumped and whom to call; write the new plan (and its scenario) to ``--out``."""
    from ..plan import Plan
    from ..live.events import NewJob, apply, parse_job
    from ..live.replan import replan
    from ..live.state import DispatchState

    problem = _load(args.scenario)
    plan_path = Path(args.plan)
    if not plan_path.exists():
        raise FileNotFoundError(2, "plan file not found", str(plan_path))
    plan = Plan.load(problem, plan_path)
    try:
        now = problem.clock.to_seconds(str(args.now))
    except ValueError as exc:
        raise EventError(f"--now: bad time {args.now!r} ({exc})") from None
    job_path = Path(args.job)
    if not job_path.exists():
        raise FileNotFoundError(2, "job file not found", str(job_path))
    try:
        raw = json.loads(job_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EventError(f"{job_path}: not valid JSON: {exc}") from None
    raws = raw if isinstance(raw, list) else [raw]
    violations = _violations(problem, plan)
    if violations:
        _print_violations(violations)
        _out(f"dispatchopt: the plan {plan_path} does not verify against {args.scenario}; nothing inserted")
        return 1
    state = DispatchState.start(problem, plan, now)
    updates = []
    for i, item in enumerate(raws):
        where = f"{job_path}" if len(raws) == 1 else f"{job_path}[{i}]"
        job = parse_job(state.problem, item, now_s=now, source=where)
        update = apply(state, NewJob(at_s=now, job=job))
        updates.append(update)
        state = update.state
    clock = problem.clock
    _out(f"now {clock.to_iso(now)}; {len(updates)} job(s) inserted")
    for update in updates:
        event = update.event
        if not update.dispatches:
            reason = update.state.unassigned.get(event.job.id, "not placed")
            _out(f"{event.job.id} ({event.job.category}): NOT PLACED: {reason}")
        for line in update.lines():
            _out(line)
        _out(f"answered in {update.elapsed_ms:.1f} ms")
    reopt_s = float(getattr(args, "reopt_time_limit_s", INSERT_REOPT_S) or 0)
    if reopt_s > 0:
        update = replan(state, time_limit_s=reopt_s,
                        churn_penalty_min=float(getattr(args, "churn_penalty_min", 30.0)),
                        seed=int(getattr(args, "seed", 0) or 0))
        for line in update.lines():
            _out(line)
        state = update.state
    violations = _violations(state.problem, state.plan)
    if violations:
        _print_violations(violations)
        _out("dispatchopt: the new plan breaks a hard rule; it was not written")
        return 1
    out = Path(args.out)
    scenario = _write(state, out)
    _out(f"plan: {out} (verify OK); scenario as it now stands: {scenario}")
    return 0


def cli_replay(args: Any) -> int:
    """Replay EVENTS.jsonl against SCENARIO: the morning plan, then each event in order
    (immediate answer, then a short re-optimisation), a plan written after each; at the end
    the day as executed and its KPIs (on-time rate by category, travel, overtime)."""
    from ..audit.kpi import compute_kpis, kpi_table
    from ..objective import plan_cost
    from ..solvers import solve
    from ..live.events import apply, describe_event, event_to_json, parse_event, read_events
    from ..live.notify import describe
    from ..live.replan import replan
    from ..live.state import DispatchState

    problem = _load(args.scenario)
    events_path = Path(args.events)
    if not events_path.exists():
        raise FileNotFoundError(2, "events file not found", str(events_path))
    raw_events = read_events(problem, events_path)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = getattr(args, "backend", None) or "ortools"
    limit = float(getattr(args, "time_limit_s", None) or min(10.0, max(2.0, len(problem.jobs) / 40)))
    reopt_s = getattr(args, "reopt_time_limit_s", None)
    reopt_s = REPLAY_REOPT_S if reopt_s is None else float(reopt_s)
    churn = float(getattr(args, "churn_penalty_min", None) or 30.0)
    seed = int(getattr(args, "seed", 0) or 0)

    result = solve(problem, backend=backend, time_limit_s=limit, seed=seed)
    state = DispatchState.start(problem, result.plan, 0)
    _write(state, out / "plan_000_initial.json")
    _out(f"morning plan: {backend}, {len(state.plan.assigned_job_ids())}/{len(problem.jobs)} jobs planned, "
         f"cost {plan_cost(problem, state.plan):.1f}")
    failures = 0
    log_path = out / "updates.jsonl"
    latencies = []
    with log_path.open("w", encoding="utf-8") as log_file:
        for n, item in enumerate(raw_events, start=1):
            where = f"{events_path}: line {item['line']}"
            try:
                event = parse_event(state.problem, item["data"], source=where)
                update = apply(state, event)
            except EventError as exc:
                text = str(exc)
                raise EventError(text if text.startswith(str(events_path)) else f"{where}: {text}") from None
            latencies.append(update.elapsed_ms)
            lines = update.lines()
            record = {"n": n, "event": event_to_json(update.problem, event),
                      "elapsed_ms": round(update.elapsed_ms, 2),
                      "dispatches": [d.job + " -> " + "+".join(d.technicians) for d in update.dispatches],
                      "notifications": [describe(update.problem, x) for x in update.notifications],
                      "moved": update.diff.moved, "retimed": len(update.diff.retimed),
                      "notes": list(update.notes)}
            state = update.state
            if reopt_s > 0:
                t0 = time.perf_counter()
                re = replan(state, time_limit_s=reopt_s, churn_penalty_min=churn, seed=seed)
                record["reopt"] = {"wall_s": round(time.perf_counter() - t0, 2), "notes": list(re.notes),
                                   "notifications": [describe(re.problem, x) for x in re.notifications]}
                lines += [f"  re-opt: {x}" for x in re.notes]
                state = re.state
            violations = _violations(state.problem, state.plan)
            record["violations"] = [str(v) for v in violations]
            if violations:
                failures += 1
            log_file.write(json.dumps(record, ensure_ascii=False) + "\n")
            name = f"plan_{n:03d}_{event.kind}.json"
            _write(state, out / name)
            _out(f"[{n}] {describe_event(update.problem, event)} "
                 f"({update.elapsed_ms:.1f} ms){' VIOLATIONS' if violations else ''}")
            for line in lines:
                _out(f"    {line}")
    # the day as executed: everything up to the horizon end has happened as planned
    final = state.advance(max(state.now_s, state.problem.end_s))
    violations = _violations(final.problem, final.plan)
    _write(final, out / "day_executed.json")
    kpis = compute_kpis(final.problem, final.plan)
    (out / "kpis.json").write_text(json.dumps(kpis, indent=2) + "\n", encoding="utf-8")
    _out()
    _out("the day as executed:")
    _out(kpi_table(kpis))
    if latencies:
        lat = sorted(latencies)
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        _out(f"immediate answers: {len(lat)} events, p50 {lat[len(lat) // 2]:.1f} ms, p95 {p95:.1f} ms")
    _out(f"plans, updates.jsonl, day_executed.json, kpis.json: {out}")
    if violations or failures:
        _print_violations(violations)
        _out(f"dispatchopt: {failures} intermediate plan(s) and the final plan break hard rules")
        return 1
    return 0
