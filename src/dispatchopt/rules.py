"""The hard rules and the SLA arithmetic, in one place.

The solvers (routing, greedy, live insertion) and the verifier all read these functions, so a
rule is stated once. Everything here is pure: Problem/Job/Technician in, plain values out.
"""

from __future__ import annotations

import datetime as dt

from .domain import BreakRule, Clock, Job, Problem, SlaLevel, Technician
from .domain.problem import derived
from .domain.time import DAY
from .travel import matrix_of

ELIGIBILITY_KEY = "eligibility"
"""The key of the eligibility table in the problem's derived-data cache."""


# -- working time and due times ----------------------------------------------------------------
def shift_end_with_overtime_s(tech: Technician) -> int:
    """The latest second the technician may work or be back: the last shift's end plus the
    overtime allowance (``max_overtime_s``; a negative allowance counts as none)."""
    return tech.shifts[-1].end_s + max(0, tech.max_overtime_s)


def working_days_later_s(clock: Clock, t_s: int, days: int) -> int:
    """The same local clock time ``days`` working days (Monday-Friday) after second ``t_s``."""
    local = clock.to_datetime(t_s)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return clock.to_seconds(dt.datetime.combine(day, local.time()))


def sla_due_s(clock: Clock, received_s: int, level: SlaLevel) -> int:
    """The default SLA deadline of a job received at ``received_s``: ``working_days`` working
    days later at the same clock time when the level sets them, else ``respond_minutes`` later."""
    if level.working_days is not None:
        return working_days_later_s(clock, received_s, level.working_days)
    return received_s + int(round(level.respond_minutes * 60))


def work_day(problem: Problem, tech: Technician) -> dt.date:
    """The day a technician's certificates are judged on: its own ``day`` (a day copy of a
    multi-day horizon), else the plan day."""
    return tech.day if tech.day is not None else problem.clock.plan_day


def is_multi_day(problem: Problem) -> bool:
    """A multi-day problem: a horizon longer than one day, or day copies (docs/multiday.md)."""
    return problem.end_s > DAY or any(tech.day is not None for tech in problem.technicians)


def tech_day(problem: Problem, tech: Technician) -> dt.date:
    """The local date a technician works: its ``day``, else the date of its first shift start."""
    return tech.day if tech.day is not None else problem.clock.to_datetime(tech.shift_start_s).date()


def certificate_valid(problem: Problem, tech: Technician, skill: str) -> bool:
    """A listed certificate must not have expired before the technician's work day (the plan
    day, or a day copy's own day); a trade in ``problem.certificate_required`` needs a listed one."""
    expiry = tech.certificates.get(skill)
    if expiry is None:
        return skill not in problem.certificate_required
    return expiry >= work_day(problem, tech)


def follow_up_allows(tech: Technician, job: Job) -> bool:
    """A follow-up with ``same_technician: require`` goes only to that person (any day copy)."""
    return job.follow_up is None or job.follow_up.mode != "require" or tech.person_id == job.follow_up.person


def qualification_gaps(problem: Problem, tech: Technician, job: Job, *,
                       assist: bool = False) -> tuple[list[tuple[str, int, int]], list[str]]:
    """What keeps ``tech`` from ``job``: (skills short of the level needed as
    (skill, held, needed), skills held at that level without a valid certificate).

    The level needed is the job's minimum, except for a trainee assisting a crew (``assist``),
    who needs each skill at level 1: the level minimum is the lead's to meet.
    """
    short: list[tuple[str, int, int]] = []
    uncertified: list[str] = []
    for skill, level in sorted(job.skills.items()):
        need = 1 if (assist and tech.trainee) else level
        have = tech.skills.get(skill, 0)
        if have < need:
            short.append((skill, have, need))
        elif not certificate_valid(problem, tech, skill):
            uncertified.append(skill)
    return short, uncertified


def can_lead(problem: Problem, tech: Technician, job: Job) -> bool:
    """May ``tech`` do ``job`` alone, or lead its crew? Not a trainee; every skill at the
    minimum level with a valid certificate."""
    if tech.trainee or not follow_up_allows(tech, job):
        return False
    return qualification_gaps(problem, tech, job) == ([], [])


def can_assist(problem: Problem, tech: Technician, job: Job) -> bool:
    """May ``tech`` be a non-lead member of ``job``'s crew (crew_size > 1)?

    A qualified technician may; a trainee may when it holds every skill (any level) with a
    valid certificate: the level minimum is the lead's to meet, the trainee learns beside it.
    """
    if job.crew_size < 2 or not follow_up_allows(tech, job):
        return False
    return qualification_gaps(problem, tech, job, assist=True) == ([], [])


def eligibility(problem: Problem) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """job id -> (technicians who may lead it, technicians who may be a crew member), in
    problem order. Computed once per Problem (technicians with the same skills, certificates
    and trainee flag, and jobs with the same needs, share one evaluation). This is the only
    eligibility cache: it lives in the problem's derived data, so a replaced problem recomputes it."""
    return derived(problem, ELIGIBILITY_KEY, _eligibility_table)


def _eligibility_table(problem: Problem) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    required_persons = any(job.follow_up is not None and job.follow_up.mode == "require" for job in problem.jobs)
    profiles: dict[tuple, list[Technician]] = {}
    for tech in problem.technicians:
        key = (tuple(sorted(tech.skills.items())), tuple(sorted(tech.certificates.items())), tech.trainee,
               work_day(problem, tech) if tech.certificates else None,
               tech.person_id if required_persons else None)
        profiles.setdefault(key, []).append(tech)
    order = {tech.id: i for i, tech in enumerate(problem.technicians)}
    by_need: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for job in problem.jobs:
        need = (tuple(sorted(job.skills.items())), job.crew_size > 1,
                job.follow_up.person if job.follow_up is not None and job.follow_up.mode == "require" else None)
        if need not in by_need:
            leads, members = [], []
            for techs in profiles.values():
                lead = can_lead(problem, techs[0], job)
                member = lead or can_assist(problem, techs[0], job)
                leads += [t.id for t in techs] if lead else []
                members += [t.id for t in techs] if member else []
            by_need[need] = (tuple(sorted(leads, key=order.get)), tuple(sorted(members, key=order.get)))
        out[job.id] = by_need[need]
    return out


def pinned_ok(job: Job, tech_ids: list[str] | tuple[str, ...]) -> bool:
    """A pinned job is served by (a crew containing) every pinned technician."""
    return all(pin in tech_ids for pin in job.pinned_to)


def earliest_start_s(job: Job) -> int:
    """No visit starts before the job was received, nor before its window opens."""
    start = job.received_s
    if job.window is not None:
        start = max(start, job.window.start_s)
    return start


def earliest_send_s(problem: Problem, job: Job) -> int | None:
    """The earliest moment a technician may set off towards ``job``: its received time, unless
    ``problem.anticipate_jobs`` lets them drive there early and wait for it (None: no bound)."""
    return None if problem.anticipate_jobs else job.received_s


def latest_start_s(job: Job) -> int | None:
    """The window end (hard), or None when the job has no window."""
    return job.window.end_s if job.window is not None else None


def latest_start_in_horizon_s(problem: Problem, job: Job) -> int:
    """The latest start of service: the window end, and never past the horizon end."""
    latest = latest_start_s(job)
    return problem.end_s if latest is None else min(latest, problem.end_s)


def late_s(job: Job, start_s: int) -> int:
    """Seconds the start of service is past the SLA deadline (0 when on time)."""
    return max(0, start_s - job.due_s)


def on_time(job: Job, start_s: int | None) -> bool:
    """On time: served, started at or before ``due`` and, with a window, inside it."""
    if start_s is None:
        return False
    if start_s > job.due_s:
        return False
    if job.window is not None and not (job.window.start_s <= start_s <= job.window.end_s):
        return False
    return True


def break_owed(rule: BreakRule, last_visit_end_s: int | None) -> bool:
    """A break is owed when the technician's last visit ends after the break's latest start."""
    return last_visit_end_s is not None and last_visit_end_s > rule.latest_s


def qualified_leads(problem: Problem, job: Job) -> list[Technician]:
    if problem.has_job(job.id) and problem.job(job.id) is job:
        return [problem.technician(t) for t in eligibility(problem)[job.id][0]]
    return [tech for tech in problem.technicians if can_lead(problem, tech, job)]


def qualification_reason(problem: Problem, job: Job) -> str | None:
    """Why no crew can be formed for ``job`` from skills/certificates/pins alone, or None.

    The reason names the missing thing so that a dispatcher can act on it.
    """
    if not job.dispatchable:
        return "not dispatchable (e.g. awaiting prepayment or agreement)"
    if job.follow_up is not None and job.follow_up.mode == "require" and not any(
            follow_up_allows(t, job) for t in problem.technicians):
        return f"follow-up requires {job.follow_up.person}, who does not work in the horizon"
    for pin in job.pinned_to:
        if not problem.has_technician(pin):
            return f"pinned to unknown technician {pin}"
        tech = problem.technician(pin)
        if not (can_lead(problem, tech, job) or can_assist(problem, tech, job)):
            return f"pinned technician {pin} is not qualified for it"
    for skill, level in sorted(job.skills.items()):
        holders = [t for t in problem.technicians if not t.trainee and t.skills.get(skill, 0) >= 1]
        if not holders:
            return f"no technician has the {skill} skill"
        at_level = [t for t in holders if t.skills.get(skill, 0) >= level]
        if not at_level:
            return f"no technician has {skill} at level {level} or above"
        if not any(certificate_valid(problem, t, skill) for t in at_level):
            return f"no technician holds a valid {skill} certificate"
    leads = qualified_leads(problem, job)
    if not leads and job.follow_up is not None and job.follow_up.mode == "require":
        return f"follow-up requires {job.follow_up.person}, who is not qualified for it"
    if not leads:
        return "no single technician holds every skill the job needs"
    if job.crew_size > 1:
        if problem.has_job(job.id) and problem.job(job.id) is job:
            members = eligibility(problem)[job.id][1]
        else:
            members = [t for t in problem.technicians if can_lead(problem, t, job) or can_assist(problem, t, job)]
        if len(members) < job.crew_size:
            return f"needs a crew of {job.crew_size} but only {len(members)} technicians qualify"
    return None


def can_serve_alone_in_time(problem: Problem, tech: Technician, job: Job) -> bool:
    """Could ``tech`` serve ``job`` on an otherwise empty route (shift, window, return)?

    Ignores breaks and the other jobs: a necessary condition, used to explain unassigned jobs.
    """
    matrix = matrix_of(problem)
    go = matrix.travel_s(tech.start, job.location)
    back = matrix.travel_s(job.location, tech.end)
    latest = latest_start_in_horizon_s(problem, job)
    last_end = shift_end_with_overtime_s(tech)
    for shift in tech.shifts:
        start = max(shift.start_s + go, earliest_start_s(job))
        end_limit = shift.end_s if shift is not tech.shifts[-1] else last_end
        if latest is not None and start > latest:
            continue
        if start + job.duration_s + (back if shift is tech.shifts[-1] else 0) <= end_limit:
            return True
    return False


def static_unassigned_reason(problem: Problem, job: Job) -> str | None:
    """The reason a job cannot be planned whatever else is planned, or None.

    Checks qualification (skills, levels, certificates, crew, pins), then whether any qualified
    technician could reach it inside its window and shift on an otherwise empty day.
    """
    reason = qualification_reason(problem, job)
    if reason is not None:
        return reason
    candidates = [problem.technician(p) for p in job.pinned_to] or qualified_leads(problem, job)
    if not any(can_serve_alone_in_time(problem, tech, job) for tech in candidates):
        if job.window is not None:
            return "no qualified technician on shift inside the window"
        return "no qualified technician on shift can reach it and return before the shift ends"
    return None
