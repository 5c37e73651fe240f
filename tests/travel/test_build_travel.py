"""build_travel_matrix: the problem's model picks the builder; one matrix over distinct locations.
matrix_of: built once per Problem; attach_matrix: a ready matrix given to a Problem."""

import datetime as dt

import networkx as nx
import pytest

from dispatchopt.domain import DEFAULT_SLA, Clock, Job, Location, Objective, Problem, Shift, Technician, TravelSpec
from dispatchopt.errors import TravelError
from dispatchopt.travel import attach_matrix, build_travel_matrix, matrix_for_locations, matrix_of


def make_problem(travel: TravelSpec, depot: Location, sites: list[Location]) -> Problem:
    tech = Technician(id="T01", skills={"plumbing": 1}, shifts=(Shift(0, 8 * 3600),), start=depot, end=depot)
    jobs = tuple(Job(id=f"J{k}", location=loc, category="standard", skills={}, duration_s=600,
                     received_s=0, due_s=3600) for k, loc in enumerate(sites))
    return Problem(name="t", clock=Clock.create(dt.datetime(2026, 11, 23, 8), "Asia/Shanghai"),
                   end_s=86400, travel=travel, sla=dict(DEFAULT_SLA), objective=Objective(),
                   technicians=(tech,), jobs=jobs)


def test_haversine_problem_matrix_is_built_once_over_distinct_locations():
    depot = Location(lat=36.07, lon=120.38)
    sites = [Location(lat=36.06, lon=120.33), Location(lat=36.06, lon=120.33)]
    problem = make_problem(TravelSpec(model="haversine"), depot, sites)
    m = matrix_of(problem)
    assert matrix_of(problem) is m
    assert build_travel_matrix(problem) is not m   # a builder call makes a new one
    assert m.seconds.shape == (2, 2)              # depot start == end, the two sites coincide
    assert m.travel_s(depot, sites[1]) == m.travel_s(sites[0], depot) > 0


def test_graph_problem(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", length=2500.0)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    problem = make_problem(TravelSpec(model="graph", graph=str(path), speed_kmh=50), Location(node="a"),
                           [Location(node="b")])
    assert build_travel_matrix(problem).travel_s(Location(node="a"), Location(node="b")) == 180


def test_matrix_problem(tmp_path):
    path = tmp_path / "travel.csv"
    path.write_text("from,to,minutes\nT01,J0,4\n")
    problem = make_problem(TravelSpec(model="matrix", matrix=str(path)), Location(id="T01"), [Location(id="J0")])
    assert build_travel_matrix(problem).seconds.tolist() == [[0, 240], [240, 0]]


def test_unknown_model_is_a_travel_error():
    problem = make_problem(TravelSpec(model="teleport"), Location(x=0, y=0), [])
    with pytest.raises(TravelError, match="unknown model 'teleport'"):
        build_travel_matrix(problem)


def test_matrix_of_is_rebuilt_for_a_replaced_problem_and_kept_out_of_its_value():
    depot = Location(x=0, y=0)
    problem = make_problem(TravelSpec(model="euclidean", speed_kmh=1.0), depot, [Location(x=3, y=4)])
    before = hash(problem)
    m = matrix_of(problem)
    assert hash(problem) == before                 # derived data is not part of the value
    moved = problem.replace(jobs=(Job(id="J0", location=Location(x=6, y=8), category="standard", skills={},
                                      duration_s=600, received_s=0, due_s=3600),))
    assert matrix_of(moved) is not m
    assert matrix_of(moved).travel_s(depot, Location(x=6, y=8)) == 10 * 60
    assert matrix_of(problem) is m


def test_attach_matrix_gives_a_ready_superset_matrix():
    depot, site, extra = Location(x=0, y=0), Location(x=3, y=4), Location(x=30, y=40)
    problem = make_problem(TravelSpec(model="euclidean", speed_kmh=1.0), depot, [site])
    bigger = matrix_for_locations([extra, site, depot], problem.travel)   # more rows, other order
    assert attach_matrix(problem, bigger) is problem
    assert matrix_of(problem) is bigger
    assert matrix_of(problem).travel_s(depot, site) == 5 * 60


def test_attach_matrix_missing_a_location_is_a_travel_error():
    depot, site = Location(x=0, y=0), Location(x=3, y=4)
    problem = make_problem(TravelSpec(model="euclidean", speed_kmh=1.0), depot, [site])
    partial = matrix_for_locations([depot], problem.travel)
    with pytest.raises(TravelError, match=r"no row for job 'J0' location"):
        attach_matrix(problem, partial)
    assert matrix_of(problem).travel_s(depot, site) == 5 * 60   # still builds its own


def test_the_problem_matrix_is_read_only():
    depot = Location(x=0, y=0)
    problem = make_problem(TravelSpec(model="euclidean", speed_kmh=1.0), depot, [Location(x=3, y=4)])
    m = matrix_of(problem)
    with pytest.raises(ValueError, match="read-only"):
        m.seconds[0, 1] = 0
    with pytest.raises(ValueError, match="read-only"):
        m.metres[0, 1] = 0.0
    assert m.travel_s(depot, Location(x=3, y=4)) == 5 * 60
