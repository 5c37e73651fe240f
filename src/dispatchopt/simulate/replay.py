"""Play one random day through the live engine, checking every plan it publishes.

:func:`replay_day` starts live dispatch on the morning plan at the horizon start and lets the
day happen in time order. Each technician works its route as currently published: a visit
starts at its planned start (or the customer is not at home: ``CustomerNotHome``), and its
actual service time is the planned one times the day's factor for that job. What the live
engine is told, at the moment it happens:

* a job that ends early, or late by at most :data:`OVERRUN_NOTICE_S`: ``JobCompleted`` at its
  actual end;
* a job that will run later than that: ``DurationOverrun`` at its planned end with the actual
  end (the technician calls in; the plan then knows the end, no completion is sent);
* the day's new jobs (``NewJob``), technicians falling ill (``TechnicianUnavailable``) and
  cancellations of jobs not started yet (``JobCancelled``);
* with ``replan_every_s``, a re-optimisation (:func:`dispatchopt.live.replan`) that often.

A visit that starts as planned needs no event: the live engine freezes it once its start has
passed. A visit moved at the very second it was to start (an event at that second) has not
started; it starts when the plan then says. Every plan the engine publishes goes through
:func:`dispatchopt.audit.verify.verify`; the first violation stops the run with a
:class:`SimulationError` naming the seed, the event and the broken rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..audit.kpi import compute_kpis, flat_kpis
from ..domain import Problem
from ..errors import DispatchOptError
from ..live import (CallCustomer, CustomerNotHome, DispatchState, DurationOverrun, Event, JobCancelled,
                    JobCompleted, NewJob, Reappoint, TechnicianUnavailable, Update, apply, replan)
from ..live.event_types import describe_event
from ..plan import Plan
from .checking import PlanChecker
from .draw import Day

log = logging.getLogger("dispatchopt")

OVERRUN_NOTICE_S = 5 * 60
"""A job running later than its planned end by more than this is reported as an overrun."""


class SimulationError(DispatchOptError, RuntimeError):
    """A simulated day broke: a published plan failed ``verify`` or the live engine refused an
    event (a bug of the engine or of the simulation). The message names the seed."""

    def __init__(self, message: str, *, seed: int) -> None:
        super().__init__(message)
        self.seed = seed


@dataclass
class Executed:
    """What one simulated day did: the executed KPIs (flat) and counts."""

    seed: int
    kpis: dict[str, float | None] = field(default_factory=dict)
    customers_notified: int = 0     # distinct jobs whose customer got a CallCustomer / Reappoint
    events: int = 0
    plans_verified: int = 0
    new_jobs: int = 0
    no_shows: int = 0
    sick: int = 0
    cancelled: int = 0
    replans: int = 0                # re-optimisations published (replan_every_s)


class _Replay:
    """The day in progress: the live state and what has really started / ended."""

    def __init__(self, problem: Problem, plan: Plan, day: Day, replan_every_s: int | None,
                 replan_backend: str, full_verify: bool = False) -> None:
        self.day = day
        self.verify = PlanChecker(full=full_verify)
        self.out = Executed(seed=day.seed)
        self.started: dict[str, int] = {}       # job -> its actual start
        self.actual_end: dict[str, int] = {}
        self.expected_s: dict[str, int] = {}    # job -> the service time the plan should show
        self.overrun: set[str] = set()
        self.done: set[str] = set()
        self.starts_of: tuple[Plan | None, dict[str, tuple[int, int]]] = (None, {})
        self.notified: set[str] = set()
        self.replan_every_s = replan_every_s
        self.replan_backend = replan_backend
        self.state = DispatchState.start(problem, plan, 0)
        self.check(self.state.problem, self.state.plan, "the start of live dispatch")
        outside: list[tuple[int, int, Event]] = [(j.received_s, 0, NewJob(at_s=j.received_s, job=j))
                                                 for j in day.arrivals]
        outside += [(t, 1, TechnicianUnavailable(at_s=t, technician=tid, reason="fell ill"))
                    for t, tid in day.sick]
        outside += [(t, 1, JobCancelled(at_s=t, job=job_id)) for t, job_id in day.cancellations]
        self.outside = sorted(outside, key=lambda item: (item[0], item[1]))
        self.next_replan = replan_every_s if replan_every_s else None

    # -- checks --------------------------------------------------------------------------------
    def check(self, problem: Problem, plan: Plan, what: str) -> None:
        violations = self.verify(problem, plan)
        self.out.plans_verified += 1
        if violations:
            raise SimulationError(f"seed {self.day.seed}: the plan after {what} breaks {len(violations)} "
                                  f"hard rule(s), first: {violations[0]}", seed=self.day.seed)

    def send(self, event: Event) -> None:
        what = describe_event(self.state.problem, event)
        try:
            update = apply(self.state, event)
        except DispatchOptError as exc:
            raise SimulationError(f"seed {self.day.seed}: the live engine refused {what}: {exc}",
                                  seed=self.day.seed) from exc
        self.accept(update, what)

    def accept(self, update: Update, what: str) -> None:
        self.out.events += 1
        self.check(update.problem, update.plan, what)
        before = self.state.problem
        for note in update.notifications:
            # a Reappoint of a job the event created is a customer not at home, not a delay
            if isinstance(note, CallCustomer) or (isinstance(note, Reappoint) and before.has_job(note.job)):
                self.notified.add(note.job)
        self.state = update.state

    # -- the day -------------------------------------------------------------------------------
    def next_step(self) -> tuple[int, int, str, object] | None:
        """The earliest thing that happens next: (time, order, kind, what), or None at the end."""
        starts = self.reconcile()
        best: tuple[int, int, str, object] | None = None
        for route in self.state.plan.routes:
            for v in route.visits:
                if v.job in self.done:
                    continue
                step = self.visit_step(v.job, v.start_s, starts[v.job][1])
                if best is None or step[:2] < best[:2]:
                    best = step
                break
        if self.outside:
            t, order, event = self.outside[0]
            if best is None or (t, order) < best[:2]:
                best = (t, order, "outside", event)
        if self.next_replan is not None and best is not None and self.next_replan < best[0]:
            best = (self.next_replan, -1, "replan", None)
        return best

    def reconcile(self) -> dict[str, tuple[int, int]]:
        """job -> (start, end) in the current plan; jobs moved at their start are not started,
        jobs whose (cut) service ended by now are done."""
        if self.state.plan is not self.starts_of[0]:      # the plan changes at events only
            self.starts_of = (self.state.plan, {v.job: (v.start_s, v.end_s) for route in self.state.plan.routes
                                                for v in route.visits})
        starts = self.starts_of[1]
        now = self.state.now_s
        for job_id in [j for j in self.started if j not in self.done]:     # done ones: nothing to see
            start = self.started[job_id]
            planned = starts.get(job_id)
            if planned is None or planned[0] != start:
                del self.started[job_id]        # diverted at the second it was to start
            elif planned[1] <= now and planned[1] - start < self.expected_s[job_id]:
                self.done.add(job_id)           # stopped short by the engine (illness)
        return starts

    def visit_step(self, job_id: str, start_s: int, end_s: int) -> tuple[int, int, str, object]:
        if job_id not in self.started:
            return (start_s, 3, "start", job_id)
        actual = self.actual_end[job_id]
        if job_id in self.overrun or actual == end_s:
            return (end_s, 2, "finish", job_id)
        if actual > end_s + OVERRUN_NOTICE_S:
            return (end_s, 2, "overrun", job_id)
        return (actual, 2, "complete", job_id)

    def start(self, job_id: str, at: int) -> None:
        problem = self.state.problem
        if at >= self.state.now_s and self.day.not_home(job_id):
            self.out.no_shows += 1
            self.done.add(job_id)
            self.send(CustomerNotHome(at_s=at, job=job_id))
            return
        planned = problem.job(job_id).duration_s
        actual = max(1, round(planned * self.day.duration_factor(job_id))) if planned > 0 else 0
        self.started[job_id] = at
        self.actual_end[job_id] = at + actual
        self.expected_s[job_id] = planned

    def step(self, step: tuple[int, int, str, object]) -> None:
        at, _, kind, what = step
        at = max(at, self.state.now_s)
        if kind == "outside":
            self.outside.pop(0)
            if isinstance(what, JobCancelled):
                if what.job in self.started or what.job in self.done:
                    return          # the work has started: too late to cancel
                self.done.add(what.job)
                self.out.cancelled += 1
            self.out.new_jobs += isinstance(what, NewJob)
            self.out.sick += isinstance(what, TechnicianUnavailable)
            self.send(what)
        elif kind == "replan":
            self.next_replan = at + self.replan_every_s
            self.out.replans += 1
            update = replan(self.state, now_s=at, backend=self.replan_backend, time_limit_s=5.0)
            self.accept(update, f"the re-optimisation at {self.state.problem.clock.to_iso(at)[11:16]}")
        elif kind == "start":
            self.start(what, step[0])
        elif kind == "finish":
            self.done.add(what)
        elif kind == "overrun":
            self.overrun.add(what)
            self.expected_s[what] = self.actual_end[what] - self.started[what]
            self.send(DurationOverrun(at_s=at, job=what, expected_end_s=self.actual_end[what]))
        else:
            self.done.add(what)
            self.send(JobCompleted(at_s=at, job=what))

    def run(self) -> Executed:
        limit = 20 * (len(self.state.problem.jobs) + len(self.outside)) + 1000
        for _ in range(limit):
            step = self.next_step()
            if step is None:
                final = self.state
                self.out.kpis = flat_kpis(compute_kpis(final.problem, final.plan), column_names=True)
                self.out.customers_notified = len(self.notified)
                return self.out
            self.step(step)
        raise SimulationError(f"seed {self.day.seed}: the day did not end after {limit} steps "
                              f"(a simulation bug)", seed=self.day.seed)


def replay_day(problem: Problem, plan: Plan, day: Day, *, replan_every_s: int | None = None,
               replan_backend: str = "greedy", full_verify: bool = False) -> Executed:
    """Play ``day`` on ``plan`` (see the module doc); raises :class:`SimulationError`.

    Every published plan is checked by a :class:`~.checking.PlanChecker` (the answer of
    ``verify``, re-checking only the routes and jobs that changed); ``full_verify``: ``verify``
    itself on every plan (the same answers, ~5x slower on a city day)."""
    return _Replay(problem, plan, day, replan_every_s, replan_backend, full_verify).run()
