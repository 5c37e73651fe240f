"""The independent verifier: re-times a plan from the Problem alone and lists every broken rule.

``verify(problem, plan)`` never trusts a solver's figures. It reads the job and technician
data, the one travel matrix (``matrix_of(problem)``) and the *decisions* of the plan (who
visits which job, in which order, when service starts, which breaks are taken, when the route
departs) and recomputes everything else: service ends, travel, distances, lateness, earliest
arrivals and returns. It keeps its own statement of the qualification rules
(:class:`~dispatchopt.audit.plan_checks.Qualification`, apart from :mod:`dispatchopt.rules`);
the checking logic is deliberately separate from :mod:`dispatchopt.timing`, the code that builds
routes for the solvers, and imports no solver, timing, live or objective code: the re-timing is
:mod:`dispatchopt.audit.retime`, the checks are :mod:`dispatchopt.audit.plan_checks` (who does
what) and :mod:`dispatchopt.audit.route_checks` (each route's timing and figures).

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
sent_before_received
    unless ``problem.anticipate_jobs``: the trip towards a job must have started before the job
    was received (the start leaves the travel no time inside the shifts after ``received_s``,
    or the visit's ``sent_at`` / its arrival minus the travel is before it).
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
    ``sent_at`` before the previous end (or the departure) or too late for the arrival, a missing
    or stray return leg.
"""

from __future__ import annotations

from collections import defaultdict

from ..domain import Problem, Technician
from ..plan import Plan, Visit
from . import plan_checks, route_checks
from .retime import TimedRoute as TimedRoute, time_route as time_route
from .route_checks import (
    DISTANCE_TOLERANCE_M as DISTANCE_TOLERANCE_M,
    DISTANCE_TOLERANCE_REL as DISTANCE_TOLERANCE_REL,
    LATE_TOLERANCE_S as LATE_TOLERANCE_S,
    TRAVEL_TOLERANCE_S as TRAVEL_TOLERANCE_S,
)
from .violation import Violation as Violation

RULES: tuple[str, ...] = (
    "unknown_technician", "duplicate_route", "unknown_job", "duplicate_visit", "missing_job",
    "not_dispatchable", "skill", "certificate", "trainee_alone", "crew_size", "crew_start",
    "pinning", "received", "sent_before_received", "window", "horizon", "shift", "travel_time",
    "break", "overlap",
    "max_jobs", "max_work_minutes", "capacity", "figures",
)

_CHECKS = tuple({**plan_checks.CHECKS, **route_checks.CHECKS}[rule] for rule in RULES)


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
    ctx = plan_checks.PlanContext(problem=problem, plan=plan, timed=timed, crews=dict(crews))
    violations: list[Violation] = []
    for check in _CHECKS:
        violations.extend(check(ctx))
    return violations


def format_violations(violations: list[Violation]) -> str:
    """One line per violation, for logs and the CLI."""
    return "\n".join(str(v) for v in violations)
