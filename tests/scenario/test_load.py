"""load_scenario / problem_from_dict: the three forms agree, defaults, time semantics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dispatchopt.domain import DEFAULT_SLA, Location, Objective, SlaLevel, TravelSpec
from dispatchopt.domain.problem import DEFAULT_CERTIFICATE_REQUIRED
from dispatchopt.scenario import load_scenario, problem_from_dict

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
H = 3600
M = 60


@pytest.fixture(scope="module")
def small():
    return load_scenario(VALID / "small.yaml")


# -- the three forms ----------------------------------------------------------------------------
def test_yaml_json_and_tables_give_equal_problems(small):
    as_json = load_scenario(VALID / "small.json")
    as_dir = load_scenario(VALID / "small_tables")
    as_file = load_scenario(VALID / "small_tables" / "scenario.yaml")
    assert small.source == str(VALID / "small.yaml")
    assert as_dir.source == str(VALID / "small_tables")
    reference = small.replace(source=None)
    for other in (as_json, as_dir, as_file):
        assert other.replace(source=None) == reference


def test_small_scenario_fields(small):
    assert small.name == "small"
    assert small.clock.timezone == "Asia/Shanghai"
    assert small.clock.origin == dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.timezone.utc)
    assert small.end_s == 24 * H
    assert small.travel == TravelSpec(model="haversine", speed_kmh=25, circuity=1.3)
    assert small.objective == Objective(workload_balance=0.5)
    assert small.certificate_required == frozenset({"electrical", "gas"})
    assert small.preemption == {"emergency": "interrupt"}
    assert small.policy("urgent") == "finish_current"

    t01, t02, t03 = small.technicians
    assert t01.skills == {"plumbing": 2, "electrical": 1, "drain_clearing": 1}
    assert t01.certificates == {"electrical": dt.date(2027, 3, 31)}
    assert [(s.start_s, s.end_s) for s in t01.shifts] == [(30 * M, 9 * H + 30 * M)]
    assert [(b.earliest_s, b.latest_s, b.duration_s) for b in t01.breaks] == [(4 * H, 5 * H, H)]
    assert (t01.max_jobs, t01.max_work_s, t01.capacity, t01.trainee) == (10, 480 * M, 5, False)
    assert t01.end == t01.start == Location(lat=36.07, lon=120.38)        # end defaults to start
    assert t02.skills == {"plumbing": 1, "drain_clearing": 1}              # a list means level 1
    assert [(s.start_s, s.end_s) for s in t02.shifts] == [(30 * M, 4 * H), (5 * H + 30 * M, 9 * H + 30 * M)]
    assert t02.end == Location(lat=36.10, lon=120.41) and t02.trainee
    assert (t02.max_jobs, t02.max_work_s, t02.capacity) == (None, None, 0)
    assert t03.max_overtime_s == 30 * M

    j1, j2, j3, j4, j5 = small.jobs
    assert (j1.category, j1.duration_s, j1.received_s, j1.due_s) == ("emergency", 45 * M, -5 * M, 25 * M)
    assert j2.received_s == 0 and j2.due_s == 24 * H                      # received at start; standard 24 h
    assert (j2.window.start_s, j2.window.end_s) == (H, 3 * H)
    assert (j3.crew_size, j3.demand, j3.pinned_to) == (2, 2, ("T02",))
    assert j4.skills == {}
    assert j5.dispatchable is False and j5.received_s == -14 * H
    assert small.sla["inspection"] == SlaLevel(respond_minutes=600, weight=3)
    assert j5.due_s == j5.received_s + 600 * M


# -- defaults -----------------------------------------------------------------------------------
def _scenario(**changes) -> dict:
    data = {
        "name": "t", "timezone": "Asia/Shanghai", "start": "2026-11-23T08:00",
        "technicians": [{"id": "T1", "skills": ["plumbing"], "shift": {"start": "08:00", "end": "17:00"},
                         "start": {"lat": 36.0, "lon": 120.0}}],
        "jobs": [{"id": "J1", "location": {"lat": 36.1, "lon": 120.1}, "duration_minutes": 30}],
    }
    data.update(changes)
    return data


def _job(**fields) -> dict:
    return {"id": "J1", "location": {"lat": 36.1, "lon": 120.1}, "duration_minutes": 30, **fields}


def _tech(**fields) -> dict:
    return {"id": "T1", "shift": {"start": "08:00", "end": "17:00"}, "start": {"lat": 36.0, "lon": 120.0},
            **fields}


def test_defaults():
    problem = problem_from_dict(_scenario())
    assert problem.source is None
    assert problem.end_s == 24 * H                                        # end = start + 24 h
    assert problem.travel == TravelSpec()
    assert problem.objective == Objective()
    assert problem.sla == DEFAULT_SLA
    assert problem.certificate_required == DEFAULT_CERTIFICATE_REQUIRED
    assert problem.preemption == {}
    job = problem.jobs[0]
    assert (job.category, job.skills, job.received_s, job.due_s) == ("standard", {}, 0, 1440 * M)
    assert (job.window, job.crew_size, job.demand, job.pinned_to, job.dispatchable) == (None, 1, 0, (), True)
    tech = problem.technicians[0]
    assert tech.end == tech.start
    assert (tech.breaks, tech.certificates, tech.max_jobs, tech.max_work_s, tech.capacity, tech.trainee,
            tech.max_overtime_s) == ((), {}, None, None, 0, False, 0)


def test_timezone_defaults_to_utc():
    data = _scenario()
    del data["timezone"]
    problem = problem_from_dict(data)
    assert problem.clock.timezone == "UTC"
    assert problem.clock.origin == dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)
    assert problem.technicians[0].shifts[0].start_s == 0                  # "08:00" is 08:00 UTC
    # null means the default too; an explicit zone still shifts every local time
    assert problem_from_dict(_scenario(timezone=None)) == problem
    shanghai = problem_from_dict(_scenario())
    assert shanghai.clock.origin == dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.timezone.utc)


def test_timezone_defaults_to_utc_in_a_file_and_the_table_form(tmp_path):
    (tmp_path / "day.yaml").write_text(
        "name: t\nstart: 2026-11-23T08:00\ntechnicians: []\njobs: []\n", encoding="utf-8")
    assert load_scenario(tmp_path / "day.yaml").clock.timezone == "UTC"
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "scenario.yaml").write_text("name: t\nstart: 2026-11-23T08:00\njobs: []\n", encoding="utf-8")
    (tables / "technicians.csv").write_text(
        "id,shift_start,shift_end,start_lat,start_lon\nT1,09:00,17:00,36,120\n", encoding="utf-8")
    problem = load_scenario(tables)
    assert problem.clock.timezone == "UTC"
    assert problem.clock.to_iso(problem.technicians[0].shifts[0].start_s) == "2026-11-23T09:00"


def test_null_means_default():
    problem = problem_from_dict(_scenario(end=None, travel=None, sla=None,
                                          jobs=[_job(category=None, due=None, crew_size=None)]))
    assert problem.end_s == 24 * H and problem.jobs[0].category == "standard"


def test_due_default_is_received_plus_respond_minutes():
    problem = problem_from_dict(_scenario(jobs=[_job(category="urgent", received_at="2026-11-23T07:30")]))
    assert problem.jobs[0].due_s == -30 * M + 180 * M


def test_sla_entries_merge_over_the_defaults():
    problem = problem_from_dict(_scenario(sla={
        "emergency": {"weight": 200},                    # keeps respond_minutes 30
        "urgent": {"respond_minutes": 120},              # keeps weight 10
        "survey": {"respond_minutes": 600},              # clears the inherited working_days
        "installation": {"working_days": 3},             # keeps respond_minutes, adds working days
        "warranty": {"working_days": 5, "weight": 4},    # a new category
    }))
    assert problem.sla["emergency"] == SlaLevel(30, 200)
    assert problem.sla["urgent"] == SlaLevel(120, 10)
    assert problem.sla["survey"] == SlaLevel(600, 1, None)
    assert problem.sla["installation"] == SlaLevel(2880, 1, 3)
    assert problem.sla["warranty"] == SlaLevel(5 * 1440, 4, 5)
    assert problem.sla["standard"] == DEFAULT_SLA["standard"]


def test_survey_working_days_skip_the_weekend():
    # 2026-11-27 is a Friday: 2 working days later is Tuesday 2026-12-01, same clock time
    problem = problem_from_dict(_scenario(jobs=[_job(category="survey", received_at="2026-11-27T15:20")]))
    job = problem.jobs[0]
    assert problem.clock.to_iso(job.due_s) == "2026-12-01T15:20"
    # received on a Saturday: Monday is day 1, Tuesday day 2
    problem = problem_from_dict(_scenario(jobs=[_job(category="survey", received_at="2026-11-28T09:00")]))
    assert problem.clock.to_iso(problem.jobs[0].due_s) == "2026-12-01T09:00"
    # received on a Monday: Wednesday
    problem = problem_from_dict(_scenario(jobs=[_job(category="survey", received_at="2026-11-23T10:00")]))
    assert problem.clock.to_iso(problem.jobs[0].due_s) == "2026-11-25T10:00"


def test_explicit_due_wins():
    problem = problem_from_dict(_scenario(jobs=[_job(category="survey", due="2026-11-23T12:00")]))
    assert problem.jobs[0].due_s == 4 * H


# -- time ---------------------------------------------------------------------------------------
def test_shift_crossing_midnight_and_its_break():
    tech = _tech(shift={"start": "22:00", "end": "06:00"},
                 breaks=[{"earliest": "23:30", "latest": "02:00", "minutes": 30}])
    problem = problem_from_dict(_scenario(technicians=[tech]))
    (shift,) = problem.technicians[0].shifts
    assert (shift.start_s, shift.end_s) == (14 * H, 22 * H)               # 22:00 -> 06:00 next day
    (rule,) = problem.technicians[0].breaks
    assert (rule.earliest_s, rule.latest_s, rule.duration_s) == (15 * H + 30 * M, 18 * H, 30 * M)


def test_shift_list_reads_as_a_rota():
    tech = _tech(shift=[{"start": "22:00", "end": "02:00"}, {"start": "03:00", "end": "06:00"}])
    problem = problem_from_dict(_scenario(technicians=[tech]))
    assert [(s.start_s, s.end_s) for s in problem.technicians[0].shifts] == [(14 * H, 18 * H), (19 * H, 22 * H)]


def test_24_00_is_the_next_midnight():
    problem = problem_from_dict(_scenario(technicians=[_tech(shift={"start": "16:00", "end": "24:00"})]))
    assert problem.technicians[0].shifts[0].end_s == 16 * H


def test_iso_shift_and_offset_times():
    tech = _tech(shift={"start": "2026-11-23T09:00", "end": "2026-11-24T01:00+08:00"})
    job = _job(received_at="2026-11-23T00:00Z", window={"start": "10:00", "end": "2026-11-23T12:00"})
    problem = problem_from_dict(_scenario(technicians=[tech], jobs=[job]))
    assert (problem.technicians[0].shifts[0].start_s, problem.technicians[0].shifts[0].end_s) == (H, 17 * H)
    assert problem.jobs[0].received_s == 0                                 # 00:00Z = 08:00 Shanghai
    assert (problem.jobs[0].window.start_s, problem.jobs[0].window.end_s) == (2 * H, 4 * H)


def test_start_with_an_offset_is_normalised_to_the_zone():
    problem = problem_from_dict(_scenario(start="2026-11-23T00:00+00:00"))
    assert problem.clock.origin.utcoffset() == dt.timedelta(hours=8)
    assert problem.clock.to_iso(0) == "2026-11-23T08:00"


def test_end_is_honoured():
    problem = problem_from_dict(_scenario(end="2026-11-23T20:00"))
    assert problem.end_s == 12 * H


def test_python_datetime_objects_are_accepted():
    data = _scenario(start=dt.datetime(2026, 11, 23, 8, 0),
                     jobs=[_job(received_at=dt.datetime(2026, 11, 23, 7, 0))],
                     technicians=[_tech(certificates={"gas": dt.date(2027, 1, 1)})])
    problem = problem_from_dict(data)
    assert problem.jobs[0].received_s == -H
    assert problem.technicians[0].certificates == {"gas": dt.date(2027, 1, 1)}


def test_seconds_and_fractional_minutes():
    problem = problem_from_dict(_scenario(jobs=[_job(duration_minutes=12.5, received_at="2026-11-23T07:59:30")]))
    assert (problem.jobs[0].duration_s, problem.jobs[0].received_s) == (750, -30)


# -- YAML reading -------------------------------------------------------------------------------
def test_yaml_clock_times_and_leading_zero_ids_stay_strings(tmp_path):
    text = """\
name: t
timezone: UTC
start: 2026-11-23T08:00
travel: {model: euclidean}
technicians:
  - id: 007
    shift: {start: 08:00, end: 17:30}
    breaks: [{earliest: 12:00, latest: 13:00, minutes: 45}]
    start: {x: 0, y: 0}
jobs:
  - id: 12
    location: {x: 1, y: 2}
    duration_minutes: 5
    received_at: 2026-11-23T07:00:00
    pinned_to: 007
"""
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    problem = load_scenario(path)
    tech = problem.technicians[0]
    assert tech.id == "007"                                   # not octal 7
    assert (tech.shifts[0].start_s, tech.shifts[0].end_s) == (0, 9 * H + 30 * M)   # not base-60 ints
    assert (tech.breaks[0].earliest_s, tech.breaks[0].latest_s) == (4 * H, 5 * H)
    assert problem.jobs[0].id == "12" and problem.jobs[0].received_s == -H
    assert problem.jobs[0].pinned_to == ("007",)


def test_yaml_merge_keys_may_override(tmp_path):
    text = """\
name: t
timezone: UTC
start: 2026-11-23T08:00
travel: {model: euclidean}
technicians:
  - &base {id: T1, shift: {start: "08:00", end: "16:00"}, start: {x: 0, y: 0}, skills: [a]}
  - <<: *base
    id: T2
jobs: []
"""
    path = tmp_path / "t.yml"
    path.write_text(text, encoding="utf-8")
    problem = load_scenario(path)
    assert [t.id for t in problem.technicians] == ["T1", "T2"]
    assert problem.technicians[1].skills == {"a": 1}


# -- travel -------------------------------------------------------------------------------------
def test_matrix_model_defaults_location_ids_and_resolves_the_file():
    problem = load_scenario(VALID / "matrix.yaml")
    assert problem.travel.model == "matrix"
    assert problem.travel.matrix == str(VALID / "travel.csv")
    tech, job = problem.technicians[0], problem.jobs[0]
    assert tech.start == Location(id="T1")
    assert tech.end == Location(id="depot-east")
    assert job.location == Location(id="J1")


def test_relative_files_resolve_against_base_dir(tmp_path):
    (tmp_path / "roads.graphml").write_text("<graphml/>", encoding="utf-8")
    data = _scenario(travel={"model": "graph", "graph": "roads.graphml", "closed_edges": [["1", 2]]},
                     technicians=[_tech(start={"node": 1})])
    problem = problem_from_dict(data, base_dir=tmp_path)
    assert problem.travel.graph == str(tmp_path / "roads.graphml")
    assert problem.travel.closed_edges == (("1", "2"),)
    assert problem.technicians[0].start == Location(node="1")
    assert problem.jobs[0].location == Location(lat=36.1, lon=120.1)       # snapped by the travel model


def test_travel_extensions():
    problem = problem_from_dict(_scenario(
        travel={"model": "euclidean", "speed_kmh": 1, "speed_factor": 0.8, "dimacs": True},
        technicians=[_tech(start={"x": 0, "y": 0})], jobs=[_job(location={"x": 3, "y": 4})]))
    assert problem.travel == TravelSpec(model="euclidean", speed_kmh=1, circuity=1.3, speed_factor=0.8,
                                        dimacs=True)


def test_locations_keep_every_coordinate_given():
    problem = problem_from_dict(_scenario(jobs=[_job(location={"lat": 36.1, "lon": 120.1, "x": 5, "y": 6,
                                                               "id": "site-9"})]))
    assert problem.jobs[0].location == Location(lat=36.1, lon=120.1, x=5.0, y=6.0, id="site-9")


# -- misc ---------------------------------------------------------------------------------------
def test_pinned_list_certificate_required_and_preemption():
    techs = [_tech(), _tech(id="T2")]
    problem = problem_from_dict(_scenario(technicians=techs, jobs=[_job(crew_size=2, pinned_to=["T2", "T1"])],
                                          certificate_required=["gas"], preemption={"major_leak": "interrupt"}))
    assert problem.jobs[0].pinned_to == ("T2", "T1")
    assert problem.certificate_required == frozenset({"gas"})
    assert problem.policy("major_leak") == "interrupt"


def test_a_job_skill_nobody_has_is_not_an_error():
    problem = problem_from_dict(_scenario(jobs=[_job(skills={"welding": 3})]))
    assert problem.jobs[0].skills == {"welding": 3}


def test_integral_float_levels_and_ids_are_accepted():
    problem = problem_from_dict(_scenario(jobs=[_job(id=17, skills={"plumbing": 2.0}, crew_size=1.0)]))
    assert problem.jobs[0].id == "17" and problem.jobs[0].skills == {"plumbing": 2}
    assert isinstance(problem.jobs[0].crew_size, int)


def test_table_form_with_jobs_in_the_yaml(tmp_path):
    (tmp_path / "scenario.yaml").write_text(
        "name: t\ntimezone: UTC\nstart: 2026-11-23T08:00\ntravel: {model: euclidean}\n"
        "jobs: [{id: J1, location: {x: 1, y: 1}, duration_minutes: 5, pinned_to: T1}]\n", encoding="utf-8")
    (tmp_path / "technicians.csv").write_text(
        "\ufeffid,skills,shift_start,shift_end,start_x,start_y,end_x,end_y,max_jobs\n"
        "T1,a:2;b,08:00,16:00,0,0,1,1,3\n\n", encoding="utf-8")
    problem = load_scenario(tmp_path)
    tech = problem.technicians[0]
    assert tech.skills == {"a": 2, "b": 1} and tech.max_jobs == 3
    assert tech.end == Location(x=1.0, y=1.0)
    assert problem.jobs[0].pinned_to == ("T1",)


def test_unused_travel_keys_are_logged_not_ignored(tmp_path, caplog):
    (tmp_path / "roads.graphml").write_text("<graphml/>", encoding="utf-8")
    with caplog.at_level("WARNING", logger="dispatchopt"):
        problem = problem_from_dict(_scenario(travel={"graph": "roads.graphml", "dimacs": True}), base_dir=tmp_path)
    assert problem.travel.model == "haversine" and problem.travel.graph == str(tmp_path / "roads.graphml")
    assert "travel.graph is given but the haversine model does not read it" in caplog.text
    assert "travel.dimacs is set but only the euclidean model reads it" in caplog.text


def test_message_has_the_house_style():
    from dispatchopt.errors import ScenarioError

    jobs = [_job(id=f"J{i:03d}") for i in (1, 2, 3)]
    jobs.append(_job(id="J017", window={"start": "2026-11-23T11:00", "end": "2026-11-23T09:00"}))
    with pytest.raises(ScenarioError) as info:
        problem_from_dict(_scenario(jobs=jobs), source="scenarios/north.yaml")
    assert str(info.value) == ("scenarios/north.yaml: jobs[3] (id 'J017').window: start 2026-11-23T11:00 "
                               "is after end 2026-11-23T09:00")
