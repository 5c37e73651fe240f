"""The independent verifier: re-times a plan from the Problem alone and lists every broken rule.

``verify(problem, plan)`` never trusts a solver's figures. It reads the job and technician
data, the one travel matrix (``problem.travel_matrix``) and the *decisions* of the plan (who
visits which job, in which order, when service starts, which breaks are taken, when the route
departs) and recomputes everything else: service ends, travel, distances, lateness, earliest
arrivals and returns. The qualification rules come from :mod:`dispatchopt.rules` (stated once);
the checking logic here is deliberately separate from :mod:`dispatchopt.timing.schedule`, the code that
builds routes for the solvers.

Each rule has one check, named by :attr:`Violation.rule` (see :data:`RULES`):

unknown_technician, duplicate_route
    a route for a technician the problem does not know; two routes for the same technician.
unknown_job
    a visit or an unassigned entry naming a job the problem does not know.
duplicate_visit
    a job twice in one route, or a crew_size-1 job in the routes of two technicians.
missing_job
    a job neither planned nor unassigned, planned and unassigned, listed twice as unassigned,
    or unassigned without a reason.
not_dispatchable
    a job with ``dispatchable: false`` is planned.
skill, certificate, trainee_alone
    the crew cannot do the job: a member lacks a skill or its level (skill), holds the skill but
    not a valid certificate for it (certificate), or a trainee works a crew_size-1 job or a crew
    has no non-trainee able to lead (trainee_alone).
crew_size, crew_start
    a crew job is not served by exactly crew_size distinct technicians; its members' starts differ.
pinning
    a planned job's crew misses one of its pinned technicians.
received, window, horizon
    a visit starts before the job was received; outside its appointment window; after the
    horizon end.
shift
    departure before the first shift start; service or the travel of a leg that cannot be
    placed inside the shifts (the last extended by ``max_overtime_s``); return after the last
    shift end + ``max_overtime_s``.
travel_time
    a visit starts (or is reported to arrive) before the previous end (or the departure) plus the
    travel; the return arrival is before the last end plus the travel.
break
    an owed break is missing; a listed break starts outside its rule's [earliest, latest], has
    the wrong length, overlaps a service or another break, contains the departure, or leaves too
    little time in its gap for the travel (travel pauses during a break; a break may be taken at
    the depot before leaving or on site while waiting).
overlap
    two visits of one technician overlap in time.
max_jobs, max_work_minutes, capacity
    technician limits (work = travel incl. the return + service).
figures
    reported numbers disagree with the recomputed ones: arrival after start or before it is
    possible, end != start + duration, travel (60 s), distance (1 % or 10 m), lateness (60 s),
    a missing or stray return leg.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .. import rules
from ..domain import BreakRule, Job, Location, Problem, Technician
from ..plan import Plan, Route, Visit

TRAVEL_TOLERANCE_S = 60
LATE_TOLERANCE_S = 60
DISTANCE_TOLERANCE_REL = 0.01
DISTANCE_TOLERANCE_M = 10.0

RULES: tuple[str, ...] = (
    "unknown_technician", "duplicate_route", "unknown_job", "duplicate_visit", "missing_job",
    "not_dispatchable", "skill", "certificate", "trainee_alone", "crew_size", "crew_start",
    "pinning", "received", "window", "horizon", "shift", "travel_time", "break", "overlap",
    "max_jobs", "max_work_minutes", "capacity", "figures",
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` is one of :data:`RULES`; ``message`` names ids, values and
    local times."""

    rule: str
    message: str
    technician: str | None = None
    job: str | None = None

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


# -- interval arithmetic ----------------------------------------------------------------------
Interval = tuple[int, int]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for alo, ahi in a:
        for blo, bhi in b:
            lo, hi = max(alo, blo), min(ahi, bhi)
            if hi > lo:
                out.append((lo, hi))
    return _merge(out)


def _measure(intervals: Iterable[Interval]) -> int:
    return sum(hi - lo for lo, hi in intervals)


def _covered(lo: int, hi: int, merged: list[Interval]) -> bool:
    """Is [lo, hi] inside one interval of a merged list?"""
    return any(a <= lo and hi <= b for a, b in merged)


def earliest_arrival_s(lo: int, travel_s: int, breaks: Iterable[Interval]) -> int:
    """Earliest arrival when leaving at ``lo`` for ``travel_s`` of driving that pauses during the
    breaks starting at or after ``lo``."""
    t, remaining = lo, travel_s
    for b_start, b_end in sorted(breaks):
        if b_start < lo:
            continue  # started before leaving: overlaps a service or the departure (check break)
        if b_end <= t:
            continue
        if b_start >= t + remaining:
            break
        remaining -= max(0, b_start - t)
        t = max(t, b_end)
    return t + remaining


# -- the re-timed route ---------------------------------------------------------------------
@dataclass(frozen=True)
class Leg:
    """A recomputed trip: from ``lo`` (departure or the previous service end) to the next visit
    (``visit`` its index) or, with ``visit`` None, home."""

    visit: int | None
    lo: int
    travel_s: int
    distance_m: float
    earliest_s: int          # earliest arrival with the breaks as listed


@dataclass(frozen=True)
class TimedRoute:
    """A route of a known technician re-timed from the problem (visits of unknown jobs dropped)."""

    route: Route
    tech: Technician
    visits: tuple[tuple[Visit, Job], ...]
    departure_s: int                      # the route's departure, or the first shift start
    breaks: tuple[Interval, ...]          # sorted
    legs: tuple[Leg, ...] = field(default=())   # one per visit, then the return (if any visit)

    @property
    def return_leg(self) -> Leg | None:
        return self.legs[-1] if self.visits else None

    @property
    def last_end_s(self) -> int | None:
        if not self.visits:
            return None
        visit, job = self.visits[-1]
        return visit.start_s + job.duration_s

    @property
    def return_arrival_s(self) -> int | None:
        """The reported return arrival, but never earlier than physically possible."""
        leg = self.return_leg
        if leg is None:
            return None
        reported = self.route.ret.arrival_s if self.route.ret is not None else leg.earliest_s
        return max(reported, leg.earliest_s)

    @property
    def travel_s(self) -> int:
        return sum(leg.travel_s for leg in self.legs)

    @property
    def distance_m(self) -> float:
        return sum(leg.distance_m for leg in self.legs)

    @property
    def service_s(self) -> int:
        return sum(job.duration_s for _, job in self.visits)


def time_route(problem: Problem, route: Route) -> TimedRoute | None:
    """Re-time ``route`` from the problem alone (None when its technician is unknown)."""
    if not problem.has_technician(route.technician):
        return None
    tech = problem.technician(route.technician)
    matrix = problem.travel_matrix
    visits = tuple((v, problem.job(v.job)) for v in route.visits if problem.has_job(v.job))
    breaks = tuple(sorted((b.start_s, b.end_s) for b in route.breaks))
    departure = route.departure_s if route.departure_s is not None else tech.shift_start_s
    legs: list[Leg] = []
    prev_loc: Location = tech.start
    lo = departure
    for i, (visit, job) in enumerate(visits):
        travel = matrix.travel_s(prev_loc, job.location)
        legs.append(Leg(i, lo, travel, matrix.distance_m(prev_loc, job.location),
                        earliest_arrival_s(lo, travel, breaks)))
        prev_loc, lo = job.location, visit.start_s + job.duration_s
    if visits:
        travel = matrix.travel_s(prev_loc, tech.end)
        legs.append(Leg(None, lo, travel, matrix.distance_m(prev_loc, tech.end),
                        earliest_arrival_s(lo, travel, breaks)))
    return TimedRoute(route=route, tech=tech, visits=visits, departure_s=departure,
                      breaks=breaks, legs=tuple(legs))


# -- the checks -----------------------------------------------------------------------------
@dataclass
class _Context:
    problem: Problem
    plan: Plan
    timed: list[TimedRoute]
    crews: dict[str, list[tuple[Technician, Visit]]]   # known job -> (tech, visit) over known routes

    def t(self, seconds: float) -> str:
        return self.problem.clock.to_iso(seconds)


def _min(seconds: float) -> str:
    return f"{round(seconds / 60, 2):g} min"


def _needs(job: Job) -> str:
    return ", ".join(f"{skill} {level}" for skill, level in sorted(job.skills.items())) or "no skill"


def _check_unknown_technician(ctx: _Context) -> Iterator[Violation]:
    for route in ctx.plan.routes:
        if not ctx.problem.has_technician(route.technician):
            yield Violation("unknown_technician",
                            f"route for unknown technician {route.technician!r} "
                            f"({len(route.visits)} visits)", technician=route.technician)


def _check_duplicate_route(ctx: _Context) -> Iterator[Violation]:
    counts = Counter(route.technician for route in ctx.plan.routes)
    for tech_id, n in counts.items():
        if n > 1:
            yield Violation("duplicate_route", f"technician {tech_id} has {n} routes (expected one)",
                            technician=tech_id)


def _check_unknown_job(ctx: _Context) -> Iterator[Violation]:
    for route in ctx.plan.routes:
        for visit in route.visits:
            if not ctx.problem.has_job(visit.job):
                yield Violation("unknown_job", f"technician {route.technician} visits unknown job "
                                f"{visit.job!r} at {ctx.t(visit.start_s)}",
                                technician=route.technician, job=visit.job)
    for item in ctx.plan.unassigned:
        if not ctx.problem.has_job(item.job):
            yield Violation("unknown_job", f"unassigned list names unknown job {item.job!r}", job=item.job)


def _check_duplicate_visit(ctx: _Context) -> Iterator[Violation]:
    for route in ctx.plan.routes:
        for job_id, n in Counter(route.job_ids).items():
            if n > 1:
                yield Violation("duplicate_visit", f"job {job_id} is visited {n} times in the route "
                                f"of technician {route.technician}", technician=route.technician, job=job_id)
    techs_of: dict[str, list[str]] = defaultdict(list)
    for route in ctx.plan.routes:
        for job_id in dict.fromkeys(route.job_ids):
            techs_of[job_id].append(route.technician)
    for job_id, techs in techs_of.items():
        if ctx.problem.has_job(job_id) and ctx.problem.job(job_id).crew_size == 1 and len(techs) > 1:
            yield Violation("duplicate_visit", f"solo job {job_id} (crew_size 1) is in the routes of "
                            f"{len(techs)} technicians: {', '.join(techs)}", job=job_id)


def _check_missing_job(ctx: _Context) -> Iterator[Violation]:
    planned = ctx.plan.assigned_job_ids()
    listed = Counter(item.job for item in ctx.plan.unassigned)
    for job in ctx.problem.jobs:
        if job.id not in planned and job.id not in listed:
            yield Violation("missing_job", f"job {job.id} is neither planned nor listed as unassigned",
                            job=job.id)
        elif job.id in planned and job.id in listed:
            yield Violation("missing_job", f"job {job.id} is both planned and listed as unassigned",
                            job=job.id)
        if listed.get(job.id, 0) > 1:
            yield Violation("missing_job", f"job {job.id} is listed {listed[job.id]} times as unassigned",
                            job=job.id)
    for item in ctx.plan.unassigned:
        if ctx.problem.has_job(item.job) and not item.reason.strip():
            yield Violation("missing_job", f"unassigned job {item.job} has no reason", job=item.job)


def _check_not_dispatchable(ctx: _Context) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        if not ctx.problem.job(job_id).dispatchable:
            techs = ", ".join(tech.id for tech, _ in crew)
            yield Violation("not_dispatchable", f"job {job_id} is not dispatchable but is planned "
                            f"(technician {techs})", technician=crew[0][0].id, job=job_id)


def _members(crew: list[tuple[Technician, Visit]]) -> list[Technician]:
    return list({tech.id: tech for tech, _ in crew}.values())


def _lacking(problem: Problem, tech: Technician, job: Job, *, assist: bool) -> tuple[list[str], list[str]]:
    """(skills below the level needed, skills held at that level without a valid certificate),
    worded for a dispatcher; the rule itself is rules.qualification_gaps."""
    short, uncertified = rules.qualification_gaps(problem, tech, job, assist=assist)
    short_text = [f"{skill} level {have} < {need}" for skill, have, need in short]
    cert_text = []
    for skill in uncertified:
        expiry = tech.certificates.get(skill)
        cert_text.append(f"{skill} certificate expired {expiry.isoformat()}" if expiry
                         else f"{skill} needs a certificate and none is listed")
    return short_text, cert_text


def _unqualified(ctx: _Context) -> Iterator[tuple[str, str, Technician, Job]]:
    """(rule, detail, tech, job) for every crew member who may not do its job, rule skill or
    certificate (trainee_alone is its own check)."""
    problem = ctx.problem
    for job_id, crew in ctx.crews.items():
        job = problem.job(job_id)
        for tech in _members(crew):
            ok = (rules.can_lead(problem, tech, job) if job.crew_size < 2
                  else rules.can_lead(problem, tech, job) or rules.can_assist(problem, tech, job))
            if ok:
                continue
            short, uncertified = _lacking(problem, tech, job, assist=job.crew_size >= 2)
            if short:
                yield "skill", "; ".join(short), tech, job
            if uncertified:
                yield "certificate", "; ".join(uncertified), tech, job
            if not short and not uncertified and not tech.trainee:
                # rules.py said no but no part of the rule explains it: report it, never pass it.
                yield "skill", "not qualified by rules.can_lead", tech, job


def _check_skill(ctx: _Context) -> Iterator[Violation]:
    for rule, detail, tech, job in _unqualified(ctx):
        if rule == "skill":
            yield Violation("skill", f"technician {tech.id} is not qualified for job {job.id} "
                            f"(needs {_needs(job)}): {detail}", technician=tech.id, job=job.id)


def _check_certificate(ctx: _Context) -> Iterator[Violation]:
    day = ctx.problem.clock.plan_day.isoformat()
    for rule, detail, tech, job in _unqualified(ctx):
        if rule == "certificate":
            yield Violation("certificate", f"technician {tech.id} has no valid certificate for job "
                            f"{job.id} on {day}: {detail}", technician=tech.id, job=job.id)


def _check_trainee_alone(ctx: _Context) -> Iterator[Violation]:
    problem = ctx.problem
    for job_id, crew in ctx.crews.items():
        job = problem.job(job_id)
        members = _members(crew)
        if job.crew_size < 2:
            for tech in members:
                if tech.trainee:
                    yield Violation("trainee_alone", f"trainee {tech.id} works solo job {job.id} "
                                    f"(crew_size 1) at {ctx.t(crew[0][1].start_s)}",
                                    technician=tech.id, job=job.id)
        elif not any(rules.can_lead(problem, tech, job) for tech in members) \
                and all(tech.trainee for tech in members):
            yield Violation("trainee_alone", f"crew of job {job.id} ({', '.join(t.id for t in members)}) "
                            f"has only trainees, no one to lead", technician=members[0].id, job=job.id)


def _check_crew_size(ctx: _Context) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        job = ctx.problem.job(job_id)
        members = _members(crew)
        if job.crew_size > 1 and len(members) != job.crew_size:
            yield Violation("crew_size", f"crew job {job_id} needs {job.crew_size} distinct technicians, "
                            f"planned with {len(members)}: {', '.join(t.id for t in members)}", job=job_id)


def _check_crew_start(ctx: _Context) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        starts = {visit.start_s for _, visit in crew}
        if ctx.problem.job(job_id).crew_size > 1 and len(starts) > 1:
            detail = ", ".join(f"{tech.id} {ctx.t(visit.start_s)}" for tech, visit in crew)
            yield Violation("crew_start", f"crew of job {job_id} does not start together: {detail}",
                            job=job_id)


def _check_pinning(ctx: _Context) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        job = ctx.problem.job(job_id)
        techs = [tech.id for tech, _ in crew]
        if not rules.pinned_ok(job, techs):
            missing = [pin for pin in job.pinned_to if pin not in techs]
            yield Violation("pinning", f"job {job_id} is pinned to {', '.join(job.pinned_to)} but served by "
                            f"{', '.join(techs)} (missing {', '.join(missing)})",
                            technician=missing[0], job=job_id)


def _visits(ctx: _Context) -> Iterator[tuple[TimedRoute, Visit, Job]]:
    for timed in ctx.timed:
        for visit, job in timed.visits:
            yield timed, visit, job


def _check_received(ctx: _Context) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if visit.start_s < job.received_s:
            yield Violation("received", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, before it was received at {ctx.t(job.received_s)}",
                            technician=timed.tech.id, job=job.id)


def _check_window(ctx: _Context) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if job.window is None:
            continue
        latest = rules.latest_start_s(job)
        if visit.start_s < job.window.start_s or (latest is not None and visit.start_s > latest):
            yield Violation("window", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, outside its window {ctx.t(job.window.start_s)}"
                            f"-{ctx.t(job.window.end_s)}", technician=timed.tech.id, job=job.id)


def _check_horizon(ctx: _Context) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if visit.start_s > ctx.problem.end_s:
            yield Violation("horizon", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, after the horizon end {ctx.t(ctx.problem.end_s)}",
                            technician=timed.tech.id, job=job.id)


def _working_time(tech: Technician) -> list[Interval]:
    """The shifts' union, the last shift extended by ``max_overtime_s``."""
    spans = [(s.start_s, s.end_s) for s in tech.shifts]
    spans[-1] = (spans[-1][0], spans[-1][1] + tech.max_overtime_s)
    return _merge(spans)


def _leg_target(timed: TimedRoute, leg: Leg) -> int | None:
    """When the leg must be done: the next service start, or the return arrival."""
    if leg.visit is not None:
        return timed.visits[leg.visit][0].start_s
    return timed.return_arrival_s


def _check_shift(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        tech = timed.tech
        working = _working_time(tech)
        shifts = ", ".join(f"{ctx.t(s.start_s)}-{ctx.t(s.end_s)}" for s in tech.shifts)
        if timed.route.departure_s is not None and timed.route.departure_s < tech.shift_start_s:
            yield Violation("shift", f"technician {tech.id} departs at {ctx.t(timed.route.departure_s)}, "
                            f"before the shift starts at {ctx.t(tech.shift_start_s)}", technician=tech.id)
        for visit, job in timed.visits:
            end = visit.start_s + job.duration_s
            if not _covered(visit.start_s, end, working):
                yield Violation("shift", f"technician {tech.id} serves job {job.id} "
                                f"{ctx.t(visit.start_s)}-{ctx.t(end)} outside the shifts ({shifts}"
                                f", overtime {_min(tech.max_overtime_s)})", technician=tech.id, job=job.id)
        ret = timed.return_arrival_s
        limit = tech.shift_end_s + tech.max_overtime_s
        for leg in timed.legs:
            hi = _leg_target(timed, leg)
            if hi is None or hi < leg.earliest_s:
                continue  # travel_time / break report a leg that does not fit at all
            if leg.visit is None and hi > limit:
                continue  # a late return, reported below
            window = _intersect([(leg.lo, hi)], working)
            resting = _merge(b for b in timed.breaks if b[0] >= leg.lo)   # as earliest_arrival_s
            free = _measure(window) - _measure(_intersect(window, resting))
            if free < leg.travel_s:
                where = f"to job {timed.visits[leg.visit][1].id}" if leg.visit is not None else "home"
                job_id = timed.visits[leg.visit][1].id if leg.visit is not None else None
                yield Violation("shift", f"technician {tech.id}: the {_min(leg.travel_s)} trip {where} "
                                f"between {ctx.t(leg.lo)} and {ctx.t(hi)} has only {_min(free)} inside "
                                f"the shifts ({shifts})", technician=tech.id, job=job_id)
        if ret is not None and ret > limit:
            yield Violation("shift", f"technician {tech.id} returns at {ctx.t(ret)}, after the last shift "
                            f"end {ctx.t(tech.shift_end_s)} + overtime {_min(tech.max_overtime_s)}",
                            technician=tech.id)


def _check_travel_time(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        tech = timed.tech
        for leg in timed.legs:
            if leg.visit is None:
                ret = timed.route.ret
                if ret is not None and ret.arrival_s < leg.lo + leg.travel_s:
                    yield Violation("travel_time", f"technician {tech.id} is reported home at "
                                    f"{ctx.t(ret.arrival_s)}, but the last service ends {ctx.t(leg.lo)} "
                                    f"and the trip home takes {_min(leg.travel_s)}", technician=tech.id)
                continue
            visit, job = timed.visits[leg.visit]
            first = leg.visit == 0
            since = f"departure at {ctx.t(leg.lo)}" if first else \
                f"end of job {timed.visits[leg.visit - 1][1].id} at {ctx.t(leg.lo)}"
            if not first and visit.start_s < leg.lo:
                prev_visit, _ = timed.visits[leg.visit - 1]
                if visit.start_s + job.duration_s > prev_visit.start_s:
                    continue  # the services overlap: reported by check overlap
                yield Violation("travel_time", f"technician {tech.id} starts job {job.id} at "
                                f"{ctx.t(visit.start_s)}, before the {since} that precedes it in the "
                                f"route (visits out of order)", technician=tech.id, job=job.id)
            elif visit.start_s < leg.lo + leg.travel_s:
                yield Violation("travel_time", f"technician {tech.id} starts job {job.id} at "
                                f"{ctx.t(visit.start_s)}, but it is {_min(leg.travel_s)} away from the "
                                f"{since}", technician=tech.id, job=job.id)
            elif visit.arrival_s < leg.lo + leg.travel_s:
                yield Violation("travel_time", f"technician {tech.id} is reported at job {job.id} at "
                                f"{ctx.t(visit.arrival_s)}, but it is {_min(leg.travel_s)} away from the "
                                f"{since}", technician=tech.id, job=job.id)


def _match_breaks(rule_list: list[BreakRule], owed: list[bool], taken: list[Interval]) -> dict[int, int]:
    """Taken break index -> rule index, a maximum matching of compatible pairs, owed rules first."""
    def fits(r: BreakRule, b: Interval) -> bool:
        return r.earliest_s <= b[0] <= r.latest_s and b[1] - b[0] == r.duration_s

    match_of_break: dict[int, int] = {}

    def augment(r_i: int, seen: set[int]) -> bool:
        for b_i, b in enumerate(taken):
            if b_i in seen or not fits(rule_list[r_i], b):
                continue
            seen.add(b_i)
            if b_i not in match_of_break or augment(match_of_break[b_i], seen):
                match_of_break[b_i] = r_i
                return True
        return False

    order = [i for i in range(len(rule_list)) if owed[i]] + [i for i in range(len(rule_list)) if not owed[i]]
    for r_i in order:
        augment(r_i, set())
    return match_of_break


def _describe_rule(ctx: _Context, r: BreakRule) -> str:
    return f"start {ctx.t(r.earliest_s)}-{ctx.t(r.latest_s)}, {_min(r.duration_s)}"


def _check_break(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        tech = timed.tech
        taken = list(timed.breaks)
        rule_list = list(tech.breaks)
        last_end = timed.last_end_s
        owed = [rules.break_owed(r, last_end) for r in rule_list]
        matched = _match_breaks(rule_list, owed, taken)
        for b_i, (b_start, b_end) in enumerate(taken):
            label = f"break {ctx.t(b_start)}-{ctx.t(b_end)}"
            if b_end <= b_start:
                yield Violation("break", f"technician {tech.id}: {label} has no positive length",
                                technician=tech.id)
                continue
            if b_i not in matched:
                if not rule_list:
                    why = "the technician has no break rule"
                else:
                    problems = []
                    for r in rule_list:
                        bits = []
                        if not r.earliest_s <= b_start <= r.latest_s:
                            bits.append("starts outside the allowed start times")
                        if b_end - b_start != r.duration_s:
                            bits.append(f"lasts {_min(b_end - b_start)}")
                        problems.append(f"rule ({_describe_rule(ctx, r)}): "
                                        f"{' and '.join(bits) or 'already taken by another break'}")
                    why = "; ".join(problems)
                yield Violation("break", f"technician {tech.id}: {label} matches no break rule: {why}",
                                technician=tech.id)
            for visit, job in timed.visits:
                end = visit.start_s + job.duration_s
                if b_start < end and visit.start_s < b_end:
                    yield Violation("break", f"technician {tech.id}: {label} overlaps the service of job "
                                    f"{job.id} {ctx.t(visit.start_s)}-{ctx.t(end)}",
                                    technician=tech.id, job=job.id)
            if timed.route.departure_s is not None and timed.visits and b_start < timed.departure_s < b_end:
                yield Violation("break", f"technician {tech.id} departs at {ctx.t(timed.departure_s)} "
                                f"during the {label}", technician=tech.id)
            for o_start, o_end in taken[b_i + 1:]:
                if b_start < o_end and o_start < b_end:
                    yield Violation("break", f"technician {tech.id}: {label} overlaps break "
                                    f"{ctx.t(o_start)}-{ctx.t(o_end)}", technician=tech.id)
        used = set(matched.values())
        for r_i, rule in enumerate(rule_list):
            if owed[r_i] and r_i not in used:
                yield Violation("break", f"technician {tech.id}: owed break ({_describe_rule(ctx, rule)}) "
                                f"is missing; the last service ends {ctx.t(last_end)}", technician=tech.id)
        # a break in a gap must leave room for that gap's travel
        for leg in timed.legs:
            hi = _leg_target(timed, leg) if leg.visit is not None else \
                (timed.route.ret.arrival_s if timed.route.ret is not None else None)
            if hi is None or hi < leg.lo + leg.travel_s or hi >= leg.earliest_s:
                continue  # fits, or too short even without breaks (travel_time)
            where = f"job {timed.visits[leg.visit][1].id} at {ctx.t(hi)}" if leg.visit is not None \
                else f"home at {ctx.t(hi)}"
            job_id = timed.visits[leg.visit][1].id if leg.visit is not None else None
            yield Violation("break", f"technician {tech.id}: with the breaks taken between {ctx.t(leg.lo)} "
                            f"and {where}, the {_min(leg.travel_s)} trip cannot arrive before "
                            f"{ctx.t(leg.earliest_s)}", technician=tech.id, job=job_id)


def _check_overlap(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        spans = sorted((visit.start_s, visit.start_s + job.duration_s, job.id) for visit, job in timed.visits)
        for i, (s1, e1, j1) in enumerate(spans):
            for s2, e2, j2 in spans[i + 1:]:
                if s2 >= e1:
                    break
                if j1 == j2:
                    continue  # a duplicate visit, reported as such
                yield Violation("overlap", f"technician {timed.tech.id}: job {j1} {ctx.t(s1)}-{ctx.t(e1)} "
                                f"overlaps job {j2} {ctx.t(s2)}-{ctx.t(e2)}", technician=timed.tech.id, job=j2)


def _check_max_jobs(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        limit = timed.tech.max_jobs
        n = len(timed.route.visits)
        if limit is not None and n > limit:
            yield Violation("max_jobs", f"technician {timed.tech.id} has {n} visits, more than max_jobs "
                            f"{limit}", technician=timed.tech.id)


def _check_max_work_minutes(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        limit = timed.tech.max_work_s
        work = timed.travel_s + timed.service_s
        if limit is not None and work > limit:
            yield Violation("max_work_minutes", f"technician {timed.tech.id} works {_min(work)} "
                            f"(travel {_min(timed.travel_s)} + service {_min(timed.service_s)}), more "
                            f"than max_work_minutes {limit / 60:g}", technician=timed.tech.id)


def _check_capacity(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        capacity = timed.tech.capacity
        load = sum(job.demand for _, job in timed.visits)
        if capacity > 0 and load > capacity:
            yield Violation("capacity", f"technician {timed.tech.id} carries demand {load}, more than "
                            f"capacity {capacity}", technician=timed.tech.id)


def _distance_off(reported: float, recomputed: float) -> bool:
    return abs(reported - recomputed) > max(DISTANCE_TOLERANCE_REL * recomputed, DISTANCE_TOLERANCE_M)


def _check_figures(ctx: _Context) -> Iterator[Violation]:
    for timed in ctx.timed:
        tech = timed.tech
        for leg in timed.legs:
            if leg.visit is None:
                continue
            visit, job = timed.visits[leg.visit]
            bad = []
            end = visit.start_s + job.duration_s
            if visit.arrival_s > visit.start_s:
                bad.append(f"arrival {ctx.t(visit.arrival_s)} after start {ctx.t(visit.start_s)}")
            elif leg.lo + leg.travel_s <= visit.arrival_s < leg.earliest_s <= visit.start_s:
                bad.append(f"arrival {ctx.t(visit.arrival_s)} before {ctx.t(leg.earliest_s)}, the earliest "
                           f"possible with the breaks taken")
            if visit.end_s != end:
                bad.append(f"end {ctx.t(visit.end_s)} != start + {_min(job.duration_s)} = {ctx.t(end)}")
            if abs(visit.travel_s - leg.travel_s) > TRAVEL_TOLERANCE_S:
                bad.append(f"travel {_min(visit.travel_s)} != {_min(leg.travel_s)}")
            if _distance_off(visit.distance_m, leg.distance_m):
                bad.append(f"distance {visit.distance_m / 1000:.3f} km != {leg.distance_m / 1000:.3f} km")
            late = rules.late_s(job, visit.start_s)
            if abs(visit.late_s - late) > LATE_TOLERANCE_S:
                bad.append(f"late {_min(visit.late_s)} != {_min(late)}")
            if bad:
                yield Violation("figures", f"technician {tech.id}, job {job.id}: " + "; ".join(bad),
                                technician=tech.id, job=job.id)
        ret = timed.route.ret
        leg = timed.return_leg
        if leg is None:
            if ret is not None and not timed.route.visits:
                yield Violation("figures", f"technician {tech.id}: a return leg on a route without visits",
                                technician=tech.id)
            continue
        if ret is None:
            yield Violation("figures", f"technician {tech.id}: the route has visits but no return leg",
                            technician=tech.id)
            continue
        bad = []
        if abs(ret.travel_s - leg.travel_s) > TRAVEL_TOLERANCE_S:
            bad.append(f"travel {_min(ret.travel_s)} != {_min(leg.travel_s)}")
        if _distance_off(ret.distance_m, leg.distance_m):
            bad.append(f"distance {ret.distance_m / 1000:.3f} km != {leg.distance_m / 1000:.3f} km")
        if bad:
            yield Violation("figures", f"technician {tech.id}, return: " + "; ".join(bad), technician=tech.id)


_CHECKS = (
    _check_unknown_technician, _check_duplicate_route, _check_unknown_job, _check_duplicate_visit,
    _check_missing_job, _check_not_dispatchable, _check_skill, _check_certificate, _check_trainee_alone,
    _check_crew_size, _check_crew_start, _check_pinning, _check_received, _check_window, _check_horizon,
    _check_shift, _check_travel_time, _check_break, _check_overlap, _check_max_jobs,
    _check_max_work_minutes, _check_capacity, _check_figures,
)


def verify(problem: Problem, plan: Plan) -> list[Violation]:
    """Every hard-rule and figure violation of ``plan`` against ``problem`` ([] = a valid plan).

    Recomputes from the problem and its travel matrix; the plan's decisions (assignment, order,
    service starts, breaks, departure) are checked, its reported figures are compared.
    """
    timed = [t for t in (time_route(problem, route) for route in plan.routes) if t is not None]
    crews: dict[str, list[tuple[Technician, Visit]]] = defaultdict(list)
    for t in timed:
        for visit, job in t.visits:
            crews[job.id].append((t.tech, visit))
    ctx = _Context(problem=problem, plan=plan, timed=timed, crews=dict(crews))
    violations: list[Violation] = []
    for check in _CHECKS:
        violations.extend(check(ctx))
    return violations


def format_violations(violations: list[Violation]) -> str:
    """One line per violation, for logs and the CLI."""
    return "\n".join(str(v) for v in violations)
