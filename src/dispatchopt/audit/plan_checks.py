"""The verifier's checks of who does what: identities, completeness, qualification, crews,
pinning, the visit's own time limits (received, window, horizon) and technician limits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from functools import cached_property

from ..domain import Job, Problem, Technician
from ..plan import Visit
from .retime import TimedRoute
from .violation import CheckContext, Violation, minutes_text


def _needs(job: Job) -> str:
    return ", ".join(f"{skill} {level}" for skill, level in sorted(job.skills.items())) or "no skill"


def _check_unknown_technician(ctx: CheckContext) -> Iterator[Violation]:
    for route in ctx.plan.routes:
        if not ctx.problem.has_technician(route.technician):
            yield Violation("unknown_technician",
                            f"route for unknown technician {route.technician!r} "
                            f"({len(route.visits)} visits)", technician=route.technician)


def _check_duplicate_route(ctx: CheckContext) -> Iterator[Violation]:
    counts = Counter(route.technician for route in ctx.plan.routes)
    for tech_id, n in counts.items():
        if n > 1:
            yield Violation("duplicate_route", f"technician {tech_id} has {n} routes (expected one)",
                            technician=tech_id)


def _check_unknown_job(ctx: CheckContext) -> Iterator[Violation]:
    for route in ctx.plan.routes:
        for visit in route.visits:
            if not ctx.problem.has_job(visit.job):
                yield Violation("unknown_job", f"technician {route.technician} visits unknown job "
                                f"{visit.job!r} at {ctx.t(visit.start_s)}",
                                technician=route.technician, job=visit.job)
    for item in ctx.plan.unassigned:
        if not ctx.problem.has_job(item.job):
            yield Violation("unknown_job", f"unassigned list names unknown job {item.job!r}", job=item.job)


def _check_duplicate_visit(ctx: CheckContext) -> Iterator[Violation]:
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


def _check_missing_job(ctx: CheckContext) -> Iterator[Violation]:
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


def _check_not_dispatchable(ctx: CheckContext) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        if not ctx.problem.job(job_id).dispatchable:
            techs = ", ".join(tech.id for tech, _ in crew)
            yield Violation("not_dispatchable", f"job {job_id} is not dispatchable but is planned "
                            f"(technician {techs})", technician=crew[0][0].id, job=job_id)


def _members(crew: list[tuple[Technician, Visit]]) -> list[Technician]:
    return list({tech.id: tech for tech, _ in crew}.values())


class Qualification:
    """The verifier's own statement of who may do a job (kept apart from ``rules.py`` on
    purpose, so that a bug there cannot pass here; tests/audit check that both agree):

    * each skill the job needs, held at the job's level; a trainee in a crew (crew_size > 1)
      needs each skill at level 1 only (the level is the lead's to meet: a crew of trainees
      only has no lead, which trainee_alone reports);
    * a held skill needs a certificate valid on the technician's work day (its ``day``, else
      the plan day) when the technician lists one for it or the trade is in
      ``problem.certificate_required``;
    * a follow-up with ``same_technician: require`` is only for that person.

    A trainee alone on a solo job is trainee_alone's to report. Findings are cached per
    (technician, the job's needs): a city day has a few hundred of them for 425 visits.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.cache: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.needs: dict[str, tuple] = {}

    def gaps(self, tech: Technician, job: Job) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(skill texts, certificate texts) of what keeps ``tech`` from ``job``; ((), ()) = may."""
        needs = self.needs.get(job.id)
        if needs is None:
            follow = job.follow_up.person if job.follow_up is not None and job.follow_up.mode == "require" else None
            needs = self.needs[job.id] = (tuple(sorted(job.skills.items())), job.crew_size >= 2, follow)
        key = (tech.id, needs)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self.evaluate(tech, *needs)
        return hit

    def evaluate(self, tech: Technician, needs: tuple[tuple[str, int], ...], crew: bool,
                 follow: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        day = tech.day if tech.day is not None else self.problem.clock.plan_day
        short: list[str] = []
        uncertified: list[str] = []
        for skill, level in needs:
            need = 1 if (crew and tech.trainee) else level
            have = tech.skills.get(skill, 0)
            if have < need:
                short.append(f"{skill} level {have} < {need}")
                continue
            expiry = tech.certificates.get(skill)
            if expiry is None and skill in self.problem.certificate_required:
                uncertified.append(f"{skill} needs a certificate and none is listed")
            elif expiry is not None and expiry < day:
                uncertified.append(f"{skill} certificate expired {expiry.isoformat()}")
        person = tech.person if tech.person is not None else tech.id
        if follow is not None and person != follow:
            short.append(f"a follow-up of {follow}'s work (same_technician: require)")
        return tuple(short), tuple(uncertified)


class PlanContext(CheckContext):
    """A :class:`CheckContext` that computes once what several checks read: each planned job's
    distinct crew members and the qualification findings (skill and certificate both use them).
    ``verify`` builds one of these; a plain CheckContext works too (computed per check)."""

    @cached_property
    def members(self) -> dict[str, list[Technician]]:
        return {job_id: _members(crew) for job_id, crew in self.crews.items()}

    @cached_property
    def unqualified(self) -> list[tuple[str, str, Technician, Job]]:
        return list(_find_unqualified(self))


def _members_of(ctx: CheckContext, job_id: str) -> list[Technician]:
    if isinstance(ctx, PlanContext):
        return ctx.members[job_id]
    return _members(ctx.crews[job_id])


def _find_unqualified(ctx: CheckContext) -> Iterator[tuple[str, str, Technician, Job]]:
    problem = ctx.problem
    qualification = Qualification(problem)
    for job_id in ctx.crews:
        job = problem.job(job_id)
        for tech in _members_of(ctx, job_id):
            short, uncertified = qualification.gaps(tech, job)
            if short:
                yield "skill", "; ".join(short), tech, job
            if uncertified:
                yield "certificate", "; ".join(uncertified), tech, job


def _unqualified(ctx: CheckContext) -> list[tuple[str, str, Technician, Job]]:
    """(rule, detail, tech, job) for every crew member who may not do its job, rule skill or
    certificate (trainee_alone is its own check)."""
    if isinstance(ctx, PlanContext):
        return ctx.unqualified
    return list(_find_unqualified(ctx))


def _check_skill(ctx: CheckContext) -> Iterator[Violation]:
    for rule, detail, tech, job in _unqualified(ctx):
        if rule == "skill":
            yield Violation("skill", f"technician {tech.id} is not qualified for job {job.id} "
                            f"(needs {_needs(job)}): {detail}", technician=tech.id, job=job.id)


def _check_certificate(ctx: CheckContext) -> Iterator[Violation]:
    day = ctx.problem.clock.plan_day.isoformat()
    for rule, detail, tech, job in _unqualified(ctx):
        if rule == "certificate":
            yield Violation("certificate", f"technician {tech.id} has no valid certificate for job "
                            f"{job.id} on {day}: {detail}", technician=tech.id, job=job.id)


def _check_trainee_alone(ctx: CheckContext) -> Iterator[Violation]:
    problem = ctx.problem
    for job_id, crew in ctx.crews.items():
        job = problem.job(job_id)
        members = _members_of(ctx, job_id)
        if job.crew_size < 2:
            for tech in members:
                if tech.trainee:
                    yield Violation("trainee_alone", f"trainee {tech.id} works solo job {job.id} "
                                    f"(crew_size 1) at {ctx.t(crew[0][1].start_s)}",
                                    technician=tech.id, job=job.id)
        elif all(tech.trainee for tech in members):     # a trainee never leads
            yield Violation("trainee_alone", f"crew of job {job.id} ({', '.join(t.id for t in members)}) "
                            f"has only trainees, no one to lead", technician=members[0].id, job=job.id)


def _check_crew_size(ctx: CheckContext) -> Iterator[Violation]:
    for job_id in ctx.crews:
        job = ctx.problem.job(job_id)
        if job.crew_size < 2:
            continue
        members = _members_of(ctx, job_id)
        if len(members) != job.crew_size:
            yield Violation("crew_size", f"crew job {job_id} needs {job.crew_size} distinct technicians, "
                            f"planned with {len(members)}: {', '.join(t.id for t in members)}", job=job_id)


def _check_crew_start(ctx: CheckContext) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        starts = {visit.start_s for _, visit in crew}
        if ctx.problem.job(job_id).crew_size > 1 and len(starts) > 1:
            detail = ", ".join(f"{tech.id} {ctx.t(visit.start_s)}" for tech, visit in crew)
            yield Violation("crew_start", f"crew of job {job_id} does not start together: {detail}",
                            job=job_id)


def _check_pinning(ctx: CheckContext) -> Iterator[Violation]:
    for job_id, crew in ctx.crews.items():
        job = ctx.problem.job(job_id)
        techs = [tech.id for tech, _ in crew]
        if not all(pin in techs for pin in job.pinned_to):
            missing = [pin for pin in job.pinned_to if pin not in techs]
            yield Violation("pinning", f"job {job_id} is pinned to {', '.join(job.pinned_to)} but served by "
                            f"{', '.join(techs)} (missing {', '.join(missing)})",
                            technician=missing[0], job=job_id)


def _visits(ctx: CheckContext) -> Iterator[tuple[TimedRoute, Visit, Job]]:
    for timed in ctx.timed:
        for visit, job in timed.visits:
            yield timed, visit, job


def _check_received(ctx: CheckContext) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if visit.start_s < job.received_s:
            yield Violation("received", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, before it was received at {ctx.t(job.received_s)}",
                            technician=timed.tech.id, job=job.id)


def _check_window(ctx: CheckContext) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if job.window is None:
            continue
        if not job.window.start_s <= visit.start_s <= job.window.end_s:     # the window is hard
            yield Violation("window", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, outside its window {ctx.t(job.window.start_s)}"
                            f"-{ctx.t(job.window.end_s)}", technician=timed.tech.id, job=job.id)


def _check_horizon(ctx: CheckContext) -> Iterator[Violation]:
    for timed, visit, job in _visits(ctx):
        if visit.start_s > ctx.problem.end_s:
            yield Violation("horizon", f"technician {timed.tech.id} starts job {job.id} at "
                            f"{ctx.t(visit.start_s)}, after the horizon end {ctx.t(ctx.problem.end_s)}",
                            technician=timed.tech.id, job=job.id)


def _check_max_jobs(ctx: CheckContext) -> Iterator[Violation]:
    for timed in ctx.timed:
        limit = timed.tech.max_jobs
        n = len(timed.route.visits)
        if limit is not None and n > limit:
            yield Violation("max_jobs", f"technician {timed.tech.id} has {n} visits, more than max_jobs "
                            f"{limit}", technician=timed.tech.id)


def _check_max_work_minutes(ctx: CheckContext) -> Iterator[Violation]:
    for timed in ctx.timed:
        limit = timed.tech.max_work_s
        work = timed.travel_s + timed.service_s
        if limit is not None and work > limit:
            yield Violation("max_work_minutes", f"technician {timed.tech.id} works {minutes_text(work)} "
                            f"(travel {minutes_text(timed.travel_s)} + service {minutes_text(timed.service_s)}), more "
                            f"than max_work_minutes {limit / 60:g}", technician=timed.tech.id)


def _check_capacity(ctx: CheckContext) -> Iterator[Violation]:
    for timed in ctx.timed:
        capacity = timed.tech.capacity
        load = sum(job.demand for _, job in timed.visits)
        if capacity > 0 and load > capacity:
            yield Violation("capacity", f"technician {timed.tech.id} carries demand {load}, more than "
                            f"capacity {capacity}", technician=timed.tech.id)


CHECKS: dict[str, Callable[[CheckContext], Iterator[Violation]]] = {
    "unknown_technician": _check_unknown_technician, "duplicate_route": _check_duplicate_route,
    "unknown_job": _check_unknown_job, "duplicate_visit": _check_duplicate_visit,
    "missing_job": _check_missing_job, "not_dispatchable": _check_not_dispatchable,
    "skill": _check_skill, "certificate": _check_certificate, "trainee_alone": _check_trainee_alone,
    "crew_size": _check_crew_size, "crew_start": _check_crew_start, "pinning": _check_pinning,
    "received": _check_received, "window": _check_window, "horizon": _check_horizon,
    "max_jobs": _check_max_jobs, "max_work_minutes": _check_max_work_minutes,
    "capacity": _check_capacity,
}
"""Rule name -> its check (see :data:`dispatchopt.audit.verify.RULES`)."""
