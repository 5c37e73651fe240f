"""The multi-day horizon at load time (scenario/horizon.py): weekly patterns -> day copies,
overrides, days off, per-day breaks and limits, follow-ups, pins, errors, round trip, and the
one-day bundled scenarios loading exactly as before."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.errors import ScenarioError
from dispatchopt.scenario import dump_scenario, load_scenario, problem_from_dict

ROOT = Path(__file__).resolve().parents[2]


def base() -> dict:
    """Thu 3 - Sat 5 December 2026; T01 on a weekday pattern with a Saturday morning."""
    return {
        "name": "three-days", "timezone": "Asia/Shanghai",
        "start": "2026-12-03T00:00", "end": "2026-12-06T00:00",
        "travel": {"model": "euclidean", "speed_kmh": 1},
        "technicians": [
            {"id": "T01", "skills": ["plumbing"],
             "shifts": {"mon-fri": ["08:30-12:00", "13:30-17:30"], "sat": "09:00-13:00"},
             "shift_overrides": {"2026-12-04": ["10:00-14:00"]},
             "breaks": [{"earliest": "11:30", "latest": "12:30", "minutes": 30}],
             "start": {"x": 0, "y": 0}, "max_work_minutes": 300, "max_jobs": 4, "history_minutes": 600},
            {"id": "T02", "skills": ["plumbing"], "shifts": {"daily": "08:00-16:00"},
             "days_off": ["2026-12-05"], "start": {"x": 5, "y": 0}},
        ],
        "jobs": [{"id": "J1", "location": {"x": 3, "y": 4}, "duration_minutes": 30}],
    }


def hm(problem, seconds: int) -> str:
    return problem.clock.to_iso(seconds)


def test_a_weekly_pattern_becomes_one_technician_per_working_day():
    p = problem_from_dict(base())
    assert [t.id for t in p.technicians] == ["T01@2026-12-03", "T01@2026-12-04", "T01@2026-12-05",
                                             "T02@2026-12-03", "T02@2026-12-04"]
    thu, fri, sat = p.technicians[:3]
    assert [(hm(p, s.start_s), hm(p, s.end_s)) for s in thu.shifts] == [
        ("2026-12-03T08:30", "2026-12-03T12:00"), ("2026-12-03T13:30", "2026-12-03T17:30")]
    assert [(hm(p, s.start_s), hm(p, s.end_s)) for s in fri.shifts] == [("2026-12-04T10:00", "2026-12-04T14:00")]
    assert [(hm(p, s.start_s), hm(p, s.end_s)) for s in sat.shifts] == [("2026-12-05T09:00", "2026-12-05T13:00")]
    # the break's clock times are taken on each working day; per-day limits on every copy
    assert [hm(p, t.breaks[0].earliest_s) for t in (thu, fri, sat)] == [
        "2026-12-03T11:30", "2026-12-04T11:30", "2026-12-05T11:30"]
    for t in (thu, fri, sat):
        assert (t.person, t.person_id, t.max_work_s, t.max_jobs, t.history_s) == ("T01", "T01", 300 * 60, 4, 600 * 60)
        assert t.start == t.end == p.technicians[0].start
    assert (thu.day, fri.day, sat.day) == (dt.date(2026, 12, 3), dt.date(2026, 12, 4), dt.date(2026, 12, 5))
    assert rules.is_multi_day(p)


def test_a_one_day_shift_technician_is_read_as_before_in_a_multi_day_scenario():
    data = base()
    data["technicians"].append({"id": "T03", "skills": ["plumbing"], "shift": {"start": "08:00", "end": "17:00"},
                                "start": {"x": 1, "y": 1}})
    tech = problem_from_dict(data).technician("T03")
    assert (tech.person, tech.day, tech.person_id, len(tech.shifts)) == (None, None, "T03", 1)


def test_a_night_pattern_reads_over_midnight_and_days_may_not_overlap():
    data = base()
    data["technicians"][1]["shifts"] = {"daily": "22:00-06:00"}
    p = problem_from_dict(data)
    night = p.technician("T02@2026-12-03")
    assert (hm(p, night.shifts[0].start_s), hm(p, night.shifts[0].end_s)) == ("2026-12-03T22:00", "2026-12-04T06:00")
    data["technicians"][1]["shifts"] = {"daily": "07:00-06:45"}
    data["technicians"][1]["max_overtime_minutes"] = 30
    with pytest.raises(ScenarioError, match=r"technicians\[1\] \(id 'T02'\)\.shifts\['fri'\]: the shift on "
                                            r"2026-12-04 starts at 2026-12-04T07:00, before the previous "
                                            r"working day's ends \(2026-12-04T06:45 \+ overtime\)"):
        problem_from_dict(data, source="three.yaml")


@pytest.mark.parametrize("field, value, message", [
    ("shifts", {"mon-fry": "08:00-16:00"}, r"shifts\['mon-fry'\]: unknown weekday 'fry' in 'mon-fry'"),
    ("shifts", {"fri-mon": "08:00-16:00"}, r"shifts\['fri-mon'\]: weekday range 'fri-mon' runs backwards"),
    ("shifts", {"mon-fri": "08:00-16:00", "fri": "09:00-12:00"}, r"shifts\['fri'\]: fri is given twice"),
    ("shifts", {"mon-fri": "8h-16h"}, r"shifts\['mon-fri'\]: expected a shift span like \"08:30-12:00\", found '8h-16h'"),
    ("shifts", {"mon-fri": "08:00-25:00"}, r"shifts\['mon-fri'\]: bad clock time in '08:00-25:00' \(expected HH:MM"),
    ("shifts", {"mon-fri": "17:30-17:00"}, r"shifts\['mon-fri'\]: span '17:30-17:00' ends before it starts"),
    ("shifts", {"mon-fri": ["08:00-12:00", "11:00-16:00"]}, r"shifts\['thu'\]\[1\]: start .* overlaps the previous shift"),
    ("shifts", [], r"shifts: expected a weekly pattern like"),
    ("shift_overrides", {"2026-13-01": []}, r"shift_overrides\['2026-13-01'\]: bad date '2026-13-01'"),
    ("days_off", "2026-12-04", r"days_off: expected a list of dates, found '2026-12-04'"),
])
def test_bad_patterns_are_one_line_errors_naming_file_field_id_and_value(field, value, message):
    data = copy.deepcopy(base())
    data["technicians"][1][field] = value
    with pytest.raises(ScenarioError, match=r"^three\.yaml: technicians\[1\] \(id 'T02'\)\." + message):
        problem_from_dict(data, source="three.yaml")


def test_shift_and_shifts_together_and_overrides_without_a_pattern_are_refused():
    data = base()
    data["technicians"][0]["shift"] = {"start": "08:00", "end": "16:00"}
    with pytest.raises(ScenarioError, match=r"\(id 'T01'\)\.shift: give either 'shift' \(one day\) or 'shifts'"):
        problem_from_dict(data)
    data = base()
    tech = data["technicians"][1]
    del tech["shifts"]
    tech["shift"] = {"start": "08:00", "end": "16:00"}
    with pytest.raises(ScenarioError, match=r"\(id 'T02'\)\.days_off: days_off needs a weekly 'shifts' pattern"):
        problem_from_dict(data)
    del tech["shift"]
    with pytest.raises(ScenarioError, match=r"\(id 'T02'\): missing required key 'shift'"):
        problem_from_dict(data)


def test_follow_up_earliest_start_person_and_errors():
    data = base()
    data["jobs"].append({"id": "J2", "location": {"x": 1, "y": 1}, "duration_minutes": 60,
                         "received_at": "2026-12-02T09:00",
                         "follow_up": {"technician": "T01", "after": "2026-12-03T16:00", "after_hours": 24,
                                       "same_technician": "require"}})
    p = problem_from_dict(data)
    j2 = p.job("J2")
    assert hm(p, j2.received_s) == "2026-12-04T16:00"              # after + 24 h
    assert j2.due_s == j2.received_s + 1440 * 60                   # its due counts from then
    assert (j2.follow_up.person, j2.follow_up.mode) == ("T01", "require")
    leads = rules.eligibility(p)["J2"][0]
    assert leads == ("T01@2026-12-03", "T01@2026-12-04", "T01@2026-12-05")
    assert rules.eligibility(p)["J1"][0] == tuple(t.id for t in p.technicians)
    for bad, message in ((({"technician": "T09"}), r"jobs\[1\] \(id 'J2'\)\.follow_up\.technician: unknown technician 'T09'"),
                         (({"technician": "T01", "same_technician": "always"}),
                          r"follow_up\.same_technician: expected require or prefer, found 'always'"),
                         (({"technician": "T01", "after_hours": -1}), r"follow_up\.after_hours"),
                         (({"after_hours": 2}), r"follow_up: missing required key 'technician'")):
        data["jobs"][1]["follow_up"] = bad
        with pytest.raises(ScenarioError, match=message):
            problem_from_dict(data)


def test_pinned_to_a_person_names_its_only_day_copy_or_is_refused():
    data = base()
    data["jobs"][0]["pinned_to"] = "T01@2026-12-04"
    assert problem_from_dict(data).job("J1").pinned_to == ("T01@2026-12-04",)
    data["jobs"][0]["pinned_to"] = "T01"
    with pytest.raises(ScenarioError, match=r"jobs\[0\] \(id 'J1'\)\.pinned_to: pinned to 'T01', who works 3 days"):
        problem_from_dict(data)
    data["end"] = "2026-12-04T00:00"                                # one day: T01's only copy
    assert problem_from_dict(data).job("J1").pinned_to == ("T01@2026-12-03",)


def test_certificates_are_judged_on_the_copy_s_own_day():
    data = base()
    data["technicians"][0]["skills"] = {"electrical": 1}
    data["technicians"][0]["certificates"] = {"electrical": "2026-12-04"}   # expires Friday
    data["jobs"][0]["skills"] = ["electrical"]
    p = problem_from_dict(data)
    assert rules.eligibility(p)["J1"][0] == ("T01@2026-12-03", "T01@2026-12-04")
    assert not rules.can_lead(p, p.technician("T01@2026-12-05"), p.job("J1"))


def test_a_multi_day_problem_round_trips_through_dump():
    data = base()
    data["jobs"].append({"id": "J2", "location": {"x": 1, "y": 1}, "duration_minutes": 60,
                         "follow_up": {"technician": "T01", "after_hours": 30, "same_technician": "prefer"}})
    data["objective"] = {"other_technician_follow_up": 25}
    p = problem_from_dict(data)
    dumped = dump_scenario(p)
    assert dumped["technicians"][0]["person"] == "T01" and dumped["technicians"][0]["day"] == "2026-12-03"
    assert problem_from_dict(dumped) == p
    assert problem_from_dict(dump_scenario(problem_from_dict(dumped))) == p


def _digest(p) -> str:
    """The v1 fields of a problem (what every one-day scenario held before the horizon existed)."""
    obj = [getattr(p.objective, k) for k in ("travel_minute", "late_minute", "unassigned", "workload_balance",
                                              "overtime_minute")]
    # the travel spec names graph/matrix files by absolute path: digest it relative to the checkout
    parts = [p.name, p.clock.origin.isoformat(), p.clock.timezone, p.end_s, repr(p.travel).replace(str(ROOT), "<root>"),
             sorted((k, repr(v)) for k, v in p.sla.items()), obj, sorted(p.certificate_required),
             sorted(p.preemption.items())]
    for t in p.technicians:
        parts.append((t.id, sorted(t.skills.items()), sorted((k, v.isoformat()) for k, v in t.certificates.items()),
                      [(s.start_s, s.end_s) for s in t.shifts], [(b.earliest_s, b.latest_s, b.duration_s) for b in t.breaks],
                      repr(t.start), repr(t.end), t.max_jobs, t.max_work_s, t.capacity, t.trainee, t.max_overtime_s))
    for j in p.jobs:
        parts.append((j.id, repr(j.location), j.category, sorted(j.skills.items()), j.duration_s, j.received_s, j.due_s,
                      None if j.window is None else (j.window.start_s, j.window.end_s), j.crew_size, j.demand,
                      j.pinned_to, j.dispatchable))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


# Digests of the bundled one-day scenarios, recorded with the loader of commit 5b76f5e (before the
# multi-day horizon): the same file must load to the same Problem.
BEFORE = {"scenarios/small.yaml": "c61f759d482df333", "scenarios/city_day.yaml": "a941ae43229c6c9d",
          "scenarios/tables": "c61f759d482df333", "scenarios/road_graph/scenario.yaml": "64cb0de52c72a1be",
          "scenarios/bench/day_40x300_load0.9.yaml": "7f34d8425c7b9408"}


@pytest.mark.parametrize("path", sorted(BEFORE))
def test_every_one_day_bundled_scenario_loads_to_the_same_problem_as_before(path):
    p = load_scenario(ROOT / path)
    assert _digest(p) == BEFORE[path]
    assert not rules.is_multi_day(p)
    assert all(t.person is None and t.day is None and t.history_s == 0 for t in p.technicians)
    assert all(j.follow_up is None for j in p.jobs)
    # and its dump reads back equal, with none of the multi-day keys written
    dumped = dump_scenario(p)
    assert not any(k in t for t in dumped["technicians"] for k in ("person", "day", "history_minutes"))
    assert problem_from_dict(dumped, base_dir=(ROOT / path).parent) == dataclasses.replace(p, source=None)


def test_the_bundled_multi_day_scenario_loads():
    p = load_scenario(ROOT / "scenarios/multi_day_3x40.yaml")
    assert rules.is_multi_day(p)
    people = {t.person for t in p.technicians}
    assert len(people) == 40 and None not in people
    assert {t.day for t in p.technicians} == {dt.date(2026, 12, 7), dt.date(2026, 12, 8), dt.date(2026, 12, 9)}
    assert 300 <= len(p.jobs) <= 400
    assert any(j.category == "survey" for j in p.jobs) and any(j.follow_up for j in p.jobs)
