"""The dispatch state: the published plan, "now", the frozen past and each technician's status.

A :class:`DispatchState` is immutable: its data and queries are those of
:class:`~.snapshot.StateData` (problem, published plan, now, per technician a
:class:`~.techplan.TechPlan` of frozen past and planned suffix, unassigned jobs, unavailable
technicians, history). This class adds the two ways to make one without an event:
:meth:`DispatchState.start` (from a problem and a published plan) and
:meth:`DispatchState.advance` (the same plan seen later). Events change it with
:func:`dispatchopt.live.apply`, re-optimisation with :func:`dispatchopt.live.replan`.

The travel matrix is carried from one Problem to the next (:mod:`.matrix`): rebuilding it costs
0.3-0.5 s at city scale, far beyond the live latency budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain import Problem
from ..errors import EventError
from ..plan import Plan, Route
from ..timing.forward import TechContext
from ..travel import matrix_of
from .dispatcher import finish, place_pending
from .snapshot import StateData, TechnicianStatus as TechnicianStatus
from .techplan import TechPlan, frozen_base
from .workspace import Workspace


@dataclass(frozen=True)
class DispatchState(StateData):
    """The published plan plus "now" plus the frozen past (see :class:`~.snapshot.StateData`).

    Build one with :meth:`start` (from a problem and a published plan); change it with
    :func:`dispatchopt.live.apply` (events) and :func:`dispatchopt.live.replan`.

    ``promised``: job -> the start its customer was last told (the published plan's at
    :meth:`start`, then the start given by each call; see :mod:`.notify`).
    """

    promised: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, problem: Problem, plan: Plan, now_s: int | None = None) -> "DispatchState":
        """The state of ``plan`` (published against ``problem``) at ``now_s`` (default: the
        horizon start). Visits starting before ``now_s`` are frozen; the rest is re-timed to
        its earliest schedule (never later than published for a feasible plan)."""
        now_s = 0 if now_s is None else int(now_s)
        planned = plan.assigned_job_ids()
        listed = {u.job: u.reason for u in plan.unassigned}
        for job in problem.jobs:
            if job.id not in planned and job.id not in listed:
                raise EventError(f"plan: job {job.id} is neither planned nor listed as unassigned "
                                 f"(is the plan for scenario {problem.name!r}?)")
        for route in plan.routes:
            if not problem.has_technician(route.technician):
                raise EventError(f"plan: route for unknown technician {route.technician!r}")
            for visit in route.visits:
                if not problem.has_job(visit.job):
                    raise EventError(f"plan: technician {route.technician} visits unknown job {visit.job!r}")
        matrix_of(problem)   # build it once, here, not inside an update
        routes = {r.technician: r for r in plan.routes}
        contexts = {t.id: TechContext(problem, t) for t in problem.technicians}
        plans: dict[str, TechPlan] = {}
        for tech in problem.technicians:
            base = frozen_base(problem, contexts[tech.id], (), (), None, now_s)
            plans[tech.id] = TechPlan(tech.id, (), (), None, None, (), (), base, ())
        state = cls(problem=problem, plan=plan, now_s=now_s, plans=plans,
                    unassigned={j.id: listed[j.id] for j in problem.jobs if j.id in listed},
                    contexts=contexts, matrix_buffer=None,
                    promised={v.job: v.start_s for r in plan.routes for v in r.visits})
        ws = Workspace(state, now_s, cause="re-timing at the start of live dispatch", freeze=False)
        for tech in problem.technicians:
            route = routes.get(tech.id) or Route(technician=tech.id)
            starts = tuple((v.job, v.start_s) for v in route.visits)
            breaks = tuple((b.start_s, b.end_s) for b in route.breaks)
            ws.plans[tech.id] = ws.split(plans[tech.id], starts, breaks, route.departure_s)
            ws.dirty.add(tech.id)
        ws.settle()
        place_pending(ws)
        new_state, _ = finish(ws, published=plan)
        return new_state

    def advance(self, now_s: int) -> "DispatchState":
        """The same plan seen at a later ``now_s``: visits and breaks started before it freeze."""
        if now_s < self.now_s:
            raise EventError(f"time {self.problem.clock.to_iso(now_s)} is before the state's now "
                             f"{self.problem.clock.to_iso(self.now_s)}: events must come in time order")
        if now_s == self.now_s:
            return self
        ws = Workspace(self, now_s)
        ws.settle()
        new_state, _ = finish(ws, published=self.plan)
        return new_state
