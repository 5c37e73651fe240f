"""Graph model: shortest times over a GraphML road network, closures, snapping, unreachable pairs."""

import logging
import math

import networkx as nx
import numpy as np
import pytest

from dispatchopt.domain import Location, TravelSpec
from dispatchopt.errors import TravelError
from dispatchopt.travel.graph import UNREACHABLE_M, UNREACHABLE_S, graph_matrix


def write(graph, tmp_path, name="roads.graphml") -> str:
    path = tmp_path / name
    nx.write_graphml(graph, path)
    return str(path)


def spec_for(path, **kw) -> TravelSpec:
    kw.setdefault("speed_kmh", 60.0)
    return TravelSpec(model="graph", graph=path, **kw)


def nodes(*names):
    return [Location(node=n) for n in names]


@pytest.fixture
def line(tmp_path):
    """a - b - c, 1 km each; 60 s per edge at 60 km/h."""
    g = nx.Graph()
    g.add_edge("a", "b", length=1000.0)
    g.add_edge("b", "c", length=1000.0)
    return write(g, tmp_path)


@pytest.fixture
def highway(tmp_path):
    """a - c directly: 1 km at 10 km/h (360 s); a - b - c: 1.5 + 1.5 km at 100 km/h (108 s)."""
    g = nx.Graph()
    g.add_edge("a", "c", length=1000.0, speed_kmh=10.0)
    g.add_edge("a", "b", length=1500.0, speed_kmh=100.0)
    g.add_edge("b", "c", length=1500.0, speed_kmh=100.0)
    return write(g, tmp_path)


def test_length_at_default_speed_sums_along_the_path(line):
    m = graph_matrix(nodes("a", "b", "c"), spec_for(line))
    assert m.seconds.tolist() == [[0, 60, 120], [60, 0, 60], [120, 60, 0]]
    assert m.metres[0, 2] == pytest.approx(2000.0)
    assert m.seconds.dtype == np.int64 and m.metres.dtype == np.float64


def test_minutes_attribute_and_speed_factor(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", minutes=2.0, length=700.0)
    path = write(g, tmp_path)
    m = graph_matrix(nodes("a", "b"), spec_for(path))
    assert m.seconds[0, 1] == 120 and m.metres[0, 1] == pytest.approx(700.0)
    slow = graph_matrix(nodes("a", "b"), spec_for(path, speed_factor=0.5))
    assert slow.seconds[0, 1] == 240


def test_minutes_without_length_counts_zero_metres(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", minutes=1.5)
    m = graph_matrix(nodes("a", "b"), spec_for(write(g, tmp_path)))
    assert m.seconds[0, 1] == 90 and m.metres[0, 1] == 0.0


def test_edge_speed_overrides_spec_speed_and_speed_factor_slows(highway):
    m = graph_matrix(nodes("a", "c"), spec_for(highway, speed_kmh=5.0))   # spec speed unused: edges say
    assert m.seconds[0, 1] == 108
    slow = graph_matrix(nodes("a", "c"), spec_for(highway, speed_factor=0.5))
    assert slow.seconds[0, 1] == 216


def test_metres_follow_the_time_shortest_path_not_the_shortest_distance(highway):
    m = graph_matrix(nodes("a", "c"), spec_for(highway))
    assert m.seconds[0, 1] == 108
    assert m.metres[0, 1] == pytest.approx(3000.0)      # via b, though a - c is 1000 m


def test_closure_makes_the_path_longer(highway):
    m = graph_matrix(nodes("a", "c"), spec_for(highway, closed_edges=(("b", "a"),)))  # either order
    assert m.seconds[0, 1] == 360 and m.seconds[1, 0] == 360
    assert m.metres[0, 1] == pytest.approx(1000.0)


def test_closure_making_a_pair_unreachable_gives_the_sentinel_and_warns(line, caplog):
    with caplog.at_level(logging.WARNING, logger="dispatchopt"):
        m = graph_matrix(nodes("a", "b", "c"), spec_for(line, closed_edges=(("b", "c"),)))
    assert m.seconds[0, 1] == 60
    assert m.seconds[0, 2] == UNREACHABLE_S and m.seconds[2, 1] == UNREACHABLE_S
    assert m.metres[0, 2] == UNREACHABLE_M
    assert m.seconds[2, 2] == 0
    assert "4 node pairs have no path" in caplog.text


def test_closure_of_a_missing_edge_is_a_travel_error_naming_it(line):
    with pytest.raises(TravelError, match=r"closed_edges\[0\].*'a' -> 'c'.*no such edge"):
        graph_matrix(nodes("a"), spec_for(line, closed_edges=(("a", "c"),)))
    with pytest.raises(TravelError, match=r"closed_edges\[1\].*node 'zz' is not in the graph"):
        graph_matrix(nodes("a"), spec_for(line, closed_edges=(("a", "b"), ("zz", "b"))))


def test_directed_graph_is_travelled_one_way(tmp_path):
    g = nx.DiGraph()
    g.add_edge("a", "b", length=1000.0)
    g.add_edge("b", "c", length=1000.0)
    g.add_edge("c", "a", length=1000.0)
    path = write(g, tmp_path)
    m = graph_matrix(nodes("a", "b"), spec_for(path))
    assert m.seconds[0, 1] == 60 and m.seconds[1, 0] == 120
    assert m.metres[1, 0] == pytest.approx(2000.0)
    with pytest.raises(TravelError, match=r"directed and only 'a' -> 'b' exists"):
        graph_matrix(nodes("a"), spec_for(path, closed_edges=(("b", "a"),)))


def test_directed_closure_removes_one_direction_only(tmp_path):
    g = nx.DiGraph()
    g.add_edge("a", "b", length=1000.0)
    g.add_edge("b", "a", length=1000.0)
    m = graph_matrix(nodes("a", "b"), spec_for(write(g, tmp_path), closed_edges=(("a", "b"),)))
    assert m.seconds[0, 1] == UNREACHABLE_S and m.seconds[1, 0] == 60


def test_parallel_edges_use_the_fastest(tmp_path):
    g = nx.MultiGraph()
    g.add_edge("a", "b", length=1000.0, speed_kmh=10.0)
    g.add_edge("a", "b", length=2000.0, speed_kmh=120.0)
    m = graph_matrix(nodes("a", "b"), spec_for(write(g, tmp_path)))
    assert m.seconds[0, 1] == 60 and m.metres[0, 1] == pytest.approx(2000.0)


def test_string_attributes_are_cast_to_float(tmp_path):
    g = nx.Graph()
    g.add_edge("a", "b", length="1000", speed_kmh="30")
    g.add_edge("b", "c", minutes="0.5")
    path = write(g, tmp_path)
    assert 'attr.type="string"' in open(path).read()
    m = graph_matrix(nodes("a", "c"), spec_for(path))
    assert m.seconds[0, 1] == 150


@pytest.mark.parametrize("attrs, match", [
    ({}, r"edge 'a' -> 'b' has neither a 'minutes' nor a 'length'"),
    ({"length": -5.0}, r"edge 'a' -> 'b' attribute 'length' must be a non-negative number, got -5.0"),
    ({"length": "fast"}, r"attribute 'length' must be a non-negative number, got 'fast'"),
    ({"length": 100.0, "speed_kmh": 0.0}, r"attribute 'speed_kmh' must be a positive number"),
])
def test_bad_edge_attributes_are_travel_errors(tmp_path, attrs, match):
    g = nx.Graph()
    g.add_edge("a", "b", **attrs)
    with pytest.raises(TravelError, match=match):
        graph_matrix(nodes("a", "b"), spec_for(write(g, tmp_path)))


def lattice(tmp_path, coord_names=("lat", "lon")):
    """Nodes n0..n3 on a square of ~1.1 km sides near (36.0, 120.0), 1 km edges."""
    g = nx.Graph()
    points = {"n0": (36.00, 120.00), "n1": (36.00, 120.0125), "n2": (36.01, 120.00), "n3": (36.01, 120.0125)}
    for name, (lat, lon) in points.items():
        g.add_node(name, **dict(zip(coord_names, (lat, lon))))
    for u, v in (("n0", "n1"), ("n0", "n2"), ("n1", "n3"), ("n2", "n3")):
        g.add_edge(u, v, length=1000.0)
    return write(g, tmp_path)


@pytest.mark.parametrize("coord_names", [("lat", "lon"), ("y", "x")])
def test_lat_lon_locations_snap_to_the_nearest_node(tmp_path, coord_names):
    path = lattice(tmp_path, coord_names)
    locs = [Location(lat=36.0004, lon=120.0003),   # near n0
            Location(lat=36.0098, lon=120.0120),   # near n3
            Location(lat=36.0099, lon=120.0002),   # near n2
            Location(node="n3")]
    m = graph_matrix(locs, spec_for(path))
    assert m.seconds[0, 1] == 120 and m.seconds[0, 2] == 60
    assert m.seconds[1, 3] == 0                   # same node, different location: zero apart
    assert m.seconds.shape == (4, 4) and (np.diag(m.seconds) == 0).all()


def test_node_wins_over_lat_lon(tmp_path):
    path = lattice(tmp_path)
    locs = [Location(lat=36.0, lon=120.0, node="n3"), Location(node="n0")]
    assert graph_matrix(locs, spec_for(path)).seconds[0, 1] == 120


def test_far_snap_is_logged(tmp_path, caplog):
    path = lattice(tmp_path)
    with caplog.at_level(logging.WARNING, logger="dispatchopt"):
        graph_matrix([Location(lat=36.5, lon=120.0), Location(node="n0")], spec_for(path))
    assert "snapped to node 'n2'" in caplog.text


def test_unknown_node_is_a_travel_error_naming_it(line):
    with pytest.raises(TravelError, match=r"location 1 .*node 'zz' is not in the graph"):
        graph_matrix(nodes("a", "zz"), spec_for(line))


def test_location_without_node_or_lat_lon_is_a_travel_error(line):
    with pytest.raises(TravelError, match=r"location 0 .*neither a node nor lat/lon"):
        graph_matrix([Location(x=1.0, y=1.0)], spec_for(line))


def test_snapping_without_node_coordinates_is_a_travel_error(line):
    with pytest.raises(TravelError, match=r"no node has lat/lon or y/x"):
        graph_matrix([Location(lat=36.0, lon=120.0)], spec_for(line))


def test_missing_or_unreadable_graph_file_is_a_travel_error(tmp_path):
    with pytest.raises(TravelError, match=r"none given"):
        graph_matrix(nodes("a"), TravelSpec(model="graph"))
    with pytest.raises(TravelError, match=r"nowhere.graphml not found"):
        graph_matrix(nodes("a"), spec_for(str(tmp_path / "nowhere.graphml")))
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph")
    with pytest.raises(TravelError, match=r"cannot read GraphML file .*bad.graphml"):
        graph_matrix(nodes("a"), spec_for(str(bad)))


def test_empty_location_list(line):
    assert graph_matrix([], spec_for(line)).seconds.shape == (0, 0)


@pytest.mark.parametrize("directed", [False, True])
def test_times_and_metres_agree_with_networkx_dijkstra(tmp_path, directed):
    rng = np.random.default_rng(3)
    base = nx.grid_2d_graph(8, 8)
    g = nx.DiGraph() if directed else nx.Graph()
    for u, v in base.edges:
        for a, b in ((u, v), (v, u)) if directed else ((u, v),):
            if directed and rng.random() < 0.15:
                continue                                  # some one-way streets
            g.add_edge(f"{a[0]}_{a[1]}", f"{b[0]}_{b[1]}", length=float(rng.uniform(100, 900)),
                       speed_kmh=float(rng.uniform(15, 80)))
    path = write(g, tmp_path)
    picks = [f"{i}_{j}" for i, j in ((0, 0), (7, 7), (3, 5), (6, 1), (2, 2))]
    m = graph_matrix(nodes(*picks), spec_for(path, speed_factor=0.8))

    def seconds(u, v, d):
        return d["length"] / 1000 / (d["speed_kmh"] * 0.8) * 3600

    for i, source in enumerate(picks):
        times = nx.single_source_dijkstra_path_length(g, source, weight=seconds)
        for j, target in enumerate(picks):
            if target not in times:
                assert m.seconds[i, j] == UNREACHABLE_S
                continue
            assert m.seconds[i, j] == round(times[target])
            route = nx.dijkstra_path(g, source, target, weight=seconds)
            metres = sum(g.edges[a, b]["length"] for a, b in zip(route, route[1:]))
            assert m.metres[i, j] == pytest.approx(metres, rel=1e-12)
    assert math.isfinite(m.metres.max())


def test_read_graph_gives_text_node_ids_and_names_a_missing_file(tmp_path):
    from dispatchopt.travel.graph import read_graph

    g = nx.Graph()
    g.add_edge(1, 2, length=100.0)          # integer ids: GraphML stores them as text
    graph = read_graph(write(g, tmp_path))
    assert sorted(graph.nodes) == ["1", "2"] and graph.has_edge("1", "2")
    with pytest.raises(TravelError, match="GraphML file .*nowhere.graphml not found"):
        read_graph(str(tmp_path / "nowhere.graphml"))
    with pytest.raises(TravelError, match="needs a GraphML file"):
        read_graph(None)
