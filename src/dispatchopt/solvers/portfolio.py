"""The field-service portfolio: construction, VROOM on the relaxation, repair, then OR-Tools on
the exact model from the best plan so far. The default engine of ``solve`` for field-service days.

Phases (each timed; the times land in ``Result.stats.extra["phases"]``):

1. ``start``: the construction (``solvers.construct.construct_plan`` when it exists, else the
   greedy plan + priority repair). It decides every crew's members and common start.
2. ``vroom``: VROOM (:mod:`.vroom_backend`) with those crews fixed, SLA due as hard window ends,
   then ``repair_plan`` for what it dropped. VROOM is fast and strong on travel; it knows no
   soft deadline, so its plan is priced by ``plan_cost`` like every other.
3. ``lns``: the ruin-and-recreate (``solvers.lns.improve``; crews re-optimised jointly) from
   the cheapest plan so far, for :data:`LNS_SHARE` of the time left. It serves more jobs
   (it trades travel for the unassigned penalty).
4. ``ortools``: OR-Tools routing on the exact model (soft SLA deadlines, overtime, balance,
   churn) warm-started from the cheapest plan so far, for the time left: it polishes travel
   and lateness; it stops early when nothing improves, and never returns worse than its start.
   Days of more than :data:`ORTOOLS_MAX_JOBS` jobs skip it (at 150 x 2000 the warm start was
   refused after 11.5 s of a 60 s run) and give the time to the LNS.

The best plan is the one with the fewest reachable emergencies not on time
(:func:`.repair.reachable_emergencies`: weight >= 100, startable by their due on an empty day),
then the least ``plan_cost``: an emergency on time comes before any saving (the LNS searches by the
same key). A ``stop`` ends the running phase and returns that best plan so far.

Big days (more than :data:`ORTOOLS_MAX_JOBS` jobs) run another schedule: the start (greedy +
repair, :data:`BIG_START_SHARE`), VROOM at level :data:`BIG_EXPLORATION` (0) until :data:`BIG_VROOM_END` (killed if still
running at :data:`BIG_VROOM_HARD_END`), the priority repair of what VROOM dropped (heavy jobs
eject light ones) until it is done or :data:`BIG_REPAIR_END`, then the LNS from that repaired
plan. Why level 0 (bundled 150 x 2000 load-1.2 day, VROOM alone with the start's crews, hard-SLA +
relaxed pass, one run each, load 0.4-3.5 from other work): at a 30 s timeout levels 0-3 end on time
(28.9-29.9 s) but level 5 took 41.3 s (its heuristics phase ignores the timeout; with the other core
busy it overran the 50 % hard end and was killed, so the LNS started from the start plan: 0.525 on
time / 1,287 served / 8.53 travel min per served job against the VROOM peer's 0.612 / 1,368 / 5.85).
Level 0 is also the best plan: timeout 8 s 1,388 served / 5.09 min / on time 0.621; 14 s 1,385 /
5.02; 20 s 1,392 / 5.02; level 2 at 20 s 1,368 / 5.85 (23.6 s); level 5 at 30 s 1,368 / 5.85.
Whole portfolio at 60 s after the change: other core busy (busy loop, load 2.0) 0.637 / 1,464 /
5.39, 17 reachable emergencies late (LNS from VROOM's repaired plan, wall 59.1 s); quiet (load 0.9)
0.631 / 1,437 / 6.01, 15 late; VROOM peer in that quiet run 0.612 / 1,365 / 5.70, 23 late.
Earlier measurements (level 5), with the slow repair of that time: Why (bundled 150 x 2000 load-1.2 day, 60 s, phase log): the old
schedule ran VROOM at level 0 (1,443 served, but 40 road repairs dropped: plan_cost 43.9 M, above
the start's 28.0 M), so the LNS started from the start plan (1,256 served, 9.1 travel min per
served job) and ended at 0.539 on time / 1,304 served / 8.20 min. VROOM level 5 reaches the same
plan with timeouts of 15 s or 33 s on a loaded machine (54.2 M, 1,393 served, 5.45 min), and the
repair is what removes the heavy drops (about one road repair per 2 s). Measured at 60 s (load
about 2): repair until 75 %: 0.645 / 1,452 served / 5.50 min / plan_cost 26.2 M, and 0.648 / 1,453
/ 5.57 / 26.7 M; until 60 % (kept: the LNS, -5.1 M in 22.5 s, gains more per second than the
repair): 0.651 / 1,457 / 5.55 / 26.7 M, 20 reachable emergencies late or out; VROOM until 70 %
with 60 % for its first pass: the LNS (5.6 s) ended at 27.2 M, above the start's 27.0 M, and the
start (0.492 / 1,257 / 9.07) was returned. VROOM peer (level 5, the whole limit), same load:
0.607 / 1,362 / 6.06 / 31.2 M, 14 reachable emergencies late or out; loaded: 0.630 / 1,395 / 5.49.

Measured on a generated 40 x 300 load-1.2 day at 30 s (busy machine, one run each; VROOM
peer 0.886 on time / 271 served / 6.88 travel min per served job): VROOM -> OR-Tools 0.913 /
277 / 6.03 (plan_cost 367,162); VROOM -> LNS (all the time) 0.902 / 278 / 7.88 (294,672);
VROOM -> LNS 30 % -> OR-Tools 0.919 / 283 / 6.54 (227,716); LNS 60 % -> OR-Tools 0.936 / 283
/ 6.51 (207,378). OR-Tools with ``disable_scheduling_beware_this_may_degrade_performance``
from the same start: 13 solutions instead of 77 in 13 s, plan_cost 412,472 vs 388,268 (off);
``lns_time_limit`` 0.1 / 1 / 2 s: same plan (1 s kept, for big warm starts).

Travel per served job (issue 11; bundled 40 x 300 load-0.9 day, 30 s, quiet: ours 8.41 min against
the VROOM peer's 6.97 at 284 vs 273 served). Measured, one run each: VROOM's cheaper travel comes
with heavy jobs parked far late (its relaxed pass: road repairs 700-900 min late on one route,
plan_cost 0.9-2.3 M against the start's 0.36 M), so the LNS starts from the construction (9.3 min);
the LNS from VROOM's plan ends at 7.9 min but 1.02 M (the late road repairs stay: 476 k on one
route), from it with the jobs late by more than 30 min cut and repaired 7.8 min / 0.49 M, from the
construction 8.4 min / 0.175 M. A VROOM polish of the LNS plan (``vroom_backend.polish``, slack 0 /
600 / 1800 s, level 2 or 5, 4 s): 6.8-7.3 min but 274-282 served and 1.3-5.5 M (jobs and emergencies
lost to VROOM's timing). An intra-route 2-opt of the LNS plan: 1 move in 883 tries (the routes are
already locally optimal). So the extra travel is in the assignment (which technician takes which
job when heavy jobs must be on time), not in the order of visits; not fixed yet.

The cheapest plan by :func:`dispatchopt.objective.plan_cost` is returned; it always verifies
(every phase's plan is built by the forward pass or read back through ``build_route`` and
checked by the routing backend's own guard).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from .. import rules
from ..domain import Problem
from ..objective import plan_cost
from ..plan import Plan
from .base import Result, Statistics
from .repair import late_emergencies, plan_starts, reachable_emergencies, repair_plan
from .start import start_plan
from .stopping import Stop, deadline_with, stopped
from .vroom_backend import crew_fixes_of, polish, solve_vroom, status_of

log = logging.getLogger("dispatchopt")

BACKEND = "portfolio"
VROOM_SHARE = 0.3          # of the time limit at most, for the VROOM phase
LNS_SHARE = 0.6            # of the time left after VROOM, for the ruin-and-recreate phase
# Optional (use_polish, off): VROOM re-plans the best plan keeping its served jobs (vroom_backend.polish).
# Measured on the 40 x 300 load-1.2 day after the LNS: travel -16 % (2,029 -> 1,697 min), on time
# 0.899 -> 0.913, but plan_cost 807,904 -> 1,483,735 (two road repairs lost to VROOM's break timing,
# lateness x3), so it never won and cost 4 s: off by default.
POLISH_SHARE = 0.15        # of the time limit at most, for the VROOM polish of the best plan
ORTOOLS_MAX_JOBS = 1000    # above: no OR-Tools phase (restoring a 2,000-job warm start takes minutes)
# Days of more than ORTOOLS_MAX_JOBS jobs (no OR-Tools phase): ends of the phases as shares of the limit.
BIG_START_SHARE = 0.05     # the start (greedy + repair, the construction if time is left): it fixes the crews
BIG_EXPLORATION = 0        # VROOM's level on those days (module doc: level 0 keeps its timeout)
BIG_VROOM_END = 0.4        # VROOM runs until then
# VROOM's timeout as a share of the time to BIG_VROOM_END: at 2,000 jobs on a loaded machine level 5
# overran its timeout by 15-45 % (15 s -> 21.6 s, 33 s -> 37.9 s) plus ~3 s mapping back
BIG_VROOM_TIMEOUT_SHARE = 0.8
BIG_FIRST_PASS_SHARE = 0.45  # of VROOM's time for its hard-SLA pass (the relaxed pass has the rest)
# the priority repair of what VROOM dropped until BIG_REPAIR_END; the LNS has the rest. The repair of VROOM's
# 2,000-job plan (level 5, 15 s) gets about one road repair in per 2 s: plan_cost 54.2 M -> 36.6 M in
# 5 s, 34.1 M in 10 s, 31.3 M in 20 s, 28.9 M in 40 s (1,393 -> 1,432 served, travel 5.45 -> 5.71 min
# per served job, on time 0.632 -> 0.633)
# Measured again after the repair was made incremental (repair.eject_for): VROOM's plan of the day (68.5 M)
# is repaired in full in 11.8 s (29.9 M, 1,375 -> 1,429 served) on a quiet machine, so the repair now ends
# when it is done, at BIG_REPAIR_END at the latest, and the LNS has the rest.
BIG_REPAIR_END = 0.8
# VROOM's hard end: at level 5 on a busy machine (load ~4) the 2,000-job solve overran a 15 s timeout to 88 s
# (wall 94 s of a 60 s limit); a run still going at BIG_VROOM_HARD_END of the limit is killed (no VROOM plan)
BIG_VROOM_HARD_END = 0.5
LNS_ITERATIONS_PER_SOLUTION = 5   # with a solution limit: the LNS iteration budget per OR-Tools solution


def exploration_for(problem: Problem, budget_s: float) -> int:
    """VROOM's exploration level for this size and budget. Measured on a generated 40 x 300
    load-1.2 day (one busy core): level 1 1.4 s (plan_cost 525,778), 2 3.4 s (467,540), 3 5.7 s
    (460,555), 4 and 5 9-11 s (467,540, cut by the timeout): level 2 is the best buy, the time
    is worth more in the improvement phases. Lower levels when the day is big for the budget."""
    size = len(problem.jobs) * max(1, len(problem.technicians)) ** 0.5
    for level, per_unit in ((2, 0.0018), (1, 0.0008)):
        if size * per_unit <= budget_s:
            return level
    return 0


def plan_summary(problem: Problem, plan: Plan) -> dict[str, float]:
    """What the phase log reports of a plan: on-time rate of the dispatchable jobs (as
    ``audit.kpi``: served, started by the due and inside the window), jobs planned, travel
    minutes per planned job, and emergencies (weight >= 100) late or left out."""
    starts: dict[str, int] = {}
    travel_s = 0
    for route in plan.routes:
        travel_s += sum(v.travel_s for v in route.visits) + (route.ret.travel_s if route.ret else 0)
        for v in route.visits:
            starts[v.job] = max(starts.get(v.job, v.start_s), v.start_s)
    plannable = [job for job in problem.jobs if job.dispatchable]
    on_time = sum(rules.on_time(job, starts.get(job.id)) for job in plannable)
    missed = sum(not rules.on_time(job, starts.get(job.id)) for job in plannable if problem.weight(job) >= 100)
    return {"on_time_rate": on_time / max(1, len(plannable)), "assigned": len(starts),
            "travel_per_served": travel_s / 60 / max(1, len(starts)), "emergency_missed": missed}


def _lns_improve():
    try:
        from .lns import improve
    except ImportError:
        return None
    return improve


def solve_portfolio(problem: Problem, *, time_limit_s: float = 30.0, seed: int = 0,
                    initial: Plan | None = None, churn_penalty_min: float = 0.0,
                    solution_limit: int | None = None, use_vroom: bool = True, use_ortools: bool = True,
                    use_lns: bool = True, use_polish: bool = False, exploration: int | None = None,
                    lns_share: float = LNS_SHARE, vroom_share: float = VROOM_SHARE,
                    vroom_relax: bool = False, stop: Stop | None = None) -> Result:
    """Plan ``problem`` with the portfolio (module doc); ``time_limit_s`` bounds the whole call.

    ``initial`` (a live re-plan's published plan) replaces the construction as the start; the
    VROOM phase is then skipped (it would move every job: churn), so is the LNS when
    ``churn_penalty_min`` > 0, and OR-Tools re-plans from it with ``churn_penalty_min``.
    ``solution_limit`` makes the run reproducible: VROOM runs its exploration to the end, the
    construction and repair get no deadline, the LNS gets ``LNS_ITERATIONS_PER_SOLUTION x
    solution_limit`` iterations, OR-Tools stops after that many solutions. The ``use_*`` switches and ``exploration`` (VROOM's level; default
    by size and budget) are for measurements. ``stop``: once it returns true, the phase running
    ends (VROOM's child process is killed, the LNS and repair stop within one insertion,
    OR-Tools is asked to stop) and the cheapest plan so far is returned
    (``stats.extra["stopped"]`` True).
    """
    t0 = time.perf_counter()
    deadline = deadline_with(t0 + time_limit_s * 0.97, stop)
    phases: dict[str, float] = {}
    if len(problem.jobs) > ORTOOLS_MAX_JOBS and _lns_improve() is not None and use_lns:
        use_ortools = False
    candidates: list[tuple[float, str, Plan, int]] = []   # (plan_cost, phase, plan, late reachable emergencies)
    keep = _keeper(problem, candidates, t0)

    fixed = solution_limit is not None
    big = not use_ortools and len(problem.jobs) > ORTOOLS_MAX_JOBS
    if initial is not None:
        start = initial
    else:
        share = BIG_START_SHARE if big else 0.1
        start = start_plan(problem, seed=seed, deadline=deadline_with(None if fixed else t0 + share * time_limit_s,
                                                                      stop))
    phases["start_s"] = time.perf_counter() - t0
    keep("start", start)
    if use_vroom and initial is None and any(j.dispatchable for j in problem.jobs) and not stopped(stop):
        t1 = time.perf_counter()
        if big:
            _big_vroom_phase(problem, start, keep, t0=t0, time_limit_s=time_limit_s, deadline=deadline,
                             seed=seed, exploration=exploration, fixed=fixed, phases=phases, stop=stop)
        else:
            _vroom_phase(problem, start, keep, budget=min(time_limit_s * vroom_share, deadline - t1), seed=seed,
                         exploration=exploration, relax=vroom_relax, fixed=fixed, stop=stop)
        phases["vroom_s"] = time.perf_counter() - t1 - phases.get("repair_s", 0.0)
    # The LNS knows no churn: a warm re-plan that prices moved jobs goes to OR-Tools alone.
    improve = _lns_improve() if use_lns and not (initial is not None and churn_penalty_min > 0) else None
    if improve is not None and (fixed or deadline - time.perf_counter() > 0.2) and not stopped(stop):
        t2 = time.perf_counter()
        # big days: from VROOM's repaired plan (more served, less travel: module doc); else the cheapest
        lns_from = [c for c in candidates if big and c[1].endswith("+repair")]
        lns_from = lns_from or [_best(candidates)]
        keep("lns", _lns_phase(problem, lns_from[0][2], improve, seed=seed,
                               deadline=deadline, share=lns_share if use_ortools else 1.0,
                               solution_limit=solution_limit, stop=stop))
        phases["lns_s"] = time.perf_counter() - t2
    if use_polish and use_vroom and initial is None and deadline - time.perf_counter() > 0.5 and not stopped(stop):
        t4 = time.perf_counter()
        best = _best(candidates)[2]
        budget = min(time_limit_s * POLISH_SHARE, (deadline - t4) * (0.5 if use_ortools else 0.9))
        keep("polish", polish(problem, best, time_limit_s=None if fixed else budget, exploration=2))
        phases["polish_s"] = time.perf_counter() - t4
    left = deadline - time.perf_counter()
    if use_ortools and (left > 0.5 or fixed) and not stopped(stop):
        t3 = time.perf_counter()
        keep("ortools", _ortools_phase(problem, _best(candidates)[2], left_s=left, seed=seed,
                                       churn_penalty_min=churn_penalty_min, solution_limit=solution_limit,
                                       phases=phases, stop=stop))
        phases["ortools_s"] = time.perf_counter() - t3
    return _result(problem, candidates, phases, started=t0, time_limit_s=time_limit_s, seed=seed,
                   stopped=stopped(stop))


def _keeper(problem: Problem, candidates: list, t0: float):
    """``keep(name, plan)``: price ``plan`` (plan_cost, reachable emergencies not on time), add it
    to ``candidates`` and log its summary."""
    urgent = reachable_emergencies(problem)

    def keep(name: str, plan: Plan) -> None:
        cost = plan_cost(problem, plan)
        late = late_emergencies(problem, urgent, plan_starts(plan))
        candidates.append((cost, name, plan, late))
        summary = plan_summary(problem, plan)
        log.info("portfolio: %s cost %.1f, on time %.3f, %d jobs planned, travel %.2f min per served job, "
                 "%d emergencies late or out, %d of them reachable (%.2f s)", name, cost, summary["on_time_rate"],
                 summary["assigned"], summary["travel_per_served"], summary["emergency_missed"], late,
                 time.perf_counter() - t0)

    return keep


def _vroom_phase(problem: Problem, start: Plan, keep, *, budget: float, seed: int, exploration: int | None,
                 relax: bool, fixed: bool, stop: Stop | None) -> None:
    """VROOM with the start plan's crews fixed, for ``budget`` seconds (level by size and budget)."""
    level = exploration if exploration is not None else exploration_for(problem, budget)
    if budget > 0.05:
        vr = solve_vroom(problem, time_limit_s=budget, seed=seed, exploration=level,
                         fixed_crews=crew_fixes_of(problem, start), relax=relax, deterministic=fixed, stop=stop)
        if not vr.stats.extra.get("stopped"):
            keep(f"vroom(x={level})", vr.plan)


def _big_vroom_phase(problem: Problem, start: Plan, keep, *, t0: float, time_limit_s: float, deadline: float,
                     seed: int, exploration: int | None, fixed: bool, phases: dict, stop: Stop | None) -> None:
    """Days of more than :data:`ORTOOLS_MAX_JOBS` jobs: VROOM (level :data:`BIG_EXPLORATION`,
    first pass with SLA dues as hard window ends, then the dropped ones relaxed) until
    :data:`BIG_VROOM_END` of the time limit, then the priority repair (heavy jobs VROOM dropped
    eject lighter ones) until :data:`BIG_REPAIR_END`; each phase's end is a fixed point of the
    limit, so one that starts late gets less and none steals from the LNS after it."""
    level = BIG_EXPLORATION if exploration is None else exploration
    budget = (min(t0 + BIG_VROOM_END * time_limit_s, deadline) - time.perf_counter()) * BIG_VROOM_TIMEOUT_SHARE
    if budget <= 0.05 and not fixed:
        return
    hard = None if fixed else max(budget, t0 + BIG_VROOM_HARD_END * time_limit_s - time.perf_counter())
    vr = solve_vroom(problem, time_limit_s=max(budget, 0.05), seed=seed, exploration=level,
                     fixed_crews=crew_fixes_of(problem, start), relax=True, repair=False, deterministic=fixed,
                     first_pass_share=BIG_FIRST_PASS_SHARE, stop=stop, hard_limit_s=hard)
    if vr.stats.extra.get("stopped"):
        return
    keep(f"vroom(x={level})", vr.plan)
    t1 = time.perf_counter()
    repaired = repair_plan(problem, vr.plan, deadline_s=None if fixed else
                           max(t1 + 0.05, min(t0 + BIG_REPAIR_END * time_limit_s, float(deadline))), stop=stop)
    phases["repair_s"] = time.perf_counter() - t1
    keep(f"vroom(x={level})+repair", repaired)


def _lns_phase(problem: Problem, best: Plan, improve, *, seed: int, deadline: float, share: float,
               solution_limit: int | None, stop: Stop | None) -> Plan:
    if solution_limit is not None:       # reproducible: an iteration budget instead of the clock
        return improve(problem, best, seed=seed, max_iterations=LNS_ITERATIONS_PER_SOLUTION * solution_limit,
                       stop=stop)
    now = time.perf_counter()
    return improve(problem, best, deadline=now + (deadline - now) * share, seed=seed, stop=stop)


def _ortools_phase(problem: Problem, best: Plan, *, left_s: float, seed: int, churn_penalty_min: float,
                   solution_limit: int | None, phases: dict, stop: Stop | None) -> Plan:
    from .routing import solve_routing

    routed = solve_routing(problem, time_limit_s=max(left_s, 0.5), seed=seed, initial=best,
                           churn_penalty_min=churn_penalty_min, solution_limit=solution_limit,
                           scratch_fallback=False, stop=stop)
    phases.update({f"ortools_{k}": v for k, v in routed.stats.extra.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return routed.plan


def _best(candidates: list[tuple[float, str, Plan, int]]) -> tuple[float, str, Plan, int]:
    """The best candidate: fewest reachable emergencies not on time, then the least plan_cost,
    then the start (on a tie)."""
    return min(candidates, key=_rank)


def _rank(candidate: tuple[float, str, Plan, int]) -> tuple[int, float, bool]:
    return candidate[3], candidate[0], candidate[1] != "start"


def _result(problem: Problem, candidates: list[tuple[float, str, Plan, int]], phases: dict, *, started: float,
            time_limit_s: float, seed: int, stopped: bool = False) -> Result:
    """The best candidate (:func:`_best`) that passes ``verify`` (a phase whose plan breaks a
    hard rule is a bug: logged, and the next best is taken), labelled with the phase that made it."""
    from ..audit.verify import verify

    t0 = started
    ordered = sorted(candidates, key=_rank)
    cost, name, plan, _ = ordered[0]
    for candidate in ordered:
        violations = verify(problem, candidate[2])
        if not violations:
            cost, name, plan, _ = candidate
            break
        log.error("portfolio: the %s plan breaks %d hard rule(s) (a bug), first: %s; not used",
                  candidate[1], len(violations), violations[0])
    status = status_of(problem, plan)
    wall = time.perf_counter() - t0
    used = f"{BACKEND}:{name}"
    plan = replace(plan, solver=replace(plan.solver, backend=used, time_limit_s=time_limit_s, seed=seed,
                                        status=status.value, objective=round(cost, 3), wall_s=wall))
    log.info("portfolio: best %s (cost %.1f) in %.2f s; phases %s", name, cost, wall,
             ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    costs = {n: c for c, n, _, _ in candidates}
    return Result(plan, status, Statistics(wall_s=wall, objective=cost,
                                           extra={"backend": used, "phases": phases, "costs": costs,
                                                  "stopped": stopped}))


__all__ = ["BACKEND", "exploration_for", "plan_summary", "solve_portfolio"]
