"""travel.extend: a matrix grown by new locations holds the numbers of a full rebuild."""

import networkx as nx
import numpy as np
import pytest

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.travel import matrix_for_locations
from dispatchopt.travel.extend import closed_form_km, extend_matrix

RNG = np.random.default_rng(7)
LATLON = [Location(lat=36.0 + a / 10, lon=120.3 + b / 10) for a, b in RNG.random((12, 2))]
XY = [Location(x=float(a), y=float(b)) for a, b in RNG.random((12, 2)) * 100]


@pytest.mark.parametrize("spec, places", [
    (TravelSpec(model="haversine", speed_kmh=25, circuity=1.3, speed_factor=0.8), LATLON),
    (TravelSpec(model="euclidean", speed_kmh=1.0), XY),
    (TravelSpec(model="euclidean", speed_kmh=1.0, dimacs=True), XY),
])
def test_extended_matrix_equals_a_full_rebuild(spec, places):
    old = matrix_for_locations(places[:8], spec)
    grown = extend_matrix(spec, old, places[8:] + places[:2])     # two already held: not added again
    full = matrix_for_locations(places, spec)
    assert len(grown.locations) == 12
    assert np.array_equal(grown.seconds, full.seconds)
    assert np.allclose(grown.metres, full.metres, rtol=0, atol=1e-9)
    assert old.seconds.shape == (8, 8)                              # the old one is unchanged
    assert all(grown.index(loc) == i for i, loc in enumerate(places))


def test_graph_model_has_no_closed_form_and_is_rebuilt_keeping_old_rows(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", length=1000.0)
    g.add_edge("b", "c", length=1000.0)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    spec = TravelSpec(model="graph", graph=str(path), speed_kmh=60)
    old = matrix_for_locations([Location(node="c"), Location(node="a")], spec)
    assert closed_form_km(spec, old.locations, [Location(node="b")]) is None
    grown = extend_matrix(spec, old, [Location(node="b")])
    assert grown.index(Location(node="c")) == 0 and grown.index(Location(node="b")) == 2
    assert grown.travel_s(Location(node="a"), Location(node="b")) == 60


def test_nothing_new_returns_the_same_matrix():
    spec = TravelSpec(model="euclidean", speed_kmh=1.0)
    old = matrix_for_locations(XY[:3], spec)
    assert extend_matrix(spec, old, XY[:2]) is old
