"""Plan: the v1 plan JSON round trip, from_json errors (PlanFormatError naming the field) and
the pandas frames. Plans are built with schedule.build_route on tiny euclidean problems
(speed 1: one unit is one minute and one km) and verified."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from helpers import H, M, job, make_plan, make_problem, route, tech

from dispatchopt.audit.verify import format_violations, verify
from dispatchopt.errors import DispatchOptError, PlanFormatError
from dispatchopt.plan import Plan, SolverInfo

VISIT_COLUMNS = ["technician", "sequence", "job", "sent", "arrival", "start", "end", "travel_minutes",
                 "distance_km", "late_minutes"]


@pytest.fixture()
def planned():
    """T1: J1 (10 min away), J2 (crew of two with T2, late), a lunch break, a late departure;
    T2: J2 only; J3 unassigned."""
    problem = make_problem(
        [tech("T1", breaks=[(3 * H, 4 * H, 30 * M)]), tech("T2", x=30)],
        [job("J1", x=10), job("J2", x=30, crew_size=2, due_s=H), job("J3", x=5, dispatchable=False)])
    r1 = route(problem, "T1", [("J1", 20 * M), ("J2", 2 * H)], breaks=[(3 * H, 3 * H + 30 * M)],
               departure_s=10 * M)
    r2 = route(problem, "T2", [("J2", 2 * H)])
    plan = make_plan(problem, [r1, r2], {"J3": "job J3 is not dispatchable"})
    plan = Plan(scenario=plan.scenario, clock=plan.clock,
                solver=SolverInfo(backend="test", time_limit_s=5, seed=3, status="feasible",
                                  objective=123.5, wall_s=0.25),
                routes=plan.routes, unassigned=plan.unassigned)
    violations = verify(problem, plan)
    assert violations == [], format_violations(violations)
    return problem, plan


def test_json_round_trip_keeps_every_decision_and_figure(planned):
    problem, plan = planned
    data = plan.to_json()
    back = Plan.from_json(problem, json.loads(json.dumps(data)))
    assert back == plan
    assert back.solver == plan.solver and back.routes[0].departure_s == 10 * M
    assert back.to_json() == data
    assert verify(problem, back) == []


def test_json_is_the_v1_contract(planned):
    _, plan = planned
    data = plan.with_kpis({"on_time_rate": 0.5}).to_json()
    assert set(data) == {"scenario", "solver", "routes", "unassigned", "kpis"}
    assert data["solver"] == {"backend": "test", "time_limit_s": 5, "seed": 3, "status": "feasible",
                              "objective": 123.5, "wall_s": 0.25}
    first = data["routes"][0]
    assert first["technician"] == "T1" and first["departure"] == "2026-11-23T08:10"
    assert first["visits"][0] == {"job": "J1", "sent_at": "2026-11-23T08:10",
                                  "arrival": "2026-11-23T08:20", "start": "2026-11-23T08:20",
                                  "end": "2026-11-23T08:50", "travel_minutes": 10.0, "distance_km": 10.0,
                                  "late_minutes": 0.0}
    assert first["visits"][1]["late_minutes"] == 60.0           # J2 due 09:00, started 10:00
    assert first["breaks"] == [{"start": "2026-11-23T11:00", "end": "2026-11-23T11:30"}]
    assert first["return"] == {"arrival": plan.clock.to_iso(plan.routes[0].ret.arrival_s),
                               "travel_minutes": 30.0, "distance_km": 30.0}       # J2 (x=30) -> home
    assert data["unassigned"] == [{"job": "J3", "reason": "job J3 is not dispatchable"}]
    assert data["kpis"] == {"on_time_rate": 0.5}
    assert "kpis" not in plan.to_json()


def test_save_and_load(planned, tmp_path):
    problem, plan = planned
    path = tmp_path / "plan.json"
    plan.save(path)
    assert json.loads(path.read_text(encoding="utf-8")) == plan.to_json()
    assert Plan.load(problem, path) == plan


def test_load_rejects_text_that_is_not_json(planned, tmp_path):
    problem, _ = planned
    path = tmp_path / "plan.json"
    path.write_text("{routes: [", encoding="utf-8")
    with pytest.raises(PlanFormatError, match=r"plan\.json: not valid JSON"):
        Plan.load(problem, path)


def _broken(plan: Plan, change) -> dict:
    data = copy.deepcopy(plan.to_json())
    change(data)
    return data


@pytest.mark.parametrize("change, match", [
    (lambda d: d.pop("routes"), r"x\.json: plan: missing key 'routes'"),
    (lambda d: d.__setitem__("routes", {"T1": []}), r"plan\.routes: expected a list, got dict"),
    (lambda d: d["routes"].__setitem__(0, "T1"), r"routes\[0\]: expected an object, got str"),
    (lambda d: d["routes"][1].pop("technician"), r"routes\[1\]: missing key 'technician'"),
    (lambda d: d["routes"][0]["visits"][1].pop("start"),
     r"routes\[0\] \(technician 'T1'\)\.visits\[1\]: missing key 'start'"),
    (lambda d: d["routes"][0]["visits"][0].__setitem__("arrival", "soon"),
     r"routes\[0\] \(technician 'T1'\)\.visits\[0\]\.arrival: bad time 'soon'"),
    (lambda d: d["routes"][0]["visits"][0].__setitem__("travel_minutes", "ten"),
     r"visits\[0\]\.travel_minutes: not a number: 'ten'"),
    (lambda d: d["routes"][1]["visits"][0].__setitem__("distance_km", None),
     r"routes\[1\] \(technician 'T2'\)\.visits\[0\]\.distance_km: not a number: None"),
    (lambda d: d["routes"][0]["visits"][1].__setitem__("late_minutes", [1]),
     r"visits\[1\]\.late_minutes: not a number: \[1\]"),
    (lambda d: d["routes"][0].__setitem__("visits", "J1"), r"\(technician 'T1'\)\.visits: expected a list"),
    (lambda d: d["routes"][0]["breaks"][0].pop("end"), r"\(technician 'T1'\)\.breaks\[0\]: missing key 'end'"),
    (lambda d: d["routes"][0]["breaks"][0].__setitem__("start", "11h"),
     r"\(technician 'T1'\)\.breaks\[0\]\.start: bad time '11h'"),
    (lambda d: d["routes"][0]["return"].pop("arrival"), r"\(technician 'T1'\)\.return: missing key 'arrival'"),
    (lambda d: d["routes"][0]["return"].__setitem__("travel_minutes", "x"),
     r"\(technician 'T1'\)\.return\.travel_minutes: not a number: 'x'"),
    (lambda d: d["routes"][0].__setitem__("return", 5), r"\(technician 'T1'\)\.return: expected an object"),
    (lambda d: d["routes"][0].__setitem__("departure", "at ten"),
     r"\(technician 'T1'\)\.departure: bad time 'at ten'"),
    (lambda d: d["solver"].__setitem__("seed", "three"), r"solver\.seed: not an integer: 'three'"),
    (lambda d: d["solver"].__setitem__("time_limit_s", "long"), r"solver\.time_limit_s: not a number: 'long'"),
    (lambda d: d["solver"].__setitem__("objective", {}), r"solver\.objective: not a number: \{\}"),
    (lambda d: d.__setitem__("solver", ["ortools"]), r"solver: expected an object, got list"),
    (lambda d: d["unassigned"][0].pop("job"), r"unassigned\[0\]: missing key 'job'"),
    (lambda d: d.__setitem__("unassigned", "J3"), r"plan\.unassigned: expected a list, got str"),
])
def test_from_json_errors_name_the_field_and_value(planned, change, match):
    problem, plan = planned
    with pytest.raises(PlanFormatError, match=match) as info:
        Plan.from_json(problem, _broken(plan, change), source="x.json")
    assert isinstance(info.value, DispatchOptError) and isinstance(info.value, ValueError)
    assert str(info.value).startswith("x.json: ")


def test_from_json_rejects_a_document_that_is_not_an_object(planned):
    problem, _ = planned
    with pytest.raises(PlanFormatError, match=r"<plan>: plan: expected an object, got list"):
        Plan.from_json(problem, [])


def test_from_json_defaults_optional_keys(planned):
    problem, _ = planned
    data = {"routes": [{"technician": "T1"}]}
    plan = Plan.from_json(problem, data)
    assert plan.scenario == problem.name and plan.unassigned == () and plan.kpis is None
    assert plan.solver == SolverInfo(backend="unknown")
    assert plan.routes[0].visits == () and plan.routes[0].ret is None and plan.routes[0].departure_s is None


def test_lookups(planned):
    _, plan = planned
    assert plan.route("T2").job_ids == ["J2"] and plan.route("nobody") is None
    assert plan.assigned_job_ids() == {"J1", "J2"}
    assert [t for t, _ in plan.visits_of("J2")] == ["T1", "T2"] and plan.visits_of("J3") == []


def test_to_frame_one_row_per_visit(planned):
    problem, plan = planned
    frame = plan.to_frame()
    assert list(frame.columns) == VISIT_COLUMNS
    assert list(zip(frame.technician, frame.sequence, frame.job)) == [("T1", 0, "J1"), ("T1", 1, "J2"),
                                                                      ("T2", 0, "J2")]
    first = frame.iloc[0]
    assert first.start == pd.Timestamp("2026-11-23T08:20", tz=problem.clock.timezone)
    assert first.end - first.start == pd.Timedelta(minutes=30)
    assert (first.travel_minutes, first.distance_km, first.late_minutes) == (10.0, 10.0, 0.0)
    assert frame.late_minutes.tolist() == [0.0, 60.0, 60.0]
    assert frame.travel_minutes.sum() == pytest.approx(sum(v.travel_s for r in plan.routes for v in r.visits) / 60)


def test_unassigned_frame(planned):
    _, plan = planned
    frame = plan.unassigned_frame()
    assert list(frame.columns) == ["job", "reason"]
    assert frame.to_dict("records") == [{"job": "J3", "reason": "job J3 is not dispatchable"}]


def test_frames_of_an_empty_plan_keep_their_columns(planned):
    problem, _ = planned
    empty = make_plan(problem, [], fill_unassigned=False)
    assert list(empty.to_frame().columns) == VISIT_COLUMNS and len(empty.to_frame()) == 0
    assert list(empty.unassigned_frame().columns) == ["job", "reason"] and len(empty.unassigned_frame()) == 0


def test_sent_at_is_optional_on_read_so_v1_plans_load(planned):
    problem, plan = planned
    data = json.loads(json.dumps(plan.to_json()))
    for route in data["routes"]:
        for visit in route["visits"]:
            del visit["sent_at"]
    back = Plan.from_json(problem, data)
    assert all(v.sent_s is None for r in back.routes for v in r.visits)
    assert "sent_at" not in back.to_json()["routes"][0]["visits"][0]
    assert verify(problem, back) == []
    frame = plan.to_frame()
    assert list(frame.columns[:5]) == ["technician", "sequence", "job", "sent", "arrival"]
    assert str(frame["sent"].iloc[0]).startswith("2026-11-23 08:10")


def test_day_copy_routes_carry_person_and_day():
    from dispatchopt.plan import day_copy_keys

    assert day_copy_keys("T01@2026-12-08") == {"person": "T01", "day": "2026-12-08"}
    assert day_copy_keys("T01") == {}
    assert day_copy_keys("crew@north") == {}
