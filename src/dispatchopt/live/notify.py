"""What changed between the published plan and the new one, and whom to call.

Rules (DOMAIN.md, "Appointment keeping"; all times on the problem clock):

* **CallCustomer**: a job planned in both plans whose expected arrival moves later than the
  published ("promised") one by more than :data:`CALL_TOLERANCE_S` gets a call, due
  :data:`CALL_AHEAD_S` (15 min) before the promised arrival, with the new arrival. When that
  moment has already passed the call is due at once and flagged ``late_notice``.
* **Reappoint**: a job that is pushed more than :data:`MAX_DELAY_S` (30 min) past its
  appointment (its window end, or the promised arrival when it has no window), or that had a
  window and lost its place in the plan, must get a new appointment (the customer agrees a new
  time; the plan's new arrival, if any, is the proposal). It replaces the call for that job.
  A customer not at home gets one too (the re-appointment job, see ``events``).
* **Bumped**: a job taken out of its technician's route by the update (an emergency placed
  before it, a technician lost, an overrun) is listed with its SLA cost: ``unassigned x weight``
  when it could not be re-planned, else ``late_minute x weight x`` the late minutes it gained.

Jobs cancelled by the event get no notice (the customer asked for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .. import rules
from ..domain import Problem
from ..plan import Plan
from .event_types import Event
from .state import DispatchState
from .workspace import BumpRecord, Dispatch

CALL_AHEAD_S = 15 * 60
MAX_DELAY_S = 30 * 60
CALL_TOLERANCE_S = 60
"""Arrivals are promised to the minute: a move later by less than this is not called in."""


@dataclass(frozen=True)
class JobChange:
    """One job's change between two plans. ``kind``: added (now planned, was not), removed
    (was planned, now unassigned), moved (other technicians), retimed (same technicians,
    start moved by at least a minute)."""

    job: str
    kind: str
    old_technicians: tuple[str, ...] = ()
    new_technicians: tuple[str, ...] = ()
    old_start_s: int | None = None
    new_start_s: int | None = None
    old_arrival_s: int | None = None
    new_arrival_s: int | None = None


@dataclass(frozen=True)
class Diff:
    changes: tuple[JobChange, ...] = ()

    def of_kind(self, kind: str) -> list[str]:
        return [c.job for c in self.changes if c.kind == kind]

    @property
    def added(self) -> list[str]:
        return self.of_kind("added")

    @property
    def removed(self) -> list[str]:
        return self.of_kind("removed")

    @property
    def moved(self) -> list[str]:
        return self.of_kind("moved")

    @property
    def retimed(self) -> list[str]:
        return self.of_kind("retimed")

    def __len__(self) -> int:
        return len(self.changes)


@dataclass(frozen=True)
class CallCustomer:
    job: str
    old_arrival_s: int
    new_arrival_s: int
    call_by_s: int
    late_notice: bool = False           # the 15-minute rule could not be kept
    kind: str = field(default="call_customer", init=False)


@dataclass(frozen=True)
class Reappoint:
    job: str
    reason: str
    old_arrival_s: int | None = None
    proposed_arrival_s: int | None = None
    call_by_s: int | None = None
    kind: str = field(default="reappoint", init=False)


@dataclass(frozen=True)
class Bumped:
    job: str
    cause: str
    from_technician: str
    new_technicians: tuple[str, ...]    # () when unassigned
    new_start_s: int | None
    sla_cost: float                     # cost units (see the module doc)
    kind: str = field(default="bumped", init=False)


Notification = CallCustomer | Reappoint | Bumped


def _visits(plan: Plan, techs: Iterable[str] | None) -> dict[str, tuple[tuple[str, ...], int, int]]:
    """job -> (technicians, start, arrival) over the routes of ``techs`` (all when None)."""
    wanted = None if techs is None else set(techs)
    out: dict[str, tuple[list[str], int, int]] = {}
    for route in plan.routes:
        if wanted is not None and route.technician not in wanted:
            continue
        for v in route.visits:
            hit = out.get(v.job)
            if hit is None:
                out[v.job] = ([route.technician], v.start_s, v.arrival_s)
            else:
                hit[0].append(route.technician)
                out[v.job] = (hit[0], max(hit[1], v.start_s), min(hit[2], v.arrival_s))
    return {j: (tuple(sorted(t)), s, a) for j, (t, s, a) in out.items()}


def diff_plans(old: Plan, new: Plan, techs: Iterable[str] | None = None) -> Diff:
    """The job changes from ``old`` to ``new`` (only the routes of ``techs`` when given: the
    others are known to be unchanged)."""
    techs = None if techs is None else list(techs)
    before = _visits(old, techs)
    after = _visits(new, techs)
    new_unassigned = {u.job for u in new.unassigned}
    changes = []
    for job_id in list(before) + [j for j in after if j not in before]:
        b, a = before.get(job_id), after.get(job_id)
        if b is not None and a is not None:
            if b[0] != a[0]:
                kind = "moved"
            elif abs(b[1] - a[1]) >= 60:
                kind = "retimed"
            else:
                continue
            changes.append(JobChange(job_id, kind, b[0], a[0], b[1], a[1], b[2], a[2]))
        elif b is not None:
            if techs is not None and job_id not in new_unassigned:
                continue        # moved to a route outside ``techs``: cannot be (defensive)
            changes.append(JobChange(job_id, "removed", b[0], (), b[1], None, b[2], None))
        else:
            changes.append(JobChange(job_id, "added", (), a[0], None, a[1], None, a[2]))
    return Diff(tuple(changes))


def notifications(problem: Problem, old_problem: Problem, diff: Diff, now_s: int, *,
                  bumps: Mapping[str, BumpRecord] | None = None, unassigned: Iterable[str] = (),
                  silent: Iterable[str] = ()) -> list[Notification]:
    """Calls, re-appointments and bump notices for ``diff`` (see the module doc)."""
    silent = set(silent)
    out: list[Notification] = []
    obj = problem.objective
    for c in diff.changes:
        if c.job in silent or c.old_arrival_s is None:
            continue
        job = problem.job(c.job) if problem.has_job(c.job) else old_problem.job(c.job)
        promised = c.old_arrival_s
        if c.new_arrival_s is None:
            if job.window is not None and job.dispatchable:
                out.append(Reappoint(c.job, "its appointment window can no longer be kept",
                                     old_arrival_s=promised, call_by_s=max(now_s, promised - CALL_AHEAD_S)))
            continue
        if c.new_arrival_s <= promised + CALL_TOLERANCE_S:
            continue
        call_by = promised - CALL_AHEAD_S
        late_notice = call_by < now_s
        call_by = max(call_by, now_s)
        appointment = job.window.end_s if job.window is not None else promised
        if c.new_arrival_s > appointment + MAX_DELAY_S:
            out.append(Reappoint(c.job, f"arrival moves {(c.new_arrival_s - promised) / 60:.0f} min later, "
                                 f"more than {MAX_DELAY_S // 60} min past the appointment",
                                 old_arrival_s=promised, proposed_arrival_s=c.new_arrival_s, call_by_s=call_by))
        else:
            out.append(CallCustomer(c.job, promised, c.new_arrival_s, call_by, late_notice))
    by_job = {c.job: c for c in diff.changes}
    unassigned = set(unassigned)
    for job_id, bump in (bumps or {}).items():
        if job_id in silent or not problem.has_job(job_id):
            continue
        job = problem.job(job_id)
        change = by_job.get(job_id)
        weight = problem.weight(job)
        if change is not None and change.new_start_s is not None:
            old_start = change.old_start_s if change.old_start_s is not None else change.new_start_s
            extra = rules.late_s(job, change.new_start_s) - rules.late_s(job, old_start)
            cost = max(0.0, extra / 60 * obj.late_minute * weight)
            out.append(Bumped(job_id, bump.cause, bump.technician, change.new_technicians,
                              change.new_start_s, round(cost, 2)))
        elif job_id in unassigned:
            out.append(Bumped(job_id, bump.cause, bump.technician, (), None,
                              round(obj.unassigned * weight, 2)))
    return out


def describe(problem: Problem, note: Notification) -> str:
    """One line a dispatcher reads."""
    t = lambda s: problem.clock.to_iso(s)[11:16]    # noqa: E731
    if isinstance(note, CallCustomer):
        late = " (less than 15 min ahead!)" if note.late_notice else ""
        return (f"call the customer of {note.job} by {t(note.call_by_s)}{late}: arrival "
                f"{t(note.old_arrival_s)} -> {t(note.new_arrival_s)}")
    if isinstance(note, Reappoint):
        proposal = f", propose {t(note.proposed_arrival_s)}" if note.proposed_arrival_s is not None else ""
        when = f" by {t(note.call_by_s)}" if note.call_by_s is not None else ""
        return f"re-appoint {note.job}{when}: {note.reason}{proposal}"
    where = (f"moved to {'+'.join(note.new_technicians)} at {t(note.new_start_s)}"
             if note.new_technicians else "unassigned")
    return f"bumped {note.job} from {note.from_technician} by {note.cause}: {where}, SLA cost {note.sla_cost:g}"


@dataclass(frozen=True)
class Update:
    """The answer to one event (or re-plan): the new state (its ``plan`` is to be published),
    the diff against the previously published plan, the notices, who was dispatched, notes."""

    state: DispatchState
    event: Event | None                 # the event answered (None for a re-plan)
    diff: Diff
    notifications: tuple[Notification, ...]
    dispatches: tuple[Dispatch, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def problem(self) -> Problem:
        return self.state.problem

    @property
    def plan(self) -> Plan:
        return self.state.plan

    def of_kind(self, kind: str) -> list[Notification]:
        return [n for n in self.notifications if n.kind == kind]

    def lines(self) -> list[str]:
        """A dispatcher's summary: who goes, when, who is bumped, whom to call."""
        problem = self.problem
        t = lambda s: problem.clock.to_iso(s)[11:16]    # noqa: E731
        out = []
        for d in self.dispatches:
            job = problem.job(d.job)
            status = "on time" if d.on_time else f"LATE (due {t(job.due_s)})"
            extra = ""
            if d.interrupted:
                extra = f", interrupting {d.interrupted} (follow-up {d.follow_up})"
            elif d.diverted_from:
                extra = f", diverted from {d.diverted_from}"
            out.append(f"{d.job} ({job.category}): {'+'.join(d.technicians)} arrives {t(d.arrival_s)}, "
                       f"starts {t(d.start_s)}, {status}{extra}")
        for n in self.notifications:
            out.append(describe(problem, n))
        for note in self.notes:
            out.append(f"note: {note}")
        return out
