"""The busy-day generator (issue 11 item 1): the load knob comes out as asked, jobs cluster in
hot spots, emergencies arrive before the day shift, standard work has 2-hour windows, drainage
needs crews; busy days load, every dispatchable job has a qualified lead, greedy plans verify;
the bundled benchmark days are what the generator makes."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from dispatchopt import rules
from dispatchopt.audit.verify import verify
from dispatchopt.errors import DispatchOptError, ParameterError
from dispatchopt.scenario import problem_from_dict
from dispatchopt.solvers import solve
from dispatchopt.synth import generate_scenario, load_of, scenario_summary
from dispatchopt.synth.common import haversine_m, to_min

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"_synth_script_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_by_hand(data: dict) -> float:
    """The issue's definition, recomputed here from the dict without the generator's helpers."""
    work = 0
    for tech in data["technicians"]:
        if tech.get("trainee"):
            continue
        shifts = tech["shift"] if isinstance(tech["shift"], list) else [tech["shift"]]
        minutes = sum((to_min(s["end"]) - to_min(s["start"])) % (24 * 60) for s in shifts)
        minutes -= sum(b["minutes"] for b in tech.get("breaks", []))
        work += min(minutes, tech.get("max_work_minutes", minutes))
    service = sum(j["duration_minutes"] * j.get("crew_size", 1) for j in data["jobs"]
                  if j.get("dispatchable", True))
    return service / work


@pytest.mark.parametrize("load", [0.7, 1.0, 1.3])
@pytest.mark.parametrize("size", [(40, 300), (150, 2000)])
def test_load_comes_out_as_asked(load, size):
    data = generate_scenario(*size, seed=5, load=load)
    assert _load_by_hand(data) == pytest.approx(load, abs=0.002)
    assert load_of(data) == pytest.approx(_load_by_hand(data))
    assert scenario_summary(data)["load"] == pytest.approx(load, abs=0.002)
    assert all(j["duration_minutes"] % 5 == 0 and j["duration_minutes"] >= 10 for j in data["jobs"])


def test_higher_load_means_longer_jobs_not_other_jobs():
    light, heavy = (generate_scenario(40, 300, seed=5, load=x) for x in (0.7, 1.3))
    strip = [{k: v for k, v in j.items() if k != "duration_minutes"} for j in light["jobs"]]
    assert strip == [{k: v for k, v in j.items() if k != "duration_minutes"} for j in heavy["jobs"]]
    assert sum(j["duration_minutes"] for j in heavy["jobs"]) > 1.7 * sum(j["duration_minutes"] for j in light["jobs"])


def _mean_nearest_km(data: dict) -> float:
    points = [(j["location"]["lat"], j["location"]["lon"]) for j in data["jobs"]]
    total = 0.0
    for i, (lat, lon) in enumerate(points):
        total += min(haversine_m(lat, lon, a, b) for k, (a, b) in enumerate(points) if k != i)
    return total / len(points) / 1000


def test_hot_spots_cluster_the_jobs():
    spread = generate_scenario(40, 300, seed=5, load=1.0, hotspots=0)
    clustered = generate_scenario(40, 300, seed=5, load=1.0, hotspots=2)
    assert _mean_nearest_km(clustered) < 0.8 * _mean_nearest_km(spread)
    # The spots only move addresses: the same load.
    assert load_of(clustered) == pytest.approx(1.0, abs=0.002)


def test_busy_day_has_early_emergencies_two_hour_windows_and_drainage_crews():
    data = generate_scenario(150, 2000, seed=5, load=1.2)
    start = data["start"][:10]
    urgent = [j for j in data["jobs"] if j["category"] in ("emergency", "major_leak")]
    early = [j for j in urgent if j["received_at"][:10] == start and j["received_at"][11:] <= "08:30"]
    assert len(early) >= 0.25 * len(urgent)
    windows = [j["window"] for j in data["jobs"] if "window" in j]
    assert windows and all(to_min(w["end"][11:]) - to_min(w["start"][11:]) == 120 for w in windows)
    standard = [j for j in data["jobs"] if j["category"] == "standard"]
    assert sum(1 for j in standard if "window" in j) >= 0.5 * len(standard)
    drainage = [j for j in data["jobs"] if j["category"] == "drainage"]
    assert 0.2 * len(drainage) <= sum(1 for j in drainage if j.get("crew_size", 1) == 2) <= 0.6 * len(drainage)
    depots = {(t["start"]["lat"], t["start"]["lon"]) for t in data["technicians"]}
    assert len(depots) == 8             # neighbourhood stations on a large roster


def test_quiet_default_day_has_none_of_it():
    data = generate_scenario(150, 2000, seed=5)
    assert not any(j["category"] == "drainage" and j.get("crew_size", 1) == 2 for j in data["jobs"])
    assert len({(t["start"]["lat"], t["start"]["lon"]) for t in data["technicians"]}) == 4


@pytest.mark.parametrize("n_techs,n_jobs,load", [(3, 12, 1.0), (12, 80, 1.3), (40, 300, 0.7)])
def test_busy_days_load_are_servable_and_greedy_plans_verify(n_techs, n_jobs, load):
    data = generate_scenario(n_techs, n_jobs, seed=9, load=load)
    problem = problem_from_dict(json.loads(json.dumps(data)), source="<busy>")
    assert len(problem.technicians) == n_techs and len(problem.jobs) == n_jobs
    for job in problem.jobs:
        if job.dispatchable:
            assert rules.qualification_reason(problem, job) is None, job.id
    plan = solve(problem, backend="greedy").plan
    assert verify(problem, plan) == []
    assert plan.assigned_job_ids()


def test_same_seed_same_busy_day():
    assert generate_scenario(12, 80, seed=3, load=1.1) == generate_scenario(12, 80, seed=3, load=1.1)
    assert generate_scenario(12, 80, seed=3, load=1.1) != generate_scenario(12, 80, seed=4, load=1.1)


@pytest.mark.parametrize("kwargs,field", [
    ({"load": 0}, "load"), ({"load": 3.5}, "load"), ({"hotspots": -1}, "hotspots"),
    ({"target_load": 0}, "target_load"), ({"date": "23/11/2026"}, "date"),
    ({"start_time": "7h"}, "start_time")])
def test_bad_knobs_are_parameter_errors_naming_the_field(kwargs, field):
    with pytest.raises(ParameterError, match=rf"{field} must be .*got") as info:
        generate_scenario(4, 10, **kwargs)
    assert isinstance(info.value, DispatchOptError) and isinstance(info.value, ValueError)
    with pytest.raises(ParameterError, match="n_technicians must be >= 1, got 0"):
        generate_scenario(0, 10)


@pytest.mark.parametrize("file_name", ["day_40x300_load0.9.yaml", "day_150x2000_load1.2.yaml"])
def test_bundled_bench_days_are_what_the_generator_makes(file_name):
    gen = _script("generate_scenario")
    made = gen.bench_day(*gen.BENCH_DAYS[file_name])
    path = ROOT / "scenarios" / "bench" / file_name
    on_disk = _script("check_plan_json")._read_structured(path)
    assert on_disk == json.loads(json.dumps(made)), \
        f"scenarios/bench/{file_name} is stale: run python scripts/generate_scenario.py --bundled"
    n_techs, _, load, _ = gen.BENCH_DAYS[file_name]
    assert math.isclose(load_of(made), load, abs_tol=0.002) and len(made["technicians"]) == n_techs


def test_script_writes_a_busy_day(tmp_path):
    out = tmp_path / "busy.json"
    assert _script("generate_scenario").main(["--technicians", "12", "--jobs", "80", "--load", "1.3",
                                              "--hotspots", "2", "--seed", "4", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data == json.loads(json.dumps(generate_scenario(12, 80, seed=4, load=1.3, hotspots=2)))
    assert load_of(data) == pytest.approx(1.3, abs=0.002)
