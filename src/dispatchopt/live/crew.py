"""Crew jobs (crew_size k > 1): k qualified members at their earliest common start.

A crew takes the k earliest qualified members (a lead among them, pins included) at their
earliest common start: at the emergency position for an emergency (behind the emergencies it
does not outrank; crews do not divert a technician, they meet at a common start), at the end of
the routes otherwise. When a member cannot keep the common start the search moves a minute past
it, for at most :data:`CREW_ROUNDS` rounds. Every member's route is committed before the visits
it bumps are handled (a bump may take a crew job out of another member).
"""

from __future__ import annotations

from dataclasses import replace

from .. import rules
from ..domain import Job
from ..timing import forward as fz
from ..timing.crew import pick_crew
from .preemption import lead_count
from .workspace import Dispatch, Workspace

CREW_ROUNDS = 20


def place_crew(ws: Workspace, job: Job, *, emergency: bool) -> str | None:
    """Place crew job ``job`` (see the module doc); None when placed, else why not."""
    problem = ws.problem
    k = job.crew_size
    leads = set(ws.leads(job))
    members = [m for m in ws.members(job) if ws.available(m)]
    pins = list(job.pinned_to)
    if any(not ws.available(p) for p in pins):
        return f"pinned technician {', '.join(p for p in pins if not ws.available(p))} is unavailable"
    lower = max(rules.earliest_start_s(job), ws.now)
    for _ in range(CREW_ROUNDS):
        avail: dict[str, tuple[int, int]] = {}
        for tid in members:
            tp = ws.plans[tid]
            pos = lead_count(ws, tp, job) if emergency else len(tp.movable)
            if emergency and pos == 0 and tp.heading is not None:
                pos = 1     # crews do not divert a technician (they meet at a common start)
            st = tp.after(pos - 1)
            p = fz.place_job(problem, ws.ctx(tid), st, job, not_before_s=lower)
            if not isinstance(p, str):
                avail[tid] = (p.start_s, pos)
        crew = pick_crew({tid: start for tid, (start, _) in avail.items()}, leads=leads, pins=pins, k=k,
                         trainees=[t.id for t in problem.technicians if t.trainee])
        if crew is None:
            return ws.no_room(job) if not avail else \
                f"crew of {k} could not be formed after {ws.t(lower)} ({len(avail)} qualified free)"
        common = max(avail[t][0] for t in crew)
        ok = True
        trials = {}
        for tid in crew:
            tp = ws.plans[tid]
            suffix, heading = ws.with_job(tp, job, avail[tid][1], common)
            trial = replace(tp, heading=heading, heading_breaks=tp.heading_breaks if heading else (),
                            suffix=suffix)
            new_tp, bumped = ws.build(tid, trial, bump=emergency)
            if new_tp is None or any(j == job.id for j, _ in bumped):
                ok = False
                break
            trials[tid] = (new_tp, bumped)
        if ok:
            for tid, (new_tp, _) in trials.items():     # all members first: a bump below may
                ws.plans[tid] = new_tp                # take a crew job out of another member
            for tid, (_, bumped) in trials.items():
                for job_id, code in bumped:
                    ws.bump(job_id, tid, code, f"emergency {job.id}" if emergency else None)
            start = common
            if job.id in ws.bumps:
                return None
            arrival = min(ws.arrival(t, job.id) for t in crew)
            ws.dispatches.append(Dispatch(job.id, tuple(crew), arrival, start,
                                            rules.on_time(job, start)))
            return None
        lower = common + 60
        if rules.latest_start_s(job) is not None and lower > rules.latest_start_s(job):
            break
    return f"crew of {k} could not be formed at a common time after {ws.t(ws.now)}"
