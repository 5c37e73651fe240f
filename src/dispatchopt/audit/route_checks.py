"""The verifier's checks of each route's timing: shifts, travel, breaks, overlaps and the
reported figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .. import rules
from ..domain import BreakRule, Technician
from .retime import Interval, Leg, TimedRoute, covered, intersect_intervals, measure_intervals, merge_intervals
from .violation import CheckContext, Violation, minutes_text

TRAVEL_TOLERANCE_S = 60
LATE_TOLERANCE_S = 60
DISTANCE_TOLERANCE_REL = 0.01
DISTANCE_TOLERANCE_M = 10.0


def _working_time(tech: Technician) -> list[Interval]:
    """The shifts' union, the last shift extended by ``max_overtime_s``."""
    spans = [(s.start_s, s.end_s) for s in tech.shifts]
    spans[-1] = (spans[-1][0], spans[-1][1] + tech.max_overtime_s)
    return merge_intervals(spans)


def _leg_target(timed: TimedRoute, leg: Leg) -> int | None:
    """When the leg must be done: the next service start, or the return arrival."""
    if leg.visit is not None:
        return timed.visits[leg.visit][0].start_s
    return timed.return_arrival_s


def _shifts_text(ctx: CheckContext, tech: Technician) -> str:
    return ", ".join(f"{ctx.t(s.start_s)}-{ctx.t(s.end_s)}" for s in tech.shifts)


def _free_driving_s(lo: int, hi: int, working: list[Interval], breaks: tuple[Interval, ...]) -> int:
    """Seconds inside the shifts and outside the breaks starting at or after ``lo``, in [lo, hi]."""
    if covered(lo, hi, working) and not any(lo <= b_start < hi for b_start, _ in breaks):
        return hi - lo                                          # the usual case, without lists
    window = intersect_intervals([(lo, hi)], working)
    resting = merge_intervals(b for b in breaks if b[0] >= lo)   # as earliest_arrival_s
    return measure_intervals(window) - measure_intervals(intersect_intervals(window, resting))


def _check_shift(ctx: CheckContext) -> Iterator[Violation]:
    # messages are formatted only for a violation: verify runs on every plan of a simulation
    for timed in ctx.timed:
        tech = timed.tech
        working = _working_time(tech)
        if timed.route.departure_s is not None and timed.route.departure_s < tech.shift_start_s:
            yield Violation("shift", f"technician {tech.id} departs at {ctx.t(timed.route.departure_s)}, "
                            f"before the shift starts at {ctx.t(tech.shift_start_s)}", technician=tech.id)
        for visit, job in timed.visits:
            end = visit.start_s + job.duration_s
            if not covered(visit.start_s, end, working):
                yield Violation("shift", f"technician {tech.id} serves job {job.id} "
                                f"{ctx.t(visit.start_s)}-{ctx.t(end)} outside the shifts ({_shifts_text(ctx, tech)}"
                                f", overtime {minutes_text(tech.max_overtime_s)})", technician=tech.id, job=job.id)
        ret = timed.return_arrival_s
        limit = tech.shift_end_s + tech.max_overtime_s
        for leg in timed.legs:
            hi = _leg_target(timed, leg)
            if hi is None or hi < leg.earliest_s:
                continue  # travel_time / break report a leg that does not fit at all
            if leg.visit is None and hi > limit:
                continue  # a late return, reported below
            free = _free_driving_s(leg.lo, hi, working, timed.breaks)
            if free < leg.travel_s:
                where = f"to job {timed.visits[leg.visit][1].id}" if leg.visit is not None else "home"
                job_id = timed.visits[leg.visit][1].id if leg.visit is not None else None
                yield Violation("shift", f"technician {tech.id}: the {minutes_text(leg.travel_s)} trip {where} "
                                f"between {ctx.t(leg.lo)} and {ctx.t(hi)} has only {minutes_text(free)} inside "
                                f"the shifts ({_shifts_text(ctx, tech)})", technician=tech.id, job=job_id)
        if ret is not None and ret > limit:
            yield Violation("shift", f"technician {tech.id} returns at {ctx.t(ret)}, after the last shift "
                            f"end {ctx.t(tech.shift_end_s)} + overtime {minutes_text(tech.max_overtime_s)}",
                            technician=tech.id)


def _check_travel_time(ctx: CheckContext) -> Iterator[Violation]:
    for timed in ctx.timed:
        tech = timed.tech
        for leg in timed.legs:
            if leg.visit is None:
                ret = timed.route.ret
                if ret is not None and ret.arrival_s < leg.lo + leg.travel_s:
                    yield Violation("travel_time", f"technician {tech.id} is reported home at "
                                    f"{ctx.t(ret.arrival_s)}, but the last service ends {ctx.t(leg.lo)} "
                                    f"and the trip home takes {minutes_text(leg.travel_s)}", technician=tech.id)
                continue
            visit, job = timed.visits[leg.visit]
            first = leg.visit == 0
            if not first and visit.start_s < leg.lo:
                prev_visit, _ = timed.visits[leg.visit - 1]
                if visit.start_s + job.duration_s > prev_visit.start_s:
                    continue  # the services overlap: reported by check overlap
                yield Violation("travel_time", f"technician {tech.id} starts job {job.id} at "
                                f"{ctx.t(visit.start_s)}, before the {_since(ctx, timed, leg)} that precedes it in the "
                                f"route (visits out of order)", technician=tech.id, job=job.id)
            elif visit.start_s < leg.lo + leg.travel_s:
                yield Violation("travel_time", f"technician {tech.id} starts job {job.id} at "
                                f"{ctx.t(visit.start_s)}, but it is {minutes_text(leg.travel_s)} away from the "
                                f"{_since(ctx, timed, leg)}", technician=tech.id, job=job.id)
            elif visit.arrival_s < leg.lo + leg.travel_s:
                yield Violation("travel_time", f"technician {tech.id} is reported at job {job.id} at "
                                f"{ctx.t(visit.arrival_s)}, but it is {minutes_text(leg.travel_s)} away from the "
                                f"{_since(ctx, timed, leg)}", technician=tech.id, job=job.id)


def _since(ctx: CheckContext, timed: TimedRoute, leg: Leg) -> str:
    if leg.visit == 0:
        return f"departure at {ctx.t(leg.lo)}"
    return f"end of job {timed.visits[leg.visit - 1][1].id} at {ctx.t(leg.lo)}"


def _check_sent(ctx: CheckContext) -> Iterator[Violation]:
    """Unless ``anticipate_jobs``: no trip towards a job starts before the job was received
    (the plan's decisions leave the travel no time after it, or its ``sent_at`` / ``arrival``
    says the technician set off earlier)."""
    if ctx.problem.anticipate_jobs:
        return
    for timed in ctx.timed:
        tech = timed.tech
        working: list[Interval] | None = None
        for leg in timed.legs:
            if leg.visit is None:
                continue
            visit, job = timed.visits[leg.visit]
            received = job.received_s
            if received <= leg.lo or visit.start_s < received:
                continue        # nothing to wait for, or a start before received (rule received)
            if working is None:
                working = _working_time(tech)
            if _free_driving_s(leg.lo, visit.start_s, working, timed.breaks) < leg.travel_s:
                continue        # no room for the trip at all: reported by shift / travel_time / break
            why = None
            if _free_driving_s(received, visit.start_s, working, timed.breaks) < leg.travel_s:
                why = (f"starts it at {ctx.t(visit.start_s)}, which leaves the {minutes_text(leg.travel_s)} "
                       f"trip no time after")
            elif visit.sent_s is not None and visit.sent_s < received:
                why = f"is sent towards it at {ctx.t(visit.sent_s)}, before"
            elif visit.arrival_s - leg.travel_s < received:
                why = (f"is reported there at {ctx.t(visit.arrival_s)}, {minutes_text(leg.travel_s)} "
                       f"of travel away, so set off before")
            if why is not None:
                yield Violation("sent_before_received", f"technician {tech.id} {why} job {job.id} was "
                                f"received at {ctx.t(received)} (anticipate_jobs is false)",
                                technician=tech.id, job=job.id)


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


def _describe_rule(ctx: CheckContext, r: BreakRule) -> str:
    return f"start {ctx.t(r.earliest_s)}-{ctx.t(r.latest_s)}, {minutes_text(r.duration_s)}"


def _check_break(ctx: CheckContext) -> Iterator[Violation]:
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
                            bits.append(f"lasts {minutes_text(b_end - b_start)}")
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
                            f"and {where}, the {minutes_text(leg.travel_s)} trip cannot arrive before "
                            f"{ctx.t(leg.earliest_s)}", technician=tech.id, job=job_id)


def _check_overlap(ctx: CheckContext) -> Iterator[Violation]:
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


def _distance_off(reported: float, recomputed: float) -> bool:
    return abs(reported - recomputed) > max(DISTANCE_TOLERANCE_REL * recomputed, DISTANCE_TOLERANCE_M)


def _check_figures(ctx: CheckContext) -> Iterator[Violation]:
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
            if visit.sent_s is not None and visit.arrival_s >= leg.lo + leg.travel_s:  # else travel_time
                if visit.sent_s < leg.lo:
                    bad.append(f"sent_at {ctx.t(visit.sent_s)} before the {_since(ctx, timed, leg)}")
                elif visit.sent_s + leg.travel_s > visit.arrival_s + TRAVEL_TOLERANCE_S:
                    bad.append(f"sent_at {ctx.t(visit.sent_s)} + travel {minutes_text(leg.travel_s)} "
                               f"is after the arrival {ctx.t(visit.arrival_s)}")
            if visit.end_s != end:
                bad.append(f"end {ctx.t(visit.end_s)} != start + {minutes_text(job.duration_s)} = {ctx.t(end)}")
            if abs(visit.travel_s - leg.travel_s) > TRAVEL_TOLERANCE_S:
                bad.append(f"travel {minutes_text(visit.travel_s)} != {minutes_text(leg.travel_s)}")
            if _distance_off(visit.distance_m, leg.distance_m):
                bad.append(f"distance {visit.distance_m / 1000:.3f} km != {leg.distance_m / 1000:.3f} km")
            late = rules.late_s(job, visit.start_s)
            if abs(visit.late_s - late) > LATE_TOLERANCE_S:
                bad.append(f"late {minutes_text(visit.late_s)} != {minutes_text(late)}")
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
            bad.append(f"travel {minutes_text(ret.travel_s)} != {minutes_text(leg.travel_s)}")
        if _distance_off(ret.distance_m, leg.distance_m):
            bad.append(f"distance {ret.distance_m / 1000:.3f} km != {leg.distance_m / 1000:.3f} km")
        if bad:
            yield Violation("figures", f"technician {tech.id}, return: " + "; ".join(bad), technician=tech.id)


CHECKS: dict[str, Callable[[CheckContext], Iterator[Violation]]] = {
    "shift": _check_shift, "travel_time": _check_travel_time, "break": _check_break,
    "overlap": _check_overlap, "figures": _check_figures, "sent_before_received": _check_sent,
}
"""Rule name -> its check (see :data:`dispatchopt.audit.verify.RULES`)."""
