"""What-if knobs: each changes what it should and nothing else; variants pickle; the sweep reports deltas.

Problems come from tests/helpers.py (euclidean, speed 1: one unit = one minute). The road-graph
tests write a four-node GraphML into tmp_path.
"""

from __future__ import annotations

import dataclasses
import pickle

import networkx as nx
import pytest
from helpers import H, M, job, make_problem, tech

from dispatchopt.experiments.batch import BatchError
from dispatchopt.domain import TravelSpec
from dispatchopt.errors import ScenarioError, TravelError
from dispatchopt.experiments.whatif import (BASE_LABEL, DEMAND_JITTER_S, build_variants, parse_vary,
                                resolve_closures, run_whatif)
from dispatchopt.travel import matrix_of


def base_problem():
    techs = [tech("T01", {"plumbing": 2}, x=0, y=0),
             tech("T02", {"plumbing": 2}, x=5, y=0),
             tech("T03", {"electrical": 1}, x=0, y=5),
             tech("T04", {"plumbing": 1}, trainee=True)]
    jobs = [job(f"J{i:02d}", x=i, y=1, received_s=(i - 3) * 10 * M) for i in range(1, 11)]
    jobs.append(job("J11", x=2, y=2, window=(2 * H, 4 * H), received_s=0, due_s=4 * H))
    jobs.append(job("J12", x=3, y=3, pinned_to="T01"))
    jobs.append(job("J13", x=4, y=4, dispatchable=False))
    return make_problem(techs, jobs, name="wi")


# ------------------------------------------------------------------------------------- parse
def test_parse_vary_types_and_none():
    vary = parse_vary(["add_technicians=0,2,4", "demand=1.0,1.5", "speed_factor=0.8",
                       "close_roads=none,Main Street,A-B;B-C"])
    assert vary == {"add_technicians": [0, 2, 4], "demand": [1.0, 1.5], "speed_factor": [0.8],
                    "close_roads": [None, "Main Street", "A-B;B-C"]}
    assert all(type(v) is int for v in vary["add_technicians"])


@pytest.mark.parametrize("spec, match", [
    (["crews=1"], "unknown knob 'crews'"),
    (["demand=1.0,lots"], "demand: expected a number, got 'lots'"),
    (["add_technicians=1.5"], "whole number"),
    (["demand"], "expected knob=value"),
    (["demand=1", "demand=2"], "given twice"),
])
def test_parse_vary_errors_name_knob_and_value(spec, match):
    with pytest.raises(BatchError, match=match):
        parse_vary(spec)


# ---------------------------------------------------------------------------------- variants
def test_cartesian_product_labels_and_base_identity():
    base = base_problem()
    variants = build_variants(base, {"add_technicians": [0, 2], "demand": [1.0, 0.5]})
    labels = [label for label, _ in variants]
    assert labels == [BASE_LABEL, "demand=0.5", "add_technicians=2", "add_technicians=2,demand=0.5"]
    assert variants[0][1] is base
    assert variants[3][1].name == "wi__add_technicians=2,demand=0.5"
    assert len(variants[3][1].technicians) == 6 and len(variants[3][1].jobs) == 7


def test_variants_pickle_for_worker_processes():
    base = base_problem()
    matrix_of(base)  # a cached property already computed must not break pickling either
    for _, problem in build_variants(base, {"add_technicians": [1], "demand": [1.5], "speed_factor": [0.5]}):
        clone = pickle.loads(pickle.dumps(problem))
        assert clone == problem


def test_bad_values_and_duplicate_variants():
    base = base_problem()
    with pytest.raises(BatchError, match="add_technicians: expected a whole number >= 0, got -1"):
        build_variants(base, {"add_technicians": [-1]})
    with pytest.raises(BatchError, match="speed_factor: expected a factor > 0, got 0"):
        build_variants(base, {"speed_factor": [0]})
    with pytest.raises(BatchError, match="appears twice"):
        build_variants(base, {"demand": [1.0, 1]})


# ----------------------------------------------------------------------------- add_technicians
def test_add_technicians_clones_most_common_skill_profile():
    base = base_problem()
    (_, problem), = build_variants(base, {"add_technicians": [3]})
    new = problem.technicians[len(base.technicians):]
    assert [t.id for t in new] == ["X01", "X02", "X03"]
    assert all(t.skills == {"plumbing": 2} and not t.trainee for t in new)
    # spread over the profile's technicians (T01, T02) in turn: their depots and shifts
    assert [t.start for t in new] == [base.technician(i).start for i in ("T01", "T02", "T01")]
    assert problem.technicians[: len(base.technicians)] == base.technicians
    assert problem.jobs == base.jobs and problem.travel == base.travel


def test_add_technicians_with_template_and_free_ids():
    base = base_problem()
    base = base.replace(technicians=base.technicians + (dataclasses.replace(base.technician("T01"), id="X01"),))
    (_, problem), = build_variants(base, {"add_technicians": [2]}, template="T03")
    new = problem.technicians[len(base.technicians):]
    assert [t.id for t in new] == ["X02", "X03"]
    assert all(t.skills == {"electrical": 1} for t in new)
    with pytest.raises(ScenarioError, match="template 'T99' is not a technician"):
        build_variants(base, {"add_technicians": [1]}, template="T99")


# ------------------------------------------------------------------------------------- demand
def test_demand_below_one_subsamples_dispatchable_jobs_nested():
    base = base_problem()
    half = dict(build_variants(base, {"demand": [0.5, 0.8]}))
    small, large = half["demand=0.5"], half["demand=0.8"]
    dispatchable = sum(j.dispatchable for j in base.jobs)              # 12
    assert sum(j.dispatchable for j in small.jobs) == round(0.5 * dispatchable)
    assert "J13" in {j.id for j in small.jobs}                          # never-planned job kept
    assert {j.id for j in small.jobs} <= {j.id for j in large.jobs} <= {j.id for j in base.jobs}
    assert all(j in base.jobs for j in small.jobs)                      # the jobs themselves unchanged
    # same seed, same sample; another seed, another sample
    assert build_variants(base, {"demand": [0.5]})[0][1].jobs == small.jobs
    assert build_variants(base, {"demand": [0.5]}, demand_seed=7)[0][1].jobs != small.jobs


def test_demand_above_one_adds_jittered_copies_inside_horizon():
    base = base_problem()
    (_, problem), = build_variants(base, {"demand": [2.5]})
    ids = [j.id for j in problem.jobs]
    assert len(ids) == len(set(ids))
    assert problem.jobs[: len(base.jobs)] == base.jobs
    copies = problem.jobs[len(base.jobs):]
    assert len(copies) == round(2.5 * 12) - 12
    assert any(j.id.endswith("-r2") for j in copies)       # every job copied once before any twice
    for copy in copies:
        original = base.job(copy.id.rsplit("-r", 1)[0])
        shift = copy.received_s - original.received_s
        assert abs(shift) <= DEMAND_JITTER_S
        assert min(original.received_s, 0) <= copy.received_s <= base.end_s
        assert copy.due_s - original.due_s == shift                 # same SLA response time
        assert copy.window == original.window and copy.pinned_to == ()
        if copy.window is not None:
            assert copy.received_s <= copy.window.start_s
        assert dataclasses.replace(copy, id=original.id, received_s=original.received_s,
                                   due_s=original.due_s, pinned_to=original.pinned_to) == original
    assert any(c.received_s != base.job(c.id.rsplit("-r", 1)[0]).received_s for c in copies)
    assert problem.technicians == base.technicians


# -------------------------------------------------------------------------------- speed_factor
def test_speed_factor_slows_every_trip():
    base = base_problem().replace(travel=TravelSpec(model="euclidean", speed_kmh=1.0, speed_factor=0.8))
    (_, problem), = build_variants(base, {"speed_factor": [0.5]})
    assert problem.travel.speed_factor == pytest.approx(0.4)      # relative to the base's factor
    assert problem.jobs == base.jobs and problem.technicians == base.technicians
    slow, fast = matrix_of(problem).seconds, matrix_of(base).seconds
    assert (slow[fast > 0] > fast[fast > 0]).all()


# --------------------------------------------------------------------------------- close_roads
@pytest.fixture
def graph_problem(tmp_path):
    """A-B-C-D in a row (Main Street = A-B, B-C) plus a slow bypass A-D."""
    graph = nx.Graph()
    graph.add_edge("A", "B", minutes=5.0, name="Main Street")
    graph.add_edge("B", "C", minutes=5.0, name="Main Street")
    graph.add_edge("C", "D", minutes=5.0, name="Quay")
    graph.add_edge("A", "D", minutes=60.0, name="Bypass")
    path = tmp_path / "roads.graphml"
    nx.write_graphml(graph, path)
    from dispatchopt.domain import Location

    base = base_problem()
    techs = tuple(dataclasses.replace(t, start=Location(node="A"), end=Location(node="A")) for t in base.technicians)
    jobs = tuple(dataclasses.replace(j, location=Location(node="C")) for j in base.jobs)
    return base.replace(technicians=techs, jobs=jobs, travel=TravelSpec(model="graph", graph=str(path)))


def test_close_roads_by_edge_list_and_by_name(graph_problem):
    base = graph_problem
    variants = dict(build_variants(base, {"close_roads": [None, "B-C", "Main Street"]}))
    assert variants[BASE_LABEL] is base
    assert variants["close_roads=B-C"].travel.closed_edges == (("B", "C"),)
    assert set(variants["close_roads=Main Street"].travel.closed_edges) == {("A", "B"), ("B", "C")}
    a, c = base.technicians[0].start, base.jobs[0].location
    assert matrix_of(base).travel_s(a, c) == 10 * M
    assert matrix_of(variants["close_roads=B-C"]).travel_s(a, c) == 65 * M   # round by the bypass
    assert resolve_closures(base, [("C", "D")]) == (("C", "D"),)


def test_close_roads_errors(graph_problem):
    with pytest.raises(ScenarioError, match="'Nowhere Lane' is neither a road name"):
        build_variants(graph_problem, {"close_roads": ["Nowhere Lane"]})
    with pytest.raises(ScenarioError, match="no road between nodes 'A' and 'C'"):
        build_variants(graph_problem, {"close_roads": ["A-C"]})
    with pytest.raises(ScenarioError, match="need the graph travel model .* uses 'euclidean'"):
        build_variants(base_problem(), {"close_roads": ["B-C"]})


def test_close_roads_on_a_missing_or_unreadable_road_graph(graph_problem, tmp_path):
    missing = graph_problem.replace(travel=TravelSpec(model="graph", graph=str(tmp_path / "gone.graphml")))
    with pytest.raises(ScenarioError, match="close_roads: road graph '.*gone.graphml' not found"):
        build_variants(missing, {"close_roads": ["B-C"]})
    garbled = tmp_path / "garbled.graphml"
    garbled.write_text("<graphml><graph", encoding="utf-8")
    unreadable = graph_problem.replace(travel=TravelSpec(model="graph", graph=str(garbled)))
    with pytest.raises(TravelError, match="cannot read GraphML file .*garbled.graphml"):
        build_variants(unreadable, {"close_roads": ["B-C"]})


# ------------------------------------------------------------------------------------ the sweep
def test_run_whatif_reports_deltas_against_base(tmp_path):
    base = base_problem()
    summary = run_whatif(base, ["demand=1.0,0.5", "add_technicians=0,2"], backend="greedy", seeds=(0,),
                         time_limit_s=5, workers=1, out_dir=tmp_path, progress=False)
    assert list(summary["variant"]) == [BASE_LABEL, "add_technicians=2", "demand=0.5",
                                        "demand=0.5,add_technicians=2"]
    assert list(summary.columns[:3]) == ["variant", "demand", "add_technicians"]
    assert (summary["n_errors"] == 0).all()
    base_row = summary.iloc[0]
    assert base_row["on_time_rate_delta"] == 0 and base_row["travel_minutes_delta"] == 0
    assert list(summary["n_jobs"]) == [13, 13, 7, 7]
    assert list(summary["n_technicians"]) == [4, 6, 4, 6]
    fewer = summary.set_index("variant").loc["demand=0.5"]
    assert fewer["travel_minutes_delta"] == pytest.approx(fewer["travel_minutes"] - base_row["travel_minutes"])
    assert (tmp_path / "whatif.csv").is_file() and (tmp_path / "results.csv").is_file()
