"""The bundled scenarios (scenarios/), the random generator and the independent plan checker.

* every bundled scenario loads with ``dispatchopt.scenario.load_scenario`` and has the features
  scenarios/README.md promises;
* the generated bundled files are what the generator makes today (regenerate with
  ``python scripts/generate_scenario.py --bundled``); the table form equals small.yaml;
* ``generate_scenario`` is deterministic per seed and makes loadable scenarios in which every
  dispatchable job can be served by someone;
* ``scripts/check_plan_json.py`` imports nothing from dispatchopt, accepts a verified plan and
  rejects broken ones.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dispatchopt import rules
from dispatchopt.audit.verify import verify
from dispatchopt.scenario import load_scenario, problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.synth import generate_scenario
from dispatchopt.travel import matrix_of

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SCRIPTS = ROOT / "scripts"

BUNDLED = {
    "small": SCENARIOS / "small.yaml",
    "city_day": SCENARIOS / "city_day.yaml",
    "road_graph": SCENARIOS / "road_graph" / "scenario.yaml",
    "road_graph_closure": SCENARIOS / "road_graph" / "closure.yaml",
    "tables_dir": SCENARIOS / "tables",
    "tables_yaml": SCENARIOS / "tables" / "scenario.yaml",
}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"_script_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw(path: Path) -> dict:
    """A scenario file as plain data, clock times and dates kept as strings (as the loader reads)."""
    return _script("check_plan_json")._read_structured(path)


# ------------------------------------------------------------------------------------------
# bundled scenarios
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_scenario_loads(name):
    problem = load_scenario(BUNDLED[name])
    assert problem.technicians and problem.jobs
    assert str(problem.clock.plan_day) == "2026-11-23"
    assert problem.clock.timezone == "Asia/Shanghai"
    matrix = matrix_of(problem)
    assert matrix.seconds.shape[0] >= len({j.location.key() for j in problem.jobs})
    assert (matrix.seconds < 3 * 3600).all(), "every place should be reachable within the city"


def test_small_has_the_promised_features():
    problem = load_scenario(BUNDLED["small"])
    assert len(problem.technicians) == 8 and len(problem.jobs) == 40
    trades = {s for t in problem.technicians for s in t.skills}
    assert {"plumbing", "electrical", "drain_clearing", "appliance", "meter"} <= trades
    day = problem.clock.plan_day
    near = [t for t in problem.technicians for s, exp in t.certificates.items() if 0 <= (exp - day).days <= 14]
    assert near, "one certificate near expiry but valid"
    assert sum(1 for t in problem.technicians if t.trainee) == 1
    assert all(t.breaks and t.breaks[0].duration_s == 3600 for t in problem.technicians)
    assert sum(1 for j in problem.jobs if j.category in ("emergency", "major_leak")) in (2, 3)
    assert sum(1 for j in problem.jobs if j.crew_size == 2) == 1
    assert sum(1 for j in problem.jobs if j.pinned_to) == 1
    assert sum(1 for j in problem.jobs if not j.dispatchable) == 1
    assert sum(1 for j in problem.jobs if j.window) >= 3
    for job in problem.jobs:
        if job.dispatchable:
            assert rules.qualification_reason(problem, job) is None, job.id


def test_city_day_has_every_feature():
    problem = load_scenario(BUNDLED["city_day"])
    techs, jobs = problem.technicians, problem.jobs
    assert len(techs) == 40 and len(jobs) == 400
    day = problem.clock.plan_day
    # Shifts: split day shifts, 24 h on-call crossing midnight, a night crew.
    assert sum(1 for t in techs if len(t.shifts) == 2) >= 5
    on_call = [t for t in techs if t.shift_end_s - t.shift_start_s >= 20 * 3600]
    assert 2 <= len(on_call) <= 4
    assert any(t.shift_start_s >= 12 * 3600 and t.shift_end_s > 86400 - 3600 for t in techs), "night crew"
    # Trainees, crews (a trainee may be the second member), expired certificate.
    trainees = [t for t in techs if t.trainee]
    assert len(trainees) >= 2
    crew_jobs = [j for j in jobs if j.crew_size > 1]
    assert len(crew_jobs) >= 10
    assert any(rules.can_assist(problem, tr, j) for tr in trainees for j in crew_jobs)
    expired = [t for t in techs if "electrical" in t.certificates and t.certificates["electrical"] < day]
    assert len(expired) == 1
    # Emergencies received before the day shift that an on-call technician may lead.
    early = [j for j in jobs if j.category in ("emergency", "major_leak", "road_repair")
             and j.received_s < 90 * 60]
    assert early and all(any(rules.can_lead(problem, t, j) for t in on_call) for j in early)
    cats = {j.category for j in jobs}
    assert {"emergency", "major_leak", "road_repair", "urgent", "drainage", "small_repair", "standard",
            "meter_change", "survey", "installation"} <= cats
    assert sum(1 for j in jobs if j.window) >= 50
    assert any(j.demand for j in jobs) and any(t.capacity for t in techs)
    assert any(t.max_jobs for t in techs) and any(t.max_work_s for t in techs)
    assert any(len(j.pinned_to) == 2 for j in jobs) and sum(1 for j in jobs if j.pinned_to) >= 3
    assert 2 <= sum(1 for j in jobs if not j.dispatchable) <= 3
    assert problem.travel.model == "haversine" and problem.travel.speed_kmh == 25 and problem.travel.circuity == 1.3
    for job in jobs:
        if job.dispatchable:
            assert rules.qualification_reason(problem, job) is None, job.id


def test_city_day_file_is_what_the_generator_makes():
    gen = _script("generate_scenario")
    made = generate_scenario(40, 400, seed=gen.CITY_DAY_SEED, name="qingdao-city-day-2026-11-23")
    assert _raw(BUNDLED["city_day"]) == json.loads(json.dumps(made)), \
        "scenarios/city_day.yaml is stale: run python scripts/generate_scenario.py --bundled"


def test_tables_equal_small_yaml():
    small, tables = load_scenario(BUNDLED["small"]), load_scenario(BUNDLED["tables_dir"])
    assert tables.technicians == small.technicians
    assert tables.jobs == small.jobs
    assert tables.travel == small.travel and tables.clock == small.clock and tables.end_s == small.end_s


def test_road_graph_closure_closes_a_bridge():
    import networkx as nx

    graph = nx.read_graphml(SCENARIOS / "road_graph" / "roads.graphml")
    assert graph.number_of_nodes() >= 800 and nx.is_connected(graph)
    assert all("lat" in d and "lon" in d for _, d in graph.nodes(data=True))
    assert all(float(d["length"]) > 0 for _, _, d in graph.edges(data=True))
    base, closure = _raw(BUNDLED["road_graph"]), _raw(BUNDLED["road_graph_closure"])
    closed = closure["travel"].pop("closed_edges")
    assert len(closed) >= 2 and all(graph.has_edge(str(a), str(b)) for a, b in closed)
    assert any(graph.edges[str(a), str(b)].get("bridge") for a, b in closed)
    assert {k: v for k, v in closure.items() if k != "name"} == {k: v for k, v in base.items() if k != "name"}
    open_m = matrix_of(load_scenario(BUNDLED["road_graph"])).seconds
    closed_m = matrix_of(load_scenario(BUNDLED["road_graph_closure"])).seconds
    assert (closed_m >= open_m).all() and (closed_m > open_m).any()


# ------------------------------------------------------------------------------------------
# the generator
# ------------------------------------------------------------------------------------------
def test_generator_is_deterministic_per_seed():
    assert generate_scenario(12, 80, seed=3) == generate_scenario(12, 80, seed=3)
    assert generate_scenario(12, 80, seed=3) != generate_scenario(12, 80, seed=4)


@pytest.mark.parametrize("n_techs,n_jobs,crews", [(1, 0, True), (1, 5, True), (3, 12, True), (8, 40, True),
                                                  (12, 60, False), (40, 400, True), (150, 2000, True)])
def test_generated_scenarios_load_and_are_servable(n_techs, n_jobs, crews):
    data = generate_scenario(n_techs, n_jobs, seed=7, with_crews=crews)
    problem = problem_from_dict(json.loads(json.dumps(data)), source="<generated>")
    assert len(problem.technicians) == n_techs and len(problem.jobs) == n_jobs
    if not crews:
        assert all(j.crew_size == 1 for j in problem.jobs) and not any(t.trainee for t in problem.technicians)
    for job in problem.jobs:
        if job.dispatchable:
            assert rules.qualification_reason(problem, job) is None, (job.id, rules.qualification_reason(problem, job))


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_technicians"):
        generate_scenario(0, 10)
    with pytest.raises(ValueError, match="date"):
        generate_scenario(2, 10, date="23/11/2026")


def test_generate_script_writes_yaml_and_json(tmp_path):
    for name, extra in (("s.yaml", []), ("s.json", ["--json"])):
        out = tmp_path / name
        done = subprocess.run([sys.executable, str(SCRIPTS / "generate_scenario.py"), "--technicians", "6",
                               "--jobs", "30", "--seed", "2", "--out", str(out), *extra],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        problem = load_scenario(out)
        assert len(problem.technicians) == 6 and len(problem.jobs) == 30
    assert yaml.safe_load((tmp_path / "s.yaml").read_text())["name"] == json.loads((tmp_path / "s.json").read_text())["name"]


# ------------------------------------------------------------------------------------------
# the independent checker
# ------------------------------------------------------------------------------------------
def test_checker_imports_nothing_from_dispatchopt():
    tree = ast.parse((SCRIPTS / "check_plan_json.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "dispatchopt" not in imported
    assert imported <= {"__future__", "argparse", "csv", "datetime", "json", "math", "re", "sys", "pathlib",
                        "zoneinfo", "yaml", "networkx"}


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    problem = load_scenario(BUNDLED["small"])
    result = solve(problem, backend="greedy", seed=0)
    assert verify(problem, result.plan) == []
    return result.plan.to_json()


def _check(tmp_path, scenario: Path, plan: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return subprocess.run([sys.executable, str(SCRIPTS / "check_plan_json.py"), str(scenario), str(path)],
                          capture_output=True, text=True, timeout=120)


def _visit(plan: dict, job: str):
    for route in plan["routes"]:
        for visit in route["visits"]:
            if visit["job"] == job:
                return route, visit
    return None, None


def test_checker_accepts_a_verified_plan_in_both_forms(tmp_path, small_plan):
    for scenario in (BUNDLED["small"], BUNDLED["tables_dir"]):
        done = _check(tmp_path, scenario, small_plan)
        assert done.returncode == 0, done.stdout + done.stderr
        n_visits = sum(len(r["visits"]) for r in small_plan["routes"])
        assert done.stdout.strip() == f"OK {n_visits} visits"


def _planned_job(plan: dict, *, crew: bool = False) -> tuple[dict, dict]:
    counts: dict[str, int] = {}
    for route in plan["routes"]:
        for visit in route["visits"]:
            counts[visit["job"]] = counts.get(visit["job"], 0) + 1
    job = next(j for j, c in sorted(counts.items()) if (c > 1) == crew)
    return _visit(plan, job)


def test_checker_rejects_a_visit_before_the_job_was_received(tmp_path, small_plan):
    plan = copy.deepcopy(small_plan)
    route, visit = _visit(plan, "J03")           # major leak received 14:05
    assert visit is not None, "greedy left J03 unassigned"
    visit["arrival"] = visit["start"] = "2026-11-23T14:00"
    visit["end"] = "2026-11-23T15:15"
    done = _check(tmp_path, BUNDLED["small"], plan)
    assert done.returncode == 1 and "before the job was received" in done.stdout


def test_checker_rejects_a_missing_job_and_a_planned_undispatchable_one(tmp_path, small_plan):
    plan = copy.deepcopy(small_plan)
    route, visit = _planned_job(plan)
    route["visits"].remove(visit)
    plan["unassigned"] = [u for u in plan["unassigned"] if u["job"] != "J26"]
    other = next(r for r in plan["routes"] if r["visits"])
    other["visits"].append(dict(other["visits"][-1], job="J26"))
    done = _check(tmp_path, BUNDLED["small"], plan)
    assert done.returncode == 1
    assert f"job {visit['job']}: neither planned nor unassigned" in done.stdout
    assert "job J26: not dispatchable but planned" in done.stdout


def test_checker_rejects_a_crew_starting_apart_and_a_lone_trainee(tmp_path, small_plan):
    plan = copy.deepcopy(small_plan)
    route, visit = _planned_job(plan, crew=True)
    job = visit["job"]
    crew = [r for r in plan["routes"] if any(v["job"] == job for v in r["visits"])]
    lead = next(r for r in crew if r["technician"] != "T08")
    lead["visits"] = [v for v in lead["visits"] if v["job"] != job]
    done = _check(tmp_path, BUNDLED["small"], plan)
    assert done.returncode == 1
    assert f"job {job}: crew_size 2 but 1 visits" in done.stdout
    assert f"job {job}: nobody in ['T08'] may lead it" in done.stdout


def test_checker_rejects_missing_breaks_and_wrong_travel(tmp_path, small_plan):
    plan = copy.deepcopy(small_plan)
    for route in plan["routes"]:
        route["breaks"] = []
    route, visit = _planned_job(plan)
    visit["travel_minutes"] = float(visit["travel_minutes"]) + 5
    done = _check(tmp_path, BUNDLED["small"], plan)
    assert done.returncode == 1
    assert "owes a 60-min break" in done.stdout
    assert f"(job '{visit['job']}'): travel_minutes" in done.stdout


def test_checker_rejects_an_expired_certificate(tmp_path, small_plan):
    scenario = _raw(BUNDLED["small"])
    plan = copy.deepcopy(small_plan)
    route = next(r for r in plan["routes"] if r["technician"] in ("T03", "T04")
                 and any(v["job"] in ("J02", "J05", "J11", "J14", "J21", "J24", "J27", "J38") for v in r["visits"]))
    tech = next(t for t in scenario["technicians"] if t["id"] == route["technician"])
    tech["certificates"]["electrical"] = "2026-11-22"      # expired the day before
    path = tmp_path / "expired.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    done = _check(tmp_path, path, plan)
    assert done.returncode == 1 and "electrical certificate expired 2026-11-22" in done.stdout


def test_checker_exit_2_on_unreadable_input(tmp_path):
    done = _check(tmp_path, tmp_path / "nope.yaml", {"routes": []})
    assert done.returncode == 2 and "error:" in done.stderr
