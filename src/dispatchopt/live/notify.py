"""What changed between the published plan and the new one, and whom to call.

Rules (DOMAIN.md, "Appointment keeping"; all times on the problem clock). What a customer
sees of a visit is when the technician (the whole crew) is at the door and work begins: the
visit's **start**. Time spent waiting in the van (for the window to open, for a crew partner)
is not the customer's business, so every rule below compares starts. The **promise** is the
start the customer was last told: the morning plan's, or the start given by the last call
(``DispatchState.promised``; a job placed later is promised its first planned start). A job
that moves several times is judged against the promise, not against the previous plan, so small
moves cannot add up to a large unannounced delay.

* **CallCustomer**, with an appointment window (``job.window``, a promise): the new start
  stays inside the window (it is hard) but moves later than the promise by more than
  :data:`APPOINTMENT_TOLERANCE_S` (30 min).
* **CallCustomer**, without an appointment: the new start is later than the promise by more
  than :data:`OPEN_TOLERANCE_S` (30 min), or it falls past the SLA deadline (``job.due_s``)
  while the promise did not (and moves later by more than :data:`MIN_MOVE_S`).
* A call is due :data:`CALL_AHEAD_S` (15 min) before the promised start; when that moment has
  already passed it is due at once and flagged ``late_notice``. After a call the new start is
  the promise.
* **Reappoint**: a job with an appointment window that lost its place in the plan, or whose
  new start falls after its window (only a relaxed, as-executed window allows that): the
  customer agrees a new time (the plan's new start, if any, is the proposal). A customer not
  at home gets one too (the re-appointment job, see ``events``).
* Never a notice for an earlier or unchanged start, nor for the job the event is about (the
  new job, the cancelled one).
* **Bumped**: a job taken out of its technician's route by the update (an emergency placed
  before it, a technician lost, an overrun) is listed with its SLA cost: ``unassigned x weight``
  when it could not be re-planned, else ``late_minute x weight x`` the late minutes it gained.

The thresholds live here and only here (the CLI help of ``insert``/``replay`` and the
simulation's ``customers_notified`` refer to them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .. import rules
from ..domain import Job, Problem
from ..plan import Plan
from .event_types import Event
from .state import DispatchState
from .workspace import BumpRecord, Dispatch

CALL_AHEAD_S = 15 * 60
"""A customer is called at least this long before the promised start (DOMAIN.md)."""
APPOINTMENT_TOLERANCE_S = 30 * 60
"""With an appointment window: a start later than the promise by more than this (inside the
window) gets a call."""
OPEN_TOLERANCE_S = 30 * 60
"""Without an appointment: a start later than the promise by more than this gets a call."""
MIN_MOVE_S = 60
"""Starts are promised to the minute: a move later by less than this never gets a notice."""


def notice_rules() -> str:
    """The notice rules in a few sentences, from the thresholds above (the CLI help)."""
    return (f"Customers are told about the start of work (the technician at the door). With an "
            f"appointment window: a call when the start moves more than "
            f"{APPOINTMENT_TOLERANCE_S // 60} min later than promised inside the window, a "
            f"re-appointment when the window is lost. Without one: a call when the start moves "
            f"more than {OPEN_TOLERANCE_S // 60} min later than promised, or past the SLA "
            f"deadline. Calls are due {CALL_AHEAD_S // 60} min before the promised start (flagged "
            f"when that has passed); an earlier start is never called.")


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
    """Call the customer of ``job`` by ``call_by_s``: the start moves from the promised
    ``old_arrival_s`` to ``new_arrival_s`` (starts: when the technician is at the door)."""

    job: str
    old_arrival_s: int
    new_arrival_s: int
    call_by_s: int
    late_notice: bool = False           # the 15-minute rule could not be kept
    reason: str = ""                    # why the customer is called ("45 min later", ...)
    kind: str = field(default="call_customer", init=False)


@dataclass(frozen=True)
class Reappoint:
    """Agree a new time with the customer of ``job`` (``proposed_arrival_s``: the plan's new
    start, if any)."""

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


def customer_notice(job: Job, promise_s: int, new_start_s: int | None,
                    now_s: int) -> CallCustomer | Reappoint | None:
    """The notice (or None) the customer of ``job`` gets when its start moves from the promised
    ``promise_s`` to ``new_start_s`` (None: no longer planned). The rules of the module doc."""
    call_by = promise_s - CALL_AHEAD_S
    late_notice = call_by < now_s
    call_by = max(call_by, now_s)
    window = job.window
    if new_start_s is None:
        if window is not None and job.dispatchable:
            return Reappoint(job.id, "its appointment window can no longer be kept",
                             old_arrival_s=promise_s, call_by_s=call_by)
        return None
    later_s = new_start_s - promise_s
    if later_s <= MIN_MOVE_S:
        return None
    later = f"{later_s / 60:.0f} min later"
    if window is not None:
        if new_start_s > window.end_s:
            return Reappoint(job.id, f"the new start is {later}, after the appointment window",
                             old_arrival_s=promise_s, proposed_arrival_s=new_start_s, call_by_s=call_by)
        if later_s > APPOINTMENT_TOLERANCE_S:
            return CallCustomer(job.id, promise_s, new_start_s, call_by, late_notice,
                                f"{later}, still inside the appointment window")
        return None
    if later_s > OPEN_TOLERANCE_S:
        return CallCustomer(job.id, promise_s, new_start_s, call_by, late_notice, later)
    if new_start_s > job.due_s >= promise_s:
        return CallCustomer(job.id, promise_s, new_start_s, call_by, late_notice,
                            f"{later}, past the SLA deadline")
    return None


def next_promises(promised: Mapping[str, int], old: Plan, new: Plan, diff: Diff,
                  notes: Iterable[Notification]) -> dict[str, int]:
    """The starts customers hold after an update: a call or a re-appointment's proposal
    replaces the promise; a job newly planned is promised its start; a job no longer planned
    (or re-appointed without a proposal) holds none; every other promise stands."""
    out = dict(promised)
    if not out:                     # a state made before promises were kept: the old plan's
        out = {j: s for j, (_t, s, _a) in _visits(old, None).items()}
    starts = {c.job: c.new_start_s for c in diff.changes}
    for c in diff.changes:
        if c.new_start_s is None:
            out.pop(c.job, None)
        elif c.job not in out:
            out[c.job] = c.new_start_s
    for n in notes:
        if isinstance(n, CallCustomer):
            out[n.job] = n.new_arrival_s
        elif isinstance(n, Reappoint) and n.job in starts:
            if n.proposed_arrival_s is None:
                out.pop(n.job, None)
            else:
                out[n.job] = n.proposed_arrival_s
    for u in new.unassigned:
        out.pop(u.job, None)
    return out


def notifications(problem: Problem, old_problem: Problem, diff: Diff, now_s: int, *,
                  bumps: Mapping[str, BumpRecord] | None = None, unassigned: Iterable[str] = (),
                  silent: Iterable[str] = (), promised: Mapping[str, int] | None = None) -> list[Notification]:
    """Calls, re-appointments and bump notices for ``diff`` (see the module doc). ``promised``:
    job -> the start the customer was last told (default: the old plan's start)."""
    silent = set(silent)
    promised = promised or {}
    out: list[Notification] = []
    obj = problem.objective
    for c in diff.changes:
        if c.job in silent or c.old_start_s is None:
            continue
        if c.new_start_s is not None and c.new_start_s <= now_s:
            continue        # started (the technician is there): nothing left to announce
        job = problem.job(c.job) if problem.has_job(c.job) else old_problem.job(c.job)
        note = customer_notice(job, promised.get(c.job, c.old_start_s), c.new_start_s, now_s)
        if note is not None:
            out.append(note)
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
        late = f" (less than {CALL_AHEAD_S // 60} min ahead!)" if note.late_notice else ""
        why = f" ({note.reason})" if note.reason else ""
        return (f"call the customer of {note.job} by {t(note.call_by_s)}{late}: start "
                f"{t(note.old_arrival_s)} -> {t(note.new_arrival_s)}{why}")
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
        """A dispatcher's summary: who goes, when, who is bumped, whom to call. Arrivals and
        starts are read from the published plan (``self.plan``), the file a dispatcher saves."""
        problem = self.problem
        t = lambda s: problem.clock.to_iso(s)[11:16]    # noqa: E731
        out = []
        planned = _visits(self.plan, None)
        for d in self.dispatches:
            job = problem.job(d.job)
            techs, start_s, arrival_s = planned.get(d.job, (d.technicians, d.start_s, d.arrival_s))
            on_time = rules.on_time(job, start_s)
            status = "on time" if on_time else f"LATE (due {t(job.due_s)})"
            extra = ""
            if d.interrupted:
                extra = f", interrupting {d.interrupted} (follow-up {d.follow_up})"
            elif d.diverted_from:
                extra = f", diverted from {d.diverted_from}"
            sent = [v.sent_s for r in self.plan.routes for v in r.visits
                    if v.job == d.job and v.sent_s is not None]
            sets_off = f" (sets off {t(min(sent))})" if sent else ""
            out.append(f"{d.job} ({job.category}): {'+'.join(techs)} arrives {t(arrival_s)}, "
                       f"starts {t(start_s)}{sets_off}, {status}{extra}")
        for n in self.notifications:
            out.append(describe(problem, n))
        for note in self.notes:
            out.append(f"note: {note}")
        return out
