"""Random event sequences never lose a job and never break a rule (hypothesis state machine).

A small generated day (6 technicians, 25 jobs, crews and split shifts included), greedy morning
plan; events of every kind arrive in time order; after each one:

* ``verify(problem, plan) == []``;
* every job ever known is still in the problem, planned or unassigned with a reason;
* the frozen past is respected: a visit the published plan started before the event's time keeps
  its technician and start (the event's own job, and visits the event proves had not started,
  excepted); under finish_current the job in hand keeps its technician and end.
"""

from __future__ import annotations

from functools import lru_cache

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from dispatchopt.domain import Job, Location
from dispatchopt.errors import EventError
from dispatchopt.live import (CustomerNotHome, DispatchState, DurationOverrun, JobCancelled,
                              JobCompleted, JobStarted, NewJob, TechnicianUnavailable, apply, replan)
from dispatchopt.scenario import problem_from_dict
from dispatchopt.synth.generate import generate_scenario
from dispatchopt.solvers import solve
from dispatchopt.audit.verify import verify

M = 60
CATEGORIES = ("emergency", "major_leak", "urgent", "small_repair", "standard", "road_repair")


@lru_cache(maxsize=None)
def _morning(seed: int, interrupt: bool):
    problem = problem_from_dict(generate_scenario(6, 25, seed=seed))
    if interrupt:
        problem = problem.replace(preemption={"major_leak": "interrupt", "emergency": "interrupt"})
    plan = solve(problem, backend="greedy").plan
    return problem, plan


def _visits(plan):
    return {(r.technician, v.job): v for r in plan.routes for v in r.visits}


class LiveDay(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 3), interrupt=st.booleans(), start_min=st.integers(60, 300))
    def setup(self, seed, interrupt, start_min):
        problem, plan = _morning(seed, interrupt)
        # 08:00-12:00 local (the scenario starts 07:00)
        self.state = DispatchState.start(problem, plan, start_min * M)
        assert verify(self.state.problem, self.state.plan) == []
        self.known = {j.id for j in problem.jobs}
        self.n_new = 0
        self.steps = 0

    # -- helpers ------------------------------------------------------------------------------
    def _apply(self, event, exempt_techs=(), *, may_refuse=True, exempt_jobs=()):
        old = self.state
        try:
            update = apply(old, event)
        except EventError:
            if not may_refuse:
                raise
            return None
        self._check_frozen(old, update.state, event, exempt_techs, exempt_jobs)
        self.state = update.state
        self.steps += 1
        return update

    def _check_frozen(self, old, new, event, exempt_techs, exempt_jobs=()):
        now = new.now_s
        job_id = getattr(event, "job", None)
        job_id = job_id.id if isinstance(job_id, Job) else job_id
        exempt = {job_id}
        end_exempt = set(exempt_jobs)
        # visits the event proves had not started: after the event's job on its technicians
        for r in old.plan.routes:
            ids = [v.job for v in r.visits]
            if job_id in ids:
                exempt.update(ids[ids.index(job_id) + 1:])
                if isinstance(event, (JobStarted, CustomerNotHome)):
                    end_exempt.update(ids)      # the job in hand before it is taken as completed
                # JobStarted of a planned job: the job in hand before it is taken as completed
                exempt_techs = tuple(exempt_techs) + ((r.technician,) if isinstance(event, JobStarted) else ())
        after = _visits(new.plan)
        for r in old.plan.routes:
            for v in r.visits:
                if v.start_s >= now or v.job in exempt:
                    continue
                moved = after.get((r.technician, v.job))
                assert moved is not None, f"{v.job} started {v.start_s} on {r.technician} before now {now} was moved"
                assert moved.start_s == v.start_s, f"{v.job} on {r.technician}: start {v.start_s} -> {moved.start_s}"
                in_hand = v.end_s > now
                policy = old.problem.policy("emergency")
                if in_hand and r.technician not in exempt_techs and v.job not in end_exempt \
                        and policy == "finish_current" and not isinstance(event, (JobStarted,)):
                    assert moved.end_s == v.end_s, f"in-hand {v.job} on {r.technician}: end moved"

    def _now(self, dt_min):
        return self.state.now_s + dt_min * M

    def _planned(self, where):
        out = []
        for tid, tp in sorted(self.state.plans.items()):
            if where == "next":
                if tp.movable and self.state.in_hand(tid) is None:
                    out.append((tid, tp.movable[0][0]))
            elif where == "hand":
                hand = self.state.in_hand(tid)
                if hand is not None:
                    out.append((tid, hand[0]))
        return out

    # -- events ----------------------------------------------------------------------------------
    @rule(dt=st.integers(0, 40), cat=st.sampled_from(CATEGORIES), pick=st.integers(0, 10**6),
          dur=st.integers(10, 120), window=st.booleans())
    def new_job(self, dt, cat, pick, dur, window):
        problem = self.state.problem
        at = self._now(dt)
        model = problem.jobs[pick % len(problem.jobs)]
        self.n_new += 1
        level = problem.sla[cat]
        win = None
        if window and cat in ("small_repair", "standard"):
            from dispatchopt.domain import Window
            win = Window(at + 60 * M, at + 180 * M)
        job = Job(id=f"N{self.n_new}", location=Location(lat=model.location.lat + 0.001 * (pick % 7),
                                                          lon=model.location.lon),
                  category=cat, skills=dict(model.skills), duration_s=dur * M, received_s=at,
                  due_s=at + int(level.respond_minutes * 60), window=win,
                  crew_size=model.crew_size if pick % 5 == 0 else 1)
        update = self._apply(NewJob(at_s=at, job=job), may_refuse=False)
        self.known.add(job.id)
        self.known.update(j.id for j in update.problem.jobs)

    @rule(dt=st.integers(0, 30), pick=st.integers(0, 100))
    def start_next(self, dt, pick):
        cands = self._planned("next")
        if cands:
            tid, job_id = cands[pick % len(cands)]
            self._apply(JobStarted(at_s=self._now(dt), job=job_id))

    @rule(dt=st.integers(0, 20), pick=st.integers(0, 100))
    def complete(self, dt, pick):
        cands = self._planned("hand")
        if cands:
            tid, job_id = cands[pick % len(cands)]
            self._apply(JobCompleted(at_s=self._now(dt), job=job_id))

    @rule(extra=st.integers(5, 90), pick=st.integers(0, 100))
    def overrun(self, extra, pick):
        cands = self._planned("hand")
        if cands:
            tid, job_id = cands[pick % len(cands)]
            hand = self.state.in_hand(tid)
            self._apply(DurationOverrun(at_s=self.state.now_s, job=job_id, expected_end_s=hand[2] + extra * M),
                        exempt_techs=(tid,))

    @rule(dt=st.integers(0, 30), pick=st.integers(0, 100), ahead=st.integers(0, 180))
    def unavailable(self, dt, pick, ahead):
        techs = [t.id for t in self.state.problem.technicians]
        tid = techs[pick % len(techs)]
        at = self._now(dt)
        route = self.state.plan.route(tid)
        self._apply(TechnicianUnavailable(at_s=at, technician=tid, from_s=at + ahead * M), exempt_techs=(tid,),
                    exempt_jobs=route.job_ids if route is not None else ())

    @rule(dt=st.integers(0, 30), pick=st.integers(0, 10**6))
    def cancel(self, dt, pick):
        ids = sorted(j for j in self.state.unassigned) + sorted(
            j for tp in self.state.plans.values() for j, _ in tp.movable)
        if ids:
            self._apply(JobCancelled(at_s=self._now(dt), job=ids[pick % len(ids)]))

    @rule(dt=st.integers(0, 10), pick=st.integers(0, 100), in_hand=st.booleans())
    def not_home(self, dt, pick, in_hand):
        cands = self._planned("hand" if in_hand else "next")
        if cands:
            tid, job_id = cands[pick % len(cands)]
            self._apply(CustomerNotHome(at_s=self._now(dt), job=job_id))

    @rule(dt=st.integers(1, 90))
    def time_passes(self, dt):
        old = self.state
        self.state = old.advance(self._now(dt))
        self._check_frozen(old, self.state, None, ())

    @precondition(lambda self: self.steps % 4 == 3)
    @rule()
    def reoptimise(self):
        old = self.state
        update = replan(old, backend="greedy", time_limit_s=1.0)
        self._check_frozen(old, update.state, None, ())
        self.state = update.state

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def plan_verifies(self):
        violations = verify(self.state.problem, self.state.plan)
        assert violations == [], "\n".join(map(str, violations))

    @invariant()
    def no_job_lost(self):
        problem = self.state.problem
        planned = self.state.plan.assigned_job_ids()
        listed = {u.job: u.reason for u in self.state.plan.unassigned}
        for job_id in self.known:
            assert problem.has_job(job_id), f"job {job_id} vanished from the problem"
            assert (job_id in planned) != (job_id in listed), f"job {job_id}: planned and listed, or neither"
            if job_id in listed:
                assert listed[job_id].strip()
                assert "internal" not in listed[job_id], f"job {job_id}: {listed[job_id]}"


LiveDay.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow,
                                                            HealthCheck.filter_too_much])
test_live_day = LiveDay.TestCase


def _random_day(seed: int, steps: int) -> None:
    """The same machine driven by a seeded random walk: long days, in the default test run."""
    import random

    rng = random.Random(seed)
    machine = LiveDay()
    machine.setup(seed=rng.randint(0, 3), interrupt=rng.random() < 0.5, start_min=rng.randint(60, 300))
    draws = {
        "new_job": lambda: dict(dt=rng.randint(0, 40), cat=rng.choice(CATEGORIES), pick=rng.randint(0, 10**6),
                                dur=rng.randint(10, 120), window=rng.random() < .5),
        "start_next": lambda: dict(dt=rng.randint(0, 30), pick=rng.randint(0, 100)),
        "complete": lambda: dict(dt=rng.randint(0, 20), pick=rng.randint(0, 100)),
        "overrun": lambda: dict(extra=rng.randint(5, 90), pick=rng.randint(0, 100)),
        "unavailable": lambda: dict(dt=rng.randint(0, 30), pick=rng.randint(0, 100), ahead=rng.randint(0, 180)),
        "cancel": lambda: dict(dt=rng.randint(0, 30), pick=rng.randint(0, 10**6)),
        "not_home": lambda: dict(dt=rng.randint(0, 10), pick=rng.randint(0, 100), in_hand=rng.random() < .5),
        "time_passes": lambda: dict(dt=rng.randint(1, 90)),
    }
    for step in range(steps):
        name = rng.choice(sorted(draws))
        getattr(machine, name)(**draws[name]())
        if step % 8 == 7:
            machine.reoptimise()
        machine.plan_verifies()
        machine.no_job_lost()


def test_long_random_days():
    for seed in range(20):
        _random_day(seed, 60)
