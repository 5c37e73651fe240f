"""The data of a dispatch state: the published plan, "now", the frozen past, and its queries.

:class:`StateData` is immutable. It holds

* ``problem``: the Problem as it stands now (new jobs appended, actual durations, follow-ups,
  cut shifts...). It is the source of truth: ``verify(state.problem, state.plan) == []``.
* ``plan``: the published full-day plan (past visits included) against ``problem``.
* ``now_s``: seconds on the problem clock.
* per technician a :class:`~.techplan.TechPlan`: the **frozen** prefix of its route (visits
  done or in hand, kept exactly: same technician, same start) and the **suffix** (planned, not
  started), timed by the forward pass of :mod:`dispatchopt.timing.forward` from the
  technician's availability.

The public class is its subclass :class:`~.state.DispatchState`, which adds the constructors
that run a :class:`~.workspace.Workspace` (``start``, ``advance``); the workspace itself only
knows this data class, so that the modules of the package import one way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..domain import Problem
from ..errors import EventError
from ..objective import plan_cost
from ..plan import Plan, Route, SolverInfo, Unassigned
from ..solvers.base import derive_status
from ..timing.forward import TechContext
from .matrix import MatrixBuffer
from .techplan import TechPlan

BACKEND = "live-insertion"


@dataclass(frozen=True)
class TechnicianStatus:
    """What a technician is doing at ``at_s``.

    ``kind``: ``not_started`` (before its departure), ``travelling`` (to ``job``), ``waiting``
    (on site for ``job``'s start), ``working`` (on ``job`` since ``since_s`` until ``until_s``),
    ``on_break``, ``idle`` (no visit before the next shift / between jobs; with ``job``: waits
    where it is until it sets off towards ``job`` at ``until_s``, its ``sent_at``), ``returning``,
    ``done`` (back home), ``unavailable`` (from ``since_s``).
    """

    technician: str
    kind: str
    at_s: int
    job: str | None = None
    since_s: int | None = None
    until_s: int | None = None


@dataclass(frozen=True)
class StateData:
    """The published plan plus "now" plus the frozen past (see the module doc).

    ``contexts`` (forward-pass contexts per technician) and ``matrix_buffer`` (spare storage of
    the carried travel matrix) are caches kept between updates, not part of the state's value.
    """

    problem: Problem
    plan: Plan
    now_s: int
    plans: Mapping[str, TechPlan]
    unassigned: Mapping[str, str]                       # job -> reason (every unplanned job)
    unavailable: Mapping[str, int] = field(default_factory=dict)   # technician -> from second
    history: tuple[str, ...] = ()                       # one line per applied event
    contexts: Mapping[str, TechContext] = field(default_factory=dict, repr=False, compare=False)
    matrix_buffer: MatrixBuffer | None = field(default=None, repr=False, compare=False)

    # -- queries ---------------------------------------------------------------------------------
    def context(self, tech_id: str) -> TechContext:
        ctx = self.contexts.get(tech_id)
        tech = self.problem.technician(tech_id)
        if ctx is None or ctx.tech is not tech:
            ctx = TechContext(self.problem, tech)
        return ctx

    def job_status(self, job_id: str) -> str:
        """``done``, ``in_progress``, ``planned`` or ``unassigned`` (a reason in ``unassigned``)."""
        if not self.problem.has_job(job_id):
            raise EventError(f"unknown job {job_id!r}")
        if job_id in self.unassigned:
            return "unassigned"
        for tp in self.plans.values():
            for frozen_id, start in tp.frozen:
                if frozen_id == job_id:
                    end = start + self.problem.job(job_id).duration_s
                    return "done" if end <= self.now_s else "in_progress"
        return "planned"

    def in_hand(self, tech_id: str) -> tuple[str, int, int] | None:
        """(job, start, end) of the frozen visit the technician is working on at now, if any."""
        tp = self.plans[tech_id]
        if not tp.frozen:
            return None
        job_id, start = tp.frozen[-1]
        end = start + self.problem.job(job_id).duration_s
        return (job_id, start, end) if end > self.now_s else None

    def status(self, tech_id: str, at_s: int | None = None) -> TechnicianStatus:
        """What technician ``tech_id`` does at ``at_s`` (default now) according to the plan."""
        at = self.now_s if at_s is None else at_s
        if tech_id in self.unavailable and at >= self.unavailable[tech_id]:
            return TechnicianStatus(tech_id, "unavailable", at, since_s=self.unavailable[tech_id])
        route = self.plan.route(tech_id)
        if route is None or not route.visits:
            for b in (route.breaks if route else ()):
                if b.start_s <= at < b.end_s:
                    return TechnicianStatus(tech_id, "on_break", at, since_s=b.start_s, until_s=b.end_s)
            return TechnicianStatus(tech_id, "idle", at)
        for b in route.breaks:
            if b.start_s <= at < b.end_s:
                return TechnicianStatus(tech_id, "on_break", at, since_s=b.start_s, until_s=b.end_s)
        if route.departure_s is not None and at < route.departure_s:
            return TechnicianStatus(tech_id, "not_started", at, until_s=route.departure_s)
        prev_end = route.departure_s
        for v in route.visits:
            if v.start_s <= at < v.end_s:
                return TechnicianStatus(tech_id, "working", at, job=v.job, since_s=v.start_s, until_s=v.end_s)
            sent = prev_end if v.sent_s is None else v.sent_s
            if at < sent:       # waits where it is until the job is received (anticipate_jobs false)
                return TechnicianStatus(tech_id, "idle", at, job=v.job, since_s=prev_end, until_s=sent)
            if at < v.arrival_s:
                return TechnicianStatus(tech_id, "travelling", at, job=v.job, since_s=sent,
                                        until_s=v.arrival_s)
            if at < v.start_s:
                return TechnicianStatus(tech_id, "waiting", at, job=v.job, since_s=v.arrival_s,
                                        until_s=v.start_s)
            prev_end = v.end_s
        if route.ret is not None and at < route.ret.arrival_s:
            return TechnicianStatus(tech_id, "returning", at, since_s=prev_end, until_s=route.ret.arrival_s)
        return TechnicianStatus(tech_id, "done", at, since_s=route.ret.arrival_s if route.ret else None)

    def statuses(self, at_s: int | None = None) -> list[TechnicianStatus]:
        return [self.status(t.id, at_s) for t in self.problem.technicians]


def make_plan(problem: Problem, routes: Sequence[Route], unassigned: Mapping[str, str], *,
              backend: str = BACKEND, wall_s: float | None = None, note: str | None = None) -> Plan:
    """A Plan of the whole problem: routes in technician order, unassigned in job order."""
    status = derive_status(problem, unassigned).value
    plan = Plan(scenario=problem.name, clock=problem.clock,
                solver=SolverInfo(backend=backend, time_limit_s=None, seed=0, status=status,
                                  objective=None, wall_s=wall_s),
                routes=tuple(routes),
                unassigned=tuple(Unassigned(j.id, unassigned[j.id]) for j in problem.jobs
                                 if j.id in unassigned))
    return replace(plan, solver=replace(plan.solver, objective=plan_cost(problem, plan)))
