"""Verify every plan of a simulated day without re-checking what did not change.

A simulated city day publishes ~430 plans (one per event) of which an event changes one or two
routes; :func:`dispatchopt.audit.verify.verify` re-times and re-checks all 40 routes of each
(~20 ms on a quiet machine, 70 % of a run). :class:`PlanChecker` gives the same answer as ``verify`` on every
plan by running the verifier's own checks (:data:`dispatchopt.audit.plan_checks.CHECKS`,
:data:`dispatchopt.audit.route_checks.CHECKS`; no rule is restated here) on what changed since
the last plan it found clean:

* the **route rules** (:data:`ROUTE_RULES`) read one re-timed route and the problem's scalar
  fields: they run on the routes whose (route, technician, jobs of its visits) differ from the
  last clean plan's;
* the **job rules** (:data:`JOB_RULES`) read one planned job and its crew (technician, visit)
  pairs: they run on the jobs visited by a changed route (a crew job with its whole crew,
  from every route; the crew of a job in unchanged routes only is unchanged);
* every other rule (:data:`PLAN_RULES`) runs on the whole plan every time: the ones reading
  only the plan and the problem (unknown ids, duplicates, missing jobs) as they are, any rule
  added to ``verify.RULES`` later and not classified here with every route re-timed.

What "the same" means is equality of the frozen objects (the live engine hands unchanged
routes, technicians and jobs on as the same objects, so the comparison is an identity check).
The problem's other fields (horizon, clock, travel spec, SLA, anticipate_jobs, ...) and its
travel matrix object must be those of the last clean plan, or everything is checked again
(a new job's place extends the matrix: that plan is checked in full). When any check finds a
violation the plan is verified in full by ``verify`` and its list returned, so a failure
reads exactly as ``verify`` says it. tests/simulate check that the answers agree plan by plan.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import replace

from ..audit import plan_checks, route_checks
from ..audit.verify import RULES, Violation, time_route, verify
from ..domain import Job, Problem, Technician
from ..plan import Plan, Route, Visit
from ..travel import matrix_of

ROUTE_RULES = frozenset({"received", "window", "horizon", "max_jobs", "max_work_minutes", "capacity",
                         "shift", "travel_time", "break", "overlap", "figures", "sent_before_received"})
"""Rules whose check reads ``ctx.timed`` (each route on its own) and the problem's scalars."""

JOB_RULES = frozenset({"not_dispatchable", "skill", "certificate", "trainee_alone", "crew_size",
                       "crew_start", "pinning"})
"""Rules whose check reads ``ctx.crews`` (each planned job and its crew on its own)."""

PLAN_RULES = tuple(rule for rule in RULES if rule not in ROUTE_RULES | JOB_RULES)
"""Rules checked on the whole plan every time (any rule not classified above is one)."""

_ALL_CHECKS = {**plan_checks.CHECKS, **route_checks.CHECKS}
_CONTEXT_FIELDS = tuple(f.name for f in dataclasses.fields(Problem)
                        if f.compare and f.name not in ("technicians", "jobs"))

RouteKey = tuple[Route, Technician, tuple[Job | None, ...]]


class PlanChecker:
    """``checker(problem, plan)`` == ``verify(problem, plan)``, checking only what changed since
    the last plan found clean (see the module doc). ``full=True``: ``verify`` on every plan.
    ``full_checks`` / ``partial_checks`` count the calls answered each way."""

    def __init__(self, *, full: bool = False) -> None:
        self.full = full
        self.full_checks = 0
        self.partial_checks = 0
        self._context: tuple | None = None
        self._matrix: object | None = None
        self._routes: dict[str, RouteKey] = {}           # the last clean plan's, by technician
        self._holders: dict[str, set[str]] = {}          # job -> technicians visiting it there
        self._jobs_by_id: dict[str, Job] = {}            # its problem's jobs
        self._pending_jobs: dict[str, Job] = {}

    def __call__(self, problem: Problem, plan: Plan) -> list[Violation]:
        if self.full:
            self.full_checks += 1
            return verify(problem, plan)
        context = tuple(getattr(problem, name) for name in _CONTEXT_FIELDS)
        matrix = matrix_of(problem)
        if context != self._context or matrix is not self._matrix:
            self._routes.clear()
            self._holders.clear()
            self._jobs_by_id = {}
        route_keys, timed, crews = self._changed(problem, plan)
        ctx = plan_checks.PlanContext(problem=problem, plan=plan, timed=timed, crews=crews)
        # unknown_job and duplicate_visit see the changed routes only (and the whole unassigned
        # list): the unchanged ones were in the last clean plan together. duplicate_visit sees
        # every route when a changed route visits a job an unchanged route also visits.
        changed = ctx if len(route_keys) == len(plan.routes) else plan_checks.PlanContext(
            problem=problem, plan=replace(plan, routes=tuple(k[0] for k in route_keys.values())),
            timed=timed, crews=crews)
        shared = any(tid not in route_keys for key in route_keys.values() for v in key[0].visits
                     for tid in self._holders.get(v.job, ()))
        full_ctx = None
        found = False
        for rule in RULES:
            if rule in _CHANGED_ROUTES_ONLY and not (rule == "duplicate_visit" and shared):
                found = _breaks(rule, changed)
            elif rule in _PARTIAL:
                found = _breaks(rule, ctx)
            else:       # a rule of no known kind sees the whole plan: every route, every crew
                full_ctx = full_ctx or _full_context(problem, plan)
                found = _breaks(rule, full_ctx)
            if found:
                break
        if found:
            self.full_checks += 1
            return verify(problem, plan)
        self.partial_checks += 1
        self._context, self._matrix = context, matrix
        for tid, key in route_keys.items():
            old = self._routes.get(tid)
            for visit in old[0].visits if old is not None else ():
                self._holders[visit.job].discard(tid)
            for visit in key[0].visits:
                self._holders.setdefault(visit.job, set()).add(tid)
        self._routes.update(route_keys)
        self._jobs_by_id = self._pending_jobs
        return []

    def _changed(self, problem: Problem, plan: Plan):
        """(the changed routes' keys, their re-timed routes, the crews of the jobs they visit)."""
        jobs_by_id = {job.id: job for job in problem.jobs}
        last = self._jobs_by_id
        # jobs whose object is not the last clean plan's (a route visiting one is changed)
        stale = {i for i, job in jobs_by_id.items() if (old := last.get(i)) is not job and old != job}
        stale.update(last.keys() - jobs_by_id.keys())
        keys: dict[str, RouteKey] = {}
        timed = []
        crews: dict[str, list[tuple[Technician, Visit]]] = defaultdict(list)
        crew_jobs: set[str] = set()
        for route in plan.routes:
            if not problem.has_technician(route.technician):
                continue        # unknown_technician's to report; verify skips the route too
            tech = problem.technician(route.technician)
            cached = self._routes.get(route.technician)
            if (cached is not None and (cached[0] is route or cached[0] == route)
                    and (cached[1] is tech or cached[1] == tech)
                    and (not stale or stale.isdisjoint(v.job for v in route.visits))):
                continue
            jobs = tuple(jobs_by_id.get(v.job) for v in route.visits)
            keys[route.technician] = (route, tech, jobs)
            timed.append(time_route(problem, route))
            for visit, job in zip(route.visits, jobs):
                if job is None:
                    continue
                if job.crew_size > 1:
                    crew_jobs.add(job.id)
                else:
                    crews[job.id].append((tech, visit))
        self._pending_jobs = jobs_by_id
        if crew_jobs:       # a crew job's crew spans routes, changed or not: all of them, in order
            for route in plan.routes:
                if problem.has_technician(route.technician):
                    tech = problem.technician(route.technician)
                    for visit in route.visits:
                        if visit.job in crew_jobs:
                            crews[visit.job].append((tech, visit))
        return keys, timed, dict(crews)


# the plan rules that read only ctx.plan and ctx.problem (no timed routes, no crews): any other
# rule outside ROUTE_RULES and JOB_RULES gets a full context
_PLAN_ONLY = frozenset({"unknown_technician", "duplicate_route", "unknown_job", "duplicate_visit",
                        "missing_job"})
_PARTIAL = ROUTE_RULES | JOB_RULES | _PLAN_ONLY
_CHANGED_ROUTES_ONLY = frozenset({"unknown_job", "duplicate_visit"})


def _breaks(rule: str, ctx: plan_checks.PlanContext) -> bool:
    """Does the check of ``rule`` find any violation in ``ctx`` (stops at the first)?"""
    return next(iter(_ALL_CHECKS[rule](ctx)), None) is not None


def _full_context(problem: Problem, plan: Plan) -> plan_checks.PlanContext:
    timed = [t for t in (time_route(problem, route) for route in plan.routes) if t is not None]
    crews: dict[str, list[tuple[Technician, Visit]]] = defaultdict(list)
    for t in timed:
        for visit, job in t.visits:
            crews[job.id].append((t.tech, visit))
    return plan_checks.PlanContext(problem=problem, plan=plan, timed=timed, crews=dict(crews))
